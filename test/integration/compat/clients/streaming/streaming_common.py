"""Shared pieces of the Python streaming scripts (see streaming.test.ts for the steps and values).

Each script is run as `python3 <script> '<target json>'` and prints {step: {"value": ...} |
{"error": {...}}} as JSON, through compat_common's step() and main().
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from compat_common import main, step  # noqa: E402,F401  (re-exported for the scripts)

ROWS = 5000
QUERY = f"select g, md5(g::text) as h from generate_series(1, {ROWS}) g order by g"
# Half-way: far enough in that a client has fetched several batches, far from the end.
HALF = ROWS // 2
MARKS_DDL = "create table if not exists streaming_marks (habit text not null)"


class Summary:
    """Count, first and last rows and an order-sensitive checksum of every row seen."""

    def __init__(self):
        self.count = 0
        self.first = None
        self.last = None
        self._md5 = hashlib.md5()

    def add(self, row):
        g, h = row[0], row[1]
        if self.first is None:
            self.first = [g, h]
        self.last = [g, h]
        self.count += 1
        self._md5.update(f"{g}:{h}\n".encode())

    def value(self):
        return {"count": self.count, "first": self.first, "last": self.last, "checksum": self._md5.hexdigest()}


def summarise(rows):
    s = Summary()
    for r in rows:
        s.add(r)
    return s.value()


def take_half(rows):
    """Reads HALF rows from an iterator and stops there (the caller then closes what it read from)."""
    s = Summary()
    for r in rows:
        s.add(r)
        if s.count == HALF:
            break
    return {"read": s.count, "last_read": s.last}
