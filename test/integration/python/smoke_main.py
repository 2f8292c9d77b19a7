"""Shared entry point of the psycopg smoke scripts: run(conninfo) -> dict, printed as JSON.

The tests read the JSON, so every failure becomes JSON too (with its SQLSTATE when it has one).
"""
import json
import sys


def smoke_main(run, script_name):
    if len(sys.argv) != 2:
        print(json.dumps({"error": f"usage: {script_name} <conninfo>"}))
        sys.exit(2)
    try:
        result = run(sys.argv[1])
    except Exception as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}", "sqlstate": getattr(e, "sqlstate", None)}))
        sys.exit(1)
    print(json.dumps(result))
