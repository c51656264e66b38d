"""An incremental import into the 1M-order shop: the whole `import orders` command, timed.

Issue 18's targets: 10,000 new orders <= 1.5 s and 1,000 new orders <= 0.6 s, wall clock of
`python -m tui import orders FILE --db COPY --json` (interpreter start, reading, merging,
closing), into the bench shop (bench/common.py; no stored predictions, so no refit).

    python bench/bench_incremental.py [--runs 5] [--sizes 1000 10000]

The order files are written once (bench/common.py's `new_orders`: a third from customers
the shop does not know yet, the rest from its customers, dated after its last order) into
`$RETAIN_BENCH_DATA`. Each run imports into a FRESH copy of the migrated shop (the copy,
synced to disk, is not timed). Prints best and median wall, CPU (user+sys of the child),
peak RSS and the `merge_seconds` the import reports; the machine is shared, so read CPU next
to wall. One untimed run first writes the bytecode (as an installed copy has it) and caches
the files.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA, ROOT, new_orders, private_copy, shop_db

sys.path.insert(0, str(ROOT))

TARGETS = {1_000: 0.6, 10_000: 1.5}
NEW_CUSTOMERS = 1 / 3
SEED = 18
# An installed copy runs from compiled bytecode: a PYTHONDONTWRITEBYTECODE in the caller's
# environment would add ~60 ms of compiling the sources to every run.
CHILD_ENV = {name: value for name, value in os.environ.items()
             if name != "PYTHONDONTWRITEBYTECODE"}  # fmt: skip


def orders_file(shop: Path, count: int) -> Path:
    """The file of `count` new orders for `shop`, written on first use."""
    path = DATA / f"incremental_{count}.csv"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        new_orders(shop, tmp, count, seed=SEED, new_share=NEW_CUSTOMERS)
        tmp.replace(path)
    return path


def import_once(shop: Path, orders: Path, folder: Path) -> tuple[float, float, int, float]:
    """(wall s, CPU s, peak MB, merge_seconds) of one import into a fresh copy of `shop`."""
    copy = Path(shutil.copyfile(shop, folder / "shop.db"))
    # On disk before the clock starts: else the import's checkpoint (which syncs the file)
    # would also write back the 540 MB the copy left in the page cache, which no owner's
    # shop has pending (it added 0.1-0.25 s, varying with the kernel's writeback).
    with copy.open("rb+") as written:
        os.fsync(written.fileno())
    command = [sys.executable, "-m", "tui", "import", "orders", str(orders), "--db", str(copy),
               "--json"]  # fmt: skip
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, env=CHILD_ENV)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{err.read().decode()[-2000:]}")
        summary = json.loads(out.read())
    for leftover in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
        leftover.unlink(missing_ok=True)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, summary["merge_seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=sorted(TARGETS))
    args = parser.parse_args()
    shop = private_copy(shop_db(), "incremental-base.db")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| new orders | runs | wall best s | wall median s | CPU best s | CPU median s "
          "| peak MB | merge median s | target s |\n" + "|---" * 9 + "|")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-incremental-", dir=DATA) as name:
        for count in args.sizes:
            orders = orders_file(shop, count)
            import_once(shop, orders, Path(name))  # untimed: bytecode written, file cached
            runs = [import_once(shop, orders, Path(name)) for _ in range(args.runs)]
            walls, cpus, peaks, merges = zip(*runs, strict=True)
            target = TARGETS.get(count)
            verdict = (
                "" if target is None else f"{target:g} ({'ok' if min(walls) <= target else 'OVER'})"
            )
            print(f"| {count:,} | {args.runs} | {min(walls):.3f} | "
                  f"{statistics.median(walls):.3f} | {min(cpus):.3f} | "
                  f"{statistics.median(cpus):.3f} | {max(peaks):,} | "
                  f"{statistics.median(merges):.3f} | {verdict} |", flush=True)  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
