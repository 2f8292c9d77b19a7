"""psycopg 3 run through aurora-pg-proxy's Data API mode (and, for comparison, straight against
PostgreSQL).

Usage: python3 dataapi_smoke.py <conninfo>
Prints one JSON object that test/integration/dataapi-psycopg.test.ts checks. A failure prints
{"error": ...} and exits 1.
"""
import datetime
import decimal
import uuid

import psycopg
from psycopg import sql
from psycopg.types.json import Json, Jsonb

from smoke_main import smoke_main

UTC = datetime.timezone.utc
BERLIN = datetime.timezone(datetime.timedelta(hours=1))

ROWS = [
    (
        1,
        2**40 + 1,
        0.1,
        decimal.Decimal("-12345678901234567890.0123456789"),
        "grüße, 'quoted' \\ $1 :p1 %",
        bytes(range(256)),
        datetime.date(1999, 12, 31),
        datetime.datetime(2024, 2, 29, 12, 34, 56, 123456, tzinfo=BERLIN),
        uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        Json({"a": [1, 2.5, None], "b": "ü"}),
        [1, 2, 3],
        ["x", "y z", None, 'q"uote'],
    ),
    (2, -(2**31), -1.5e300, decimal.Decimal("0.0000000001"), "", b"", datetime.date(2024, 2, 29),
     datetime.datetime(1970, 1, 1, tzinfo=UTC), uuid.UUID(int=2), Json([]), [], []),
    (3, None, None, None, None, None, None, None, None, None, None, None),
]


def plain(v):
    """A JSON-friendly, exact form of a value read back."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, decimal.Decimal):
        return "Decimal:" + str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "bytes:" + bytes(v).hex()
    if isinstance(v, datetime.datetime):
        return "instant:" + v.astimezone(UTC).isoformat() if v.tzinfo else "local:" + v.isoformat()
    if isinstance(v, (datetime.date, datetime.time)):
        return type(v).__name__ + ":" + v.isoformat()
    if isinstance(v, uuid.UUID):
        return "uuid:" + str(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return type(v).__name__ + ":" + str(v)


def rows_of(cur):
    return [[plain(v) for v in r] for r in cur.fetchall()]


def error_of(e):
    return {
        "class": type(e).__name__,
        "sqlstate": e.sqlstate,
        "message": e.diag.message_primary,
        "position": e.diag.statement_position,
    }


def run(conninfo):
    out = {"psycopg": psycopg.__version__}
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10, application_name="dataapi_smoke") as conn:
        out["user"] = conn.execute("select current_user").fetchone()[0]
        out["server_version"] = conn.info.server_version
        out["application_name"] = conn.execute("show application_name").fetchone()[0]

        conn.execute("drop table if exists py_types, py_many, py_copy")
        conn.execute(
            "create table py_types (id integer primary key, big bigint, f float8, amount numeric(30,10), s text,"
            " b bytea, d date, at timestamptz, u uuid, j json, ints integer[], texts text[])"
        )
        conn.execute("create table py_many (n integer primary key, label text, price numeric(10,2))")
        conn.execute("create table py_copy (id integer, name text, at timestamp, data bytea, note text)")

        # Parameterised insert and select of several types (text-format parameters).
        with conn.cursor() as cur:
            for row in ROWS:
                cur.execute("insert into py_types values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", row)
            cur.execute("select * from py_types where id = any(%s) order by id", ([1, 2, 3],))
            out["types"] = rows_of(cur)
            cur.execute("select %s::int + 1, %s || '!', %s, %s::date + 1", (41, "hi", decimal.Decimal("1.50"), datetime.date(2024, 2, 28)))
            out["expressions"] = [plain(v) for v in cur.fetchone()]
            cur.execute("select j->'a', (j->>'b') from py_types where id = %(id)s", {"id": 1})
            out["json_fields"] = [plain(v) for v in cur.fetchone()]
            cur.execute("select %s::jsonb", (Jsonb({"k": [True, None]}),))
            out["jsonb"] = plain(cur.fetchone()[0])

        # executemany: psycopg pipelines the rounds.
        with conn.cursor() as cur:
            cur.executemany(
                "insert into py_many (n, label, price) values (%s, %s, %s)",
                [(i, f"item {i}", decimal.Decimal(i) / 4) for i in range(1, 201)],
            )
            out["executemany_rowcount"] = cur.rowcount
            out["many"] = [plain(v) for v in conn.execute("select count(*), sum(n), sum(price), max(label) from py_many").fetchone()]

        # A transaction rolled back.
        with conn.transaction() as tx:
            conn.execute("insert into py_many (n, label) values (%s, %s)", (1000, "rolled back"))
            out["inside_tx"] = conn.execute("select count(*) from py_many where n = 1000").fetchone()[0]
            out["tx_status_inside"] = conn.info.transaction_status.name
            raise psycopg.Rollback(tx)
        out["after_rollback"] = conn.execute("select count(*) from py_many where n = 1000").fetchone()[0]
        out["tx_status_after"] = conn.info.transaction_status.name

        # Server-side prepared statement.
        prepared = []
        for n in (10, 20, 30):
            prepared.append(conn.execute("select label, price from py_many where n = %s", (n,), prepare=True).fetchone())
        out["prepared"] = [[plain(v) for v in r] for r in prepared]
        # With room for two prepared statements, psycopg evicts the oldest with DEALLOCATE.
        conn.prepared_max = 2
        evicted = []
        for round_ in range(2):
            for k in (1, 2, 3):
                evicted.append(conn.execute(f"select {k} + %s", (round_,), prepare=True).fetchone()[0])
        out["prepared_evicted"] = evicted

        # A named server-side cursor (DECLARE ... FETCH) in a transaction.
        with conn.transaction():
            with conn.cursor(name="py_big") as cur:
                cur.itersize = 70
                cur.execute("select n, label from py_many where n > %s order by n", (0,))
                first = cur.fetchone()
                page = cur.fetchmany(50)
                rest = list(cur)
                out["server_cursor"] = {
                    "first": plain(first),
                    "page": len(page),
                    "rest": len(rest),
                    "sum": first[0] + sum(r[0] for r in page) + sum(r[0] for r in rest),
                    "last": plain(rest[-1]),
                }

        # Binary results (and binary parameters where psycopg sends them).
        with conn.cursor(binary=True) as cur:
            cur.execute("select * from py_types where id = any(%s) order by id", ([1, 2, 3],))
            out["binary_types"] = rows_of(cur)
            cur.execute(
                "select %b::int8 * 2, %b::float8, %b::numeric, %b::text, %b::bytea, %b::timestamptz, %b::uuid",
                (2**40, 0.1, decimal.Decimal("-1.25"), "bin ü", b"\x00\xff", datetime.datetime(2024, 1, 1, tzinfo=UTC), uuid.UUID(int=7)),
            )
            out["binary_params"] = [plain(v) for v in cur.fetchone()]

        # COPY FROM STDIN with write_row, then COPY TO STDOUT.
        with conn.cursor() as cur:
            with cur.copy("COPY py_copy (id, name, at, data, note) FROM STDIN") as copy:
                for i in range(1, 501):
                    copy.write_row((i, f"name\t{i}\n'x'\\", datetime.datetime(2024, 1, 1) + datetime.timedelta(minutes=i), bytes([i % 256, 0]), None if i % 3 else "three"))
            out["copy_in_rowcount"] = cur.rowcount
            out["copy_in_table"] = [plain(v) for v in conn.execute("select count(*), sum(id), count(note), max(at) from py_copy").fetchone()]
            text = b""
            with cur.copy("COPY (select id, name, at, data, note from py_copy where id <= 3 order by id) TO STDOUT") as copy:
                for data in copy:
                    text += bytes(data)
            out["copy_out_text"] = text.decode()
            with cur.copy("COPY py_copy TO STDOUT (FORMAT csv, HEADER)") as copy:
                csv = b"".join(bytes(d) for d in copy)
            out["copy_out_csv_lines"] = len(csv.decode().splitlines())
            out["copy_out_csv_head"] = csv.decode().splitlines()[:2]
            with cur.copy("COPY (select 1 as a, 'x' as b) TO STDOUT") as copy:
                copy.set_types(["int4", "text"])
                out["copy_out_rows"] = [list(r) for r in copy.rows()]

        # Errors with their classes and SQLSTATEs.
        errors = {}
        for key, statement in [
            ("undefined_table", "select * from py_missing"),
            ("undefined_column", "select nope from py_many"),
            ("syntax", "select from where"),
            ("division", "select 1/0"),
        ]:
            try:
                conn.execute(statement)
                errors[key] = "no error"
            except psycopg.Error as e:
                errors[key] = error_of(e)
        try:
            conn.execute("insert into py_many (n) values (%s)", (1,))
            errors["unique"] = "no error"
        except psycopg.errors.UniqueViolation as e:
            errors["unique"] = error_of(e)
        try:
            with conn.transaction():
                try:
                    conn.execute("select * from py_missing_too")
                except psycopg.errors.UndefinedTable:
                    pass
                conn.execute("select 1")
            errors["in_failed_tx"] = "no error"
        except psycopg.errors.InFailedSqlTransaction as e:
            errors["in_failed_tx"] = error_of(e)
        out["errors"] = errors
        out["usable_after_errors"] = conn.execute(sql.SQL("select {}").format(sql.Literal("still usable"))).fetchone()[0]
    return out


if __name__ == "__main__":
    smoke_main(run, "dataapi_smoke.py")
