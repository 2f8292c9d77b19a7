# asyncpg with its defaults (every query a named prepared statement) reconnecting through
# aurora-pg-proxy with --reuse-connections, as an application connecting per request does.
# Usage: reuse_asyncpg.py <host> <port> <rounds>. Prints KEY=value lines for
# test/integration/dsql-reuse-clients.test.ts.
import asyncio
import sys

import asyncpg


async def main(host: str, port: int, rounds: int) -> None:
    for _ in range(rounds):
        conn = await asyncpg.connect(host=host, port=port, user="admin", database="postgres", ssl=False)
        try:
            # What the previous round set must not be seen here.
            print(f"STATEMENT_TIMEOUT={await conn.fetchval('show statement_timeout')}")
            await conn.execute("set statement_timeout = '77s'")
            print(f"SUM={await conn.fetchval('select $1::int + 1', 41)}")
            print(f"PID={await conn.fetchval('select pg_backend_pid()')}")
        finally:
            await conn.close()
    print("DONE=ok")


asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
