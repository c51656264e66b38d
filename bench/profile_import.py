"""Where an import's merge spends its time, statement by statement (issue 18's tool).

    python bench/profile_import.py FILE                 # a first import into an empty shop
    python bench/profile_import.py FILE --into SHOP.db  # into a copy of SHOP (incremental)

Prints the import's reading and merging seconds, then the statements of the merge (the part
that holds the write lock) by the time until the next statement began, summed over their
executions. A trigger's statements are reported as they run; an `executemany` counts once
per row, and the trace itself costs about a microsecond a statement, so read many small
statements' sums as upper bounds. The shop written is a temporary file, deleted at exit.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from common import ROOT, backup_copy

sys.path.insert(0, str(ROOT))

from core.importers import import_file, loader
from core.store import open_store

Timings = dict[str, list[float]]  # statement -> [seconds, executions]


def traced_apply(timings: Timings, conn: sqlite3.Connection) -> Callable[..., object]:
    """`Staging.apply` with every statement it runs timed into `timings`."""
    apply = loader.Staging.apply

    def run(self: loader.Staging, **options: object) -> object:
        last = [time.perf_counter(), ""]

        def trace(sql: str) -> None:
            now = time.perf_counter()
            if last[1]:
                entry = timings[last[1]]
                entry[0] += now - last[0]
                entry[1] += 1
            last[0], last[1] = now, " ".join(sql.split())[:110]

        conn.set_trace_callback(trace)
        try:
            return apply(self, **options)
        finally:
            trace("")
            conn.set_trace_callback(None)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--into", type=Path, help="a shop to import into a copy of")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profile-import-") as folder:
        db = Path(folder) / "shop.db"
        if args.into:
            backup_copy(args.into, db)
        store = open_store(db, create=not args.into)
        timings: Timings = defaultdict(lambda: [0.0, 0])
        loader.Staging.apply = traced_apply(timings, store.conn)  # type: ignore[method-assign]
        started = time.perf_counter()
        result = import_file(store, args.file, "orders")
        store.close()
        total = time.perf_counter() - started
    print(f"{result.rows_read:,} rows: {total:.2f} s in all, merge {result.merge_seconds:.2f} s "
          f"(the rest: reading, staging and closing)")  # fmt: skip
    print("| seconds | runs | statement |\n|---:|---:|---|")
    ranked = sorted(timings.items(), key=lambda item: -item[1][0])
    for statement, (seconds, runs) in ranked[: args.top]:
        print(f"| {seconds:.3f} | {runs:,} | `{statement}` |")


if __name__ == "__main__":
    main()
