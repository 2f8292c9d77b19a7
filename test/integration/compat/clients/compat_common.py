"""Shared pieces of the Python compatibility workloads (see workload.ts for the steps).

Each script is run as `python3 <script> '<target json>'` with {host, port, user, database}, runs
every step even when one fails, and prints {step: {"value": ...} | {"error": {...}}} as JSON.
"""
import datetime
import decimal
import json
import math
import sys
import uuid

TYPED_COLUMNS = ["i2", "i4", "i8", "num", "f4", "f8", "b", "t", "vc", "by", "d", "tm", "ts", "tstz",
                 "iv", "u", "j", "jb", "arr", "tarr", "n"]

SCHEMA_QUERY = ("select column_name, udt_name from information_schema.columns "
                "where table_name = %s order by ordinal_position")

DRIVER_DDL = """create table {table} (
    id serial primary key, i2 int2, i4 int4, i8 int8, num numeric(12,4), f4 float4, f8 float8, b bool,
    t text, vc varchar(40) unique, by bytea, d date, tm time, ts timestamp, tstz timestamptz, iv interval,
    u uuid, j json, jb jsonb, arr int4[], tarr text[], n text)"""

JSON_VALUE = {"a": [1, 2, 3], "b": "x"}
VC = "varchar value"

# Row 1 as Python values; the timestamptz is given at +02:00 and must come back as 12:34:56.789 UTC.
TYPED_VALUES = {
    "i2": 12345,
    "i4": 2147483647,
    "i8": 9007199254740993,
    "num": decimal.Decimal("12345678.9012"),
    "f4": 1.5,
    "f8": math.pi,
    "b": True,
    "t": "grüße, 'quoted'",
    "vc": VC,
    "by": bytes.fromhex("0001feff"),
    "d": datetime.date(2024, 2, 29),
    "tm": datetime.time(12, 34, 56, 789000),
    "ts": datetime.datetime(2024, 2, 29, 12, 34, 56, 789000),
    "tstz": datetime.datetime(2024, 2, 29, 14, 34, 56, 789000, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
    "iv": datetime.timedelta(days=1, hours=2, minutes=3, seconds=4),
    "u": uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    "j": JSON_VALUE,
    "jb": JSON_VALUE,
    "arr": [1, 2, None, 4],
    "tarr": ["a", "b c", '"q"'],
    "n": None,
}


def sqlstate_of(e):
    """The SQLSTATE of a driver error, or of the driver error an ORM wraps."""
    for err in (e, getattr(e, "orig", None), getattr(e, "__cause__", None)):
        if err is None:
            continue
        code = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if code:
            return code
    return None


def driver_error(e):
    """The psycopg/psycopg2 error behind an ORM's exception (SQLAlchemy .orig, Django __cause__)."""
    for err in (e, getattr(e, "orig", None), getattr(e, "__cause__", None)):
        if err is not None and hasattr(err, "diag"):
            return err
    return e


def error_fields(e):
    diag = getattr(driver_error(e), "diag", None)
    return {
        "schema": getattr(diag, "schema_name", None),
        "table": getattr(diag, "table_name", None),
        "constraint": getattr(diag, "constraint_name", None),
    }


def step(result, name, fn, on_error=None):
    try:
        result[name] = {"value": fn()}
    except Exception as e:  # every failure is an outcome the test asserts
        result[name] = {"error": {"sqlstate": sqlstate_of(e), "message": f"{type(e).__name__}: {e}"}}
        if on_error is not None:
            try:
                on_error()
            except Exception:
                pass


def _ms(value):
    return value.isoformat(timespec="milliseconds")


def normalise_value(column, v):
    if v is None:
        return None
    if column in ("i8", "num"):
        return str(v)
    if column == "by":
        return bytes(v).hex()
    if column == "d":
        return v.isoformat()
    if column in ("tm", "ts"):
        return _ms(v)
    if column == "tstz":
        return _ms(v.astimezone(datetime.timezone.utc).replace(tzinfo=None)) + "Z"
    if column == "iv":
        return v.total_seconds()
    if column == "u":
        return str(v)
    if column in ("j", "jb") and isinstance(v, str):
        return json.loads(v)
    return v


def normalise_row(row):
    """row: a mapping column -> value as the client returned it."""
    return {c: normalise_value(c, row[c]) for c in TYPED_COLUMNS}


def main(run):
    target = json.loads(sys.argv[1])
    result = run(target)
    print(json.dumps(result, default=str))
