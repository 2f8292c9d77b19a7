"""asyncpg with its default options: the extended protocol for everything, a Describe before each
Bind, binary parameters and results for every type it knows, and its catalogue query for the
OIDs it does not (an enum, a domain). Beyond the common steps: values and parameters of many
types, executemany, a rolled-back transaction block, a server-side cursor, a prepared statement
used again, an error's SQLSTATE, an enum and a domain, COPY both ways in CSV and copy_records_to_table
(binary COPY)."""
import asyncio
import datetime
import decimal
import ipaddress
import os
import sys
import uuid

import asyncpg

from compat_common import DRIVER_DDL, SCHEMA_QUERY, TYPED_COLUMNS, TYPED_VALUES, VC, main, normalise_row

TABLE = "compat_asyncpg"
DEBUG = bool(os.environ.get("COMPAT_DEBUG"))

# One value of each type asyncpg sends and reads in binary, and how it comes back as JSON.
MANY_TYPES = [
    ("text", "grüße"),
    ("numeric", decimal.Decimal("-12345678901234567890.000123")),
    ("timestamptz", datetime.datetime(2024, 2, 29, 12, 34, 56, 789000, tzinfo=datetime.timezone.utc)),
    ("uuid", uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
    ("jsonb", '{"a": [1, 2]}'),
    ("int[]", [1, None, 3]),
    ("bytea", b"\x00\x01\xff"),
    ("date", datetime.date(1999, 12, 31)),
    ("interval", datetime.timedelta(days=-3, seconds=14706, microseconds=789)),
    ("inet", ipaddress.ip_interface("192.168.0.1/24")),
    ("cidr", ipaddress.ip_network("2001:db8::/32")),
    ('"char"', b"x"),
    ("macaddr", "08:00:2b:01:02:03"),
    ("bit varying", asyncpg.BitString("10110")),
    ("int4range", asyncpg.Range(1, 10)),
    ("tstzrange", asyncpg.Range(datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc), None)),
    ("numrange[]", [asyncpg.Range(decimal.Decimal("1.5"), decimal.Decimal("2.5"), upper_inc=True), asyncpg.Range(empty=True)]),
    ("circle", asyncpg.Circle((1.5, -2), 3)),
    ("path", asyncpg.Path((0, 0), (1, 1), is_closed=True)),
    ("line", asyncpg.Line(1, -1, 0)),
    ("pg_lsn", 0x16B374D848),
    ("xid", 12345),
    ("tid", (7, 3)),
    ("interval[]", [datetime.timedelta(days=1), None]),
    ("time", datetime.time(23, 59, 59, 999999)),
    ("float8", float("-inf")),
]


def shown(v):
    """A value as JSON: asyncpg's own types by their repr, the rest by str (None kept)."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, list):
        return [shown(x) for x in v]
    if isinstance(v, asyncpg.Path):
        return {"closed": v.is_closed, "points": [shown(p) for p in v.points]}
    if isinstance(v, tuple):
        return [shown(x) for x in v]
    return repr(v) if type(v).__module__.startswith("asyncpg") else str(v)


async def workload(target):
    result = {}
    conn = await asyncpg.connect(host=target["host"], port=target["port"], user=target["user"],
                                 database=target["database"], timeout=10)
    ids = [1, 2]
    columns = ", ".join(TYPED_COLUMNS)
    placeholders = ", ".join(f"${i + 1}" for i in range(len(TYPED_COLUMNS)))

    async def step(name, fn):
        if DEBUG:
            print("step", name, file=sys.stderr, flush=True)
        try:
            result[name] = {"value": await fn()}
        except Exception as e:  # every failure is an outcome the test asserts
            result[name] = {"error": {"sqlstate": getattr(e, "sqlstate", None), "message": f"{type(e).__name__}: {e}"}}

    async def row(id_):
        r = await conn.fetchrow(f"select * from {TABLE} where id = $1", id_)
        return normalise_row(dict(r))

    async def schema():
        await conn.execute(DRIVER_DDL.format(table=TABLE))
        return [list(r) for r in await conn.fetch(SCHEMA_QUERY.replace("%s", "$1"), TABLE)]

    async def insert():
        # asyncpg takes json and jsonb parameters as their text.
        values = dict(TYPED_VALUES, j='{"a": [1, 2, 3], "b": "x"}', jb='{"a": [1, 2, 3], "b": "x"}')
        first = await conn.fetchrow(
            f"insert into {TABLE} ({columns}) values ({placeholders}) returning id, i2 * 2 as doubled, t",
            *[values[c] for c in TYPED_COLUMNS])
        second = await conn.fetchrow(f"insert into {TABLE} ({columns}) values ({placeholders}) returning id",
                                     *([None] * len(TYPED_COLUMNS)))
        ids[:] = [first["id"], second["id"]]
        return {"first": {"id": first["id"], "doubled": first["doubled"], "t": first["t"]}, "second": {"id": second["id"]}}

    async def types():
        r = await row(ids[0])
        # asyncpg returns json and jsonb as text; compare them parsed, as the other clients do.
        return r

    async def update():
        status = await conn.execute(f"update {TABLE} set t = $1 where id = $2", "updated", ids[0])
        return {"count": int(status.split()[-1]), "t": await conn.fetchval(f"select t from {TABLE} where id = $1", ids[0])}

    async def delete():
        status = await conn.execute(f"delete from {TABLE} where id = $1", ids[1])
        return {"deleted": int(status.split()[-1]), "remaining": await conn.fetchval(f"select count(*) from {TABLE}")}

    async def count_vc(vc):
        return await conn.fetchval(f"select count(*) from {TABLE} where vc = $1", vc)

    async def commit():
        async with conn.transaction():
            await conn.execute(f"insert into {TABLE} (vc) values ($1)", "committed")
        return {"count": await count_vc("committed")}

    async def rollback():
        inside = {}

        class Rollback(Exception):
            pass

        try:
            async with conn.transaction():
                await conn.execute(f"insert into {TABLE} (vc) values ($1)", "rolled back")
                inside["count"] = await count_vc("rolled back")
                raise Rollback()
        except Rollback:
            pass
        return {"inside": inside["count"], "after": await count_vc("rolled back")}

    violation = {}

    async def unique():
        try:
            await conn.execute(f"insert into {TABLE} (vc) values ($1)", VC)
        except asyncpg.PostgresError as e:
            violation["error"] = e
        return {"sqlstate": violation["error"].sqlstate if violation else None, "after": await conn.fetchval("select 1")}

    async def unique_fields():
        e = violation.get("error")
        return {"schema": getattr(e, "schema_name", None), "table": getattr(e, "table_name", None),
                "constraint": getattr(e, "constraint_name", None)}

    async def many_types():
        sql = "select " + ", ".join(f"${i + 1}::{t} as c{i + 1}" for i, (t, _) in enumerate(MANY_TYPES))
        r = await conn.fetchrow(sql, *[v for _, v in MANY_TYPES])
        return {t: shown(r[i]) for i, (t, _) in enumerate(MANY_TYPES)}

    async def parameters_as_text():
        # What the server made of each binary parameter, in its own text output.
        sql = "select " + ", ".join(f"${i + 1}::{t}::text" for i, (t, _) in enumerate(MANY_TYPES))
        r = await conn.fetchrow(sql, *[v for _, v in MANY_TYPES])
        return {t: r[i] for i, (t, _) in enumerate(MANY_TYPES)}

    async def executemany():
        await conn.executemany(f"insert into {TABLE} (vc, i4) values ($1, $2)",
                               [("many 1", 1), ("many 2", 2), ("many 3", None)])
        rows = await conn.fetch(f"select vc, i4 from {TABLE} where vc like 'many %' order by vc")
        return [[r["vc"], r["i4"]] for r in rows]

    async def cursor():
        async with conn.transaction():
            seen = [r[0] async for r in conn.cursor("select g from generate_series(1, 7) g where g % $1 <> 0", 3, prefetch=2)]
            cur = await conn.cursor("select g, g * 1.5 from generate_series(1, 10) g")
            first = await cur.fetch(3)
            one = await cur.fetchrow()
            moved = await cur.forward(2)  # MOVE FORWARD 2 <portal>, a simple query naming the portal
            rest = await cur.fetch(10)
            past_end = await cur.forward(5)
        return {"iterated": seen, "first": [[r[0], str(r[1])] for r in first], "one": one[0], "moved": moved,
                "rest": [r[0] for r in rest], "past_end": past_end}

    async def prepared():
        stmt = await conn.prepare("select $1::int4 * 2 as twice, $2::text as label")
        values = [await stmt.fetchrow(i, f"n{i}") for i in range(3)]
        return {"columns": [a.name for a in stmt.get_attributes()],
                "params": [p.name for p in stmt.get_parameters()],
                "rows": [[v["twice"], v["label"]] for v in values]}

    async def error():
        try:
            await conn.fetchval("select 1 / $1::int4", 0)
        except asyncpg.PostgresError as e:
            return {"sqlstate": e.sqlstate, "class": type(e).__name__, "after": await conn.fetchval("select 2")}
        return None

    async def introspection():
        await conn.execute("create type compat_asyncpg_mood as enum ('sad', 'ok', 'happy')")
        await conn.execute("create domain compat_asyncpg_positive as int4 check (value > 0)")
        # Parameters and results of the new types, which asyncpg looks up in the catalogue and
        # sends in binary as what they are made of (text for the enum, int4 for the domain).
        r = await conn.fetchrow(
            "select $1::compat_asyncpg_mood as mood, $2::compat_asyncpg_positive as positive, "
            "array['sad', 'happy']::compat_asyncpg_mood[] as moods",
            "happy", 7)
        try:
            await conn.fetchval("select $1::compat_asyncpg_positive", -1)
            refused = None
        except asyncpg.PostgresError as e:
            refused = e.sqlstate
        return {"mood": r["mood"], "positive": r["positive"], "moods": r["moods"], "check": refused}

    async def copy_out():
        chunks = []

        async def sink(data):
            chunks.append(bytes(data).decode())

        status = await conn.copy_from_table(TABLE, columns=["vc", "i4"], output=sink, format="csv")
        return {"status": status, "rows": sorted("".join(chunks).splitlines())}

    async def copy_in():
        async def source():
            yield "copied 1,1,1 hour\n".encode()
            yield "copied 2,,\n".encode()

        status = await conn.copy_to_table(TABLE, columns=["vc", "i4", "iv"], source=source(), format="csv")
        rows = await conn.fetch(f"select vc, i4, iv from {TABLE} where vc like 'copied %' order by vc")
        return {"status": status, "rows": [[r["vc"], r["i4"], shown(r["iv"])] for r in rows]}

    async def copy_records():
        # COPY FROM STDIN in binary format.
        status = await conn.copy_records_to_table(
            TABLE, columns=["vc", "i4", "num", "tstz", "iv", "by", "arr", "tarr", "u", "b", "f8"],
            records=[("record 1", -5, decimal.Decimal("-1.25"), datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
                      datetime.timedelta(days=-1, seconds=5), b"\x00\\\n", [1, None], ["a\tb", None, ""],
                      uuid.UUID(int=7), False, float("-inf")),
                     ("record 2", None, None, None, None, None, None, None, None, None, None)])
        rows = await conn.fetch(f"select vc, i4, num, tstz, iv, by, arr, tarr, u, b, f8 from {TABLE} "
                                "where vc like 'record %' order by vc")
        return {"status": status, "rows": [[shown(v) for v in r] for r in rows]}

    await step("schema", schema)
    await step("insert", insert)
    await step("types", types)
    await step("nulls", lambda: row(ids[1]))
    await step("update", update)
    await step("delete", delete)
    await step("commit", commit)
    await step("rollback", rollback)
    await step("unique", unique)
    await step("unique_fields", unique_fields)
    await step("many_types", many_types)
    await step("parameters_as_text", parameters_as_text)
    await step("executemany", executemany)
    await step("cursor", cursor)
    await step("prepared", prepared)
    await step("error", error)
    await step("introspection", introspection)
    await step("copy_out", copy_out)
    await step("copy_in", copy_in)
    await step("copy_records", copy_records)
    await conn.close()
    return result


if __name__ == "__main__":
    main(lambda target: asyncio.run(workload(target)))
