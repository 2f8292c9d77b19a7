"""asyncpg with its default options: `async for` over conn.cursor(query, prefetch=500) inside
`async with conn.transaction()` (a portal read 500 rows per Execute); and one abandoned half-way
(the loop left with break) inside a transaction that then commits."""
import asyncio

import asyncpg

from streaming_common import HALF, MARKS_DDL, QUERY, Summary, main


async def astep(result, name, fn):
    try:
        result[name] = {"value": await fn()}
    except Exception as e:  # every failure is an outcome the test asserts
        result[name] = {"error": {"sqlstate": getattr(e, "sqlstate", None), "message": f"{type(e).__name__}: {e}"}}


async def workload(target):
    result = {}
    conn = await asyncpg.connect(host=target["host"], port=target["port"], user=target["user"], database=target["database"], timeout=10)

    async def setup():
        await conn.execute(MARKS_DDL)

    async def cursor():
        s = Summary()
        async with conn.transaction():
            async for r in conn.cursor(QUERY, prefetch=500):
                s.add(r)
        return {**s.value(), "after": await conn.fetchval("select 1")}

    async def cursor_abandoned():
        s = Summary()
        async with conn.transaction():
            await conn.execute("insert into streaming_marks values ($1)", "cursor")
            async for r in conn.cursor(QUERY, prefetch=500):
                s.add(r)
                if s.count == HALF:
                    break
            after = await conn.fetchval("select 1")
        committed = await conn.fetchval("select count(*) from streaming_marks where habit = 'cursor'")
        return {"read": s.count, "last_read": s.last, "after": after, "committed": committed}

    await astep(result, "setup", setup)
    await astep(result, "cursor", cursor)
    await astep(result, "cursor_abandoned", cursor_abandoned)
    await conn.close()
    return result


if __name__ == "__main__":
    main(lambda target: asyncio.run(workload(target)))
