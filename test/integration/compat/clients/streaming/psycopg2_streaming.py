"""psycopg2 with its default options (no autocommit): a named (server-side) cursor read through
iteration in batches of `itersize`, and one abandoned half-way and closed inside the transaction,
which then commits."""
import psycopg2

from streaming_common import MARKS_DDL, QUERY, main, step, summarise, take_half

ITERSIZE = 500


def run(target):
    result = {}
    conn = psycopg2.connect(host=target["host"], port=target["port"], user=target["user"], dbname=target["database"], connect_timeout=10)

    def scalar(sql, params=()):
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    def setup():
        with conn.cursor() as cur:
            cur.execute(MARKS_DDL)
        conn.commit()

    def named():
        with conn.cursor("big") as cur:
            cur.itersize = ITERSIZE
            cur.execute(QUERY)
            value = summarise(cur)
        conn.commit()
        return {**value, "after": scalar("select 1")}

    def named_abandoned():
        with conn.cursor() as cur:
            cur.execute("insert into streaming_marks values (%s)", ("psycopg2 named",))
        with conn.cursor("big") as cur:
            cur.itersize = ITERSIZE
            cur.execute(QUERY)
            value = take_half(cur)
        after = scalar("select 1")
        conn.commit()
        return {**value, "after": after, "committed": scalar("select count(*) from streaming_marks where habit = %s", ("psycopg2 named",))}

    step(result, "setup", setup, conn.rollback)
    step(result, "named", named, conn.rollback)
    step(result, "named_abandoned", named_abandoned, conn.rollback)
    conn.close()
    return result


if __name__ == "__main__":
    main(run)
