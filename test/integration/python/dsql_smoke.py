"""psycopg 3 smoke run through aurora-pg-proxy's DSQL mode.

Usage: python3 dsql_smoke.py <conninfo>
Connects without a password (the proxy signs the IAM token) and prints one JSON object that
test/integration/dsql-psycopg.test.ts checks. A failure prints {"error": ...} and exits 1.
"""
import datetime
import decimal

import psycopg

from smoke_main import smoke_main


def run(conninfo):
    out = {"psycopg": psycopg.__version__}
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        out["user"] = conn.execute("select current_user").fetchone()[0]
        out["server_version"] = conn.info.server_version
        out["ssl_in_use"] = conn.pgconn.ssl_in_use

        conn.execute("drop table if exists py_items")
        conn.execute(
            "create table py_items (id integer primary key, name text, price numeric(10,2),"
            " added timestamptz, tags text[])"
        )
        rows = [
            (1, "apple", decimal.Decimal("1.25"), datetime.datetime(2024, 2, 29, 12, 0, tzinfo=datetime.timezone.utc), ["fruit"]),
            (2, "bread", decimal.Decimal("3.10"), datetime.datetime(2024, 3, 1, 8, 30, tzinfo=datetime.timezone.utc), ["bakery", "fresh"]),
            (3, "tea", None, None, []),
        ]
        with conn.cursor() as cur:
            cur.executemany("insert into py_items values (%s, %s, %s, %s, %s)", rows)
            out["inserted"] = cur.rowcount
            cur.execute("select id, name, price, added, tags from py_items where id = %(id)s or name = %(name)s order by id",
                        {"id": 1, "name": "tea"})
            out["selected"] = [
                [r[0], r[1], None if r[2] is None else str(r[2]), None if r[3] is None else r[3].isoformat(), r[4]]
                for r in cur.fetchall()
            ]
            # Binary-format parameters and results take another path through the extended protocol.
            cur.execute("select %b::int * 2, %b::text || '!'", (21, "binary"), binary=True)
            out["binary"] = list(cur.fetchone())

        with conn.transaction() as tx:
            conn.execute("insert into py_items (id, name) values (%s, %s)", (100, "rolled back"))
            out["inside_tx"] = conn.execute("select count(*) from py_items where id = 100").fetchone()[0]
            raise psycopg.Rollback(tx)
        out["after_rollback"] = conn.execute("select count(*) from py_items where id = 100").fetchone()[0]

        try:
            conn.execute("select 1/0")
            out["division"] = "no error"
        except psycopg.Error as e:
            out["division"] = {"sqlstate": e.sqlstate, "message": e.diag.message_primary}

        # A named server-side cursor (DECLARE ... FETCH) needs a transaction.
        with conn.transaction():
            with conn.cursor(name="py_big") as cur:
                cur.itersize = 250
                cur.execute("select g, g * g from generate_series(1, 1000) g")
                total = 0
                count = 0
                first = cur.fetchone()
                count += 1
                total += first[0]
                page = cur.fetchmany(100)
                count += len(page)
                total += sum(r[0] for r in page)
                for r in cur:
                    count += 1
                    total += r[0]
                out["server_cursor"] = {"first": list(first), "count": count, "sum": total}
    return out


if __name__ == "__main__":
    smoke_main(run, "dsql_smoke.py")
