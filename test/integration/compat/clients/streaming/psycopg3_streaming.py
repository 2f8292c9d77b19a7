"""psycopg 3 with its default options (no autocommit, so every read runs in the transaction psycopg
opens): a named (server-side) cursor iterated with the default itersize, and cursor.stream()
(libpq's single-row mode); each also abandoned half-way inside a transaction that then commits;
and the cancel request psycopg's abandoned stream sends, on its own."""
import time

import psycopg

from streaming_common import MARKS_DDL, QUERY, main, step, summarise, take_half


def run(target):
    result = {}
    conn = psycopg.connect(host=target["host"], port=target["port"], user=target["user"], dbname=target["database"], connect_timeout=10)

    def scalar(sql, params=()):
        return conn.execute(sql, params).fetchone()[0]

    def committed_marks(habit):
        return scalar("select count(*) from streaming_marks where habit = %s", (habit,))

    def setup():
        conn.execute(MARKS_DDL)
        conn.commit()

    def named():
        with conn.cursor(name="big") as cur:
            cur.execute(QUERY)
            value = summarise(cur)
        conn.commit()
        return {**value, "after": scalar("select 1")}

    def stream():
        value = summarise(conn.cursor().stream(QUERY))
        conn.commit()
        return {**value, "after": scalar("select 1")}

    def named_abandoned():
        conn.execute("insert into streaming_marks values (%s)", ("psycopg3 named",))
        with conn.cursor(name="big") as cur:
            cur.execute(QUERY)
            value = take_half(cur)
        after = scalar("select 1")
        conn.commit()
        return {**value, "after": after, "committed": committed_marks("psycopg3 named")}

    def stream_abandoned():
        conn.execute("insert into streaming_marks values (%s)", ("psycopg3 stream",))
        rows = conn.cursor().stream(QUERY)
        value = take_half(rows)
        # The application works on what it read a while; the server has sent the rest meanwhile.
        # (Were it still sending, psycopg's cancel would fail the query and so the transaction,
        # on PostgreSQL too.)
        time.sleep(0.2)
        # Closing the generator early is psycopg's abandon path: a cancel request (libpq's, which
        # returns once the server has taken it), then it drains what arrived.
        rows.close()
        after = scalar("select 1")
        conn.commit()
        return {**value, "after": after, "committed": committed_marks("psycopg3 stream")}

    def statement_after_cancel():
        # What that abandon path relies on, without its timing: a cancel request while nothing
        # runs does nothing, and libpq's cancel returns only once the server has taken the
        # request, so the statement sent next (which runs a moment) is not the one it cancels.
        conn.cancel()
        value = scalar("select 1 from pg_sleep(0.3)")
        conn.commit()
        return value

    step(result, "setup", setup, conn.rollback)
    step(result, "named", named, conn.rollback)
    step(result, "stream", stream, conn.rollback)
    step(result, "named_abandoned", named_abandoned, conn.rollback)
    step(result, "stream_abandoned", stream_abandoned, conn.rollback)
    step(result, "statement_after_cancel", statement_after_cancel, conn.rollback)
    conn.close()
    return result


if __name__ == "__main__":
    main(run)
