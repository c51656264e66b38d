"""Benchmark a large shop's first import: 1,000,000 orders into an empty store (issue 18).

    python bench/bench_first_import.py [--runs 3] [--baseline CHECKOUT] [--csv PATH]

Imports the bench shop's generic CSV (bench/common.py; 1,000,000 orders from about 350,000
customers) into a new database, `--runs` times, with the `import orders` command exactly as
an owner runs it, and prints per run the wall, CPU (user + system) and peak memory of the
command, its orders per second and the `merge_seconds` it reports.

`--baseline` names another checkout of retain-tui (e.g. `git worktree add /tmp/before
<commit>`): its import runs back to back with this one, alternating, so both see the same
machine, and the ratio of the best times is printed. The machine may be shared: CPU time is
what the work costs; wall time is what the owner waits.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from common import ROOT, SHOP_CSV, shop_csv

ISSUE_RATIO = 3.0
ISSUE_PEAK_MB = 600


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: int
    merge: float
    orders: int


def import_once(checkout: Path, csv_path: Path, db: Path) -> Run:
    """One `import orders` of `csv_path` into the new database `db`, run from `checkout`."""
    command = ["/usr/bin/time", "-f", "%e %U %S %M", sys.executable, "-m", "tui", "import",
               "orders", str(csv_path), "--format", "generic", "--db", str(db),
               "--json"]  # fmt: skip
    result = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"import from {checkout} failed:\n{result.stderr[-2000:]}")
    wall, user, system, peak_kb = result.stderr.strip().splitlines()[-1].split()
    summary = json.loads(result.stdout)
    return Run(float(wall), float(user) + float(system), int(peak_kb) // 1024,
               summary["merge_seconds"], summary["orders_added"])  # fmt: skip


def describe(label: str, runs: list[Run]) -> str:
    walls = [run.wall for run in runs]
    best = min(runs, key=lambda run: run.wall)
    return (
        f"{label}: wall best {best.wall:.1f} s, median {statistics.median(walls):.1f} s "
        f"({best.orders / best.wall:,.0f} orders/s); CPU best {min(r.cpu for r in runs):.1f} s; "
        f"merge {best.merge:.1f} s; peak memory {max(r.peak_mb for r in runs)} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout")
    parser.add_argument("--csv", type=Path, default=SHOP_CSV)
    args = parser.parse_args()
    csv_path = shop_csv(args.csv)
    checkouts = {"this checkout": ROOT}
    if args.baseline is not None:
        checkouts["baseline " + str(args.baseline)] = args.baseline.resolve()
    runs: dict[str, list[Run]] = {label: [] for label in checkouts}
    with tempfile.TemporaryDirectory(prefix="retain-first-import-") as scratch:
        for number in range(args.runs):
            for label, checkout in checkouts.items():
                db = Path(scratch) / f"run{number}-{len(runs[label])}-{checkout.name}.db"
                run = import_once(checkout, csv_path, db)
                runs[label].append(run)
                print(f"  run {number + 1} {label}: {run.wall:.1f} s wall, {run.cpu:.1f} s CPU, "
                      f"{run.peak_mb} MB", flush=True)  # fmt: skip
                for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                    path.unlink(missing_ok=True)
    print(f"first import of {csv_path.name}:")
    for label, done in runs.items():
        print("  " + describe(label, done))
    if args.baseline is not None:
        ours, theirs = (
            runs["this checkout"],
            next(v for k, v in runs.items() if k != "this checkout"),
        )
        ratio = min(r.wall for r in theirs) / min(r.wall for r in ours)
        cpu_ratio = min(r.cpu for r in theirs) / min(r.cpu for r in ours)
        print(f"  speed-up: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (issue 18: >= {ISSUE_RATIO}x, "
              f"peak <= {ISSUE_PEAK_MB} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
