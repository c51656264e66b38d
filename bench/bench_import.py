"""Benchmark re-importing an unchanged export: how long the merge holds the write lock.

    python bench/bench_import.py [--orders 100000] [--runs 5] [--csv PATH]

A cron job re-imports the shop's export every hour; while its merge runs, every other writer
(the app recording consent, `segment add`, `config set`) waits. This writes a shop CSV with
bench/make_shop.py (100,000 orders by default, in `$RETAIN_BENCH_DATA` or bench/out/),
imports it once into a fresh database, then re-imports it `--runs` times and prints the
`merge_seconds` the import reports (`--json`): the time inside the write transaction. The
machine is shared, so the minimum and the median are printed, not one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from common import DATA, ROOT


def import_once(csv_path: Path, db: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "import", "orders", str(csv_path), "--format", "generic",
         "--db", str(db), "--json"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"import failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args()
    csv_path = args.csv or DATA / f"shop_{args.orders}.csv"
    if not csv_path.exists():
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "bench/make_shop.py", str(csv_path), "--orders", str(args.orders)],
            cwd=ROOT, check=True,
        )  # fmt: skip
    db = DATA / f"reimport_{args.orders}.db"
    for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    first = import_once(csv_path, db)
    print(f"first import: {first['seconds']:.2f} s, merge {first['merge_seconds']:.2f} s")
    merges = []
    for _ in range(args.runs):
        again = import_once(csv_path, db)
        merges.append(again["merge_seconds"])
    print(
        f"re-import of {csv_path.name}, {args.runs} runs: merge (write lock) "
        f"min {min(merges):.3f} s, median {statistics.median(merges):.3f} s "
        f"({', '.join(f'{m:.2f}' for m in merges)})"
    )


if __name__ == "__main__":
    main()
