"""psycopg 3 with its default options (no autocommit: commit() ends each unit of work)."""
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Json, Jsonb

from compat_common import DRIVER_DDL, SCHEMA_QUERY, TYPED_COLUMNS, TYPED_VALUES, VC, error_fields, main, normalise_row, sqlstate_of, step

TABLE = "compat_psycopg3"


def run(target):
    result = {}
    conn = psycopg.connect(host=target["host"], port=target["port"], user=target["user"], dbname=target["database"], connect_timeout=10)
    ids = [1, 2]
    columns = ", ".join(TYPED_COLUMNS)
    placeholders = ", ".join(["%s"] * len(TYPED_COLUMNS))

    def one(sql, params=()):
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    def row(id_):
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(f"select * from {TABLE} where id = %s", (id_,))
            return normalise_row(cur.fetchone())

    def schema():
        conn.execute(DRIVER_DDL.format(table=TABLE))
        conn.commit()
        return [list(r) for r in conn.execute(SCHEMA_QUERY, (TABLE,)).fetchall()]

    def insert():
        values = dict(TYPED_VALUES, j=Json(TYPED_VALUES["j"]), jb=Jsonb(TYPED_VALUES["jb"]))
        first = one(f"insert into {TABLE} ({columns}) values ({placeholders}) returning id, i2 * 2 as doubled, t",
                    [values[c] for c in TYPED_COLUMNS])
        second = one(f"insert into {TABLE} ({columns}) values ({placeholders}) returning id", [None] * len(TYPED_COLUMNS))
        conn.commit()
        ids[:] = [first[0], second[0]]
        return {"first": {"id": first[0], "doubled": first[1], "t": first[2]}, "second": {"id": second[0]}}

    def update():
        cur = conn.execute(f"update {TABLE} set t = %s where id = %s", ("updated", ids[0]))
        conn.commit()
        return {"count": cur.rowcount, "t": one(f"select t from {TABLE} where id = %s", (ids[0],))[0]}

    def delete():
        cur = conn.execute(f"delete from {TABLE} where id = %s", (ids[1],))
        conn.commit()
        return {"deleted": cur.rowcount, "remaining": one(f"select count(*) from {TABLE}")[0]}

    def count_vc(vc):
        return one(f"select count(*) from {TABLE} where vc = %s", (vc,))[0]

    def commit():
        with conn.transaction():
            conn.execute(f"insert into {TABLE} (vc) values (%s)", ("committed",))
        return {"count": count_vc("committed")}

    def rollback():
        conn.execute(f"insert into {TABLE} (vc) values (%s)", ("rolled back",))
        inside = count_vc("rolled back")
        conn.rollback()
        return {"inside": inside, "after": count_vc("rolled back")}

    violation = {}

    def unique():
        try:
            conn.execute(f"insert into {TABLE} (vc) values (%s)", (VC,))
            conn.commit()
        except psycopg.Error as e:
            conn.rollback()
            violation["error"] = e
        return {"sqlstate": sqlstate_of(violation["error"]) if violation else None, "after": one("select 1")[0]}

    step(result, "schema", schema, conn.rollback)
    step(result, "insert", insert, conn.rollback)
    step(result, "types", lambda: row(ids[0]), conn.rollback)
    step(result, "nulls", lambda: row(ids[1]), conn.rollback)
    step(result, "update", update, conn.rollback)
    step(result, "delete", delete, conn.rollback)
    step(result, "commit", commit, conn.rollback)
    step(result, "rollback", rollback, conn.rollback)
    step(result, "unique", unique, conn.rollback)
    step(result, "unique_fields", lambda: error_fields(violation.get("error")))
    conn.close()
    return result


if __name__ == "__main__":
    main(run)
