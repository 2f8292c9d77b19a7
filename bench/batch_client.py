"""Bench client for bench/batch-insert.ts: loads rows into bench_batch with psycopg 3 (default
options: one transaction, committed) and prints the milliseconds the load took (connection
excluded). Mode `many`: one executemany; mode `each`: one execute per row, in autocommit."""
import decimal
import sys
import time
from datetime import datetime, timedelta, timezone

import psycopg

conninfo, mode, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
data = [(i, f"item {i} of the bench", decimal.Decimal(i) * decimal.Decimal("1.25"), START + timedelta(seconds=61 * i),
         i % 3 == 0, None if i % 7 == 0 else i * 3) for i in range(1, rows + 1)]
SQL = "insert into bench_batch (id, label, amount, at, flag, extra) values (%s, %s, %s, %s, %s, %s)"
with psycopg.connect(conninfo, autocommit=(mode == "each")) as conn:
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        if mode == "many":
            cur.executemany(SQL, data)
        else:
            for row in data:
                cur.execute(SQL, row)
    conn.commit()
    print(round((time.perf_counter() - t0) * 1000, 1))
