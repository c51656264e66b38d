"""The import of 10,000 new orders into the 1M-order shop, with and without a due refit.

Since issue 16's remainder an import refits the stored predictions once the orders run
`predict.refit_after_days` (7) past the fit (core/predict/refit.py). This measures what that
costs a daily import: a private copy of the shop is fitted once (`predict`), then the same
10,000 orders (bench/common.py's `new_orders`: 11 days after the last one, customers of the
shop) are imported into one copy
with the refit due and into another with `--no-refit`.

    python bench/bench_refit.py [--db SHOP.db] [--orders 10000]   # default: bench/common.py's shop

Prints wall, user and system seconds and peak memory per command (/usr/bin/time).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, backup_copy, new_orders, shop_db

sys.path.insert(0, str(ROOT))


def timed(args: list[str]) -> tuple[float, float, float, int, str]:
    """(wall, user, sys seconds, peak MB, stdout) of one command."""
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", *args],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stderr[-2000:]}")
    wall, user, system, peak = result.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user), float(system), int(peak) // 1024, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="default: the bench shop")
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "tui"]
    with tempfile.TemporaryDirectory(prefix="bench-refit-") as name:
        folder = Path(name)
        fitted = backup_copy(args.db or shop_db(), folder / "fitted.db")
        rows = [("predict (the opt-in fit)", *timed([*cli, "predict", "--top", "0",
                                                       "--db", str(fitted)])[:4])]  # fmt: skip
        orders = folder / "new_orders.csv"
        new_orders(fitted, orders, args.orders)
        due = Path(shutil.copy(fitted, folder / "due.db"))
        skipped = Path(shutil.copy(fitted, folder / "skipped.db"))
        wall, user, system, peak, out = timed(
            [*cli, "import", "orders", str(orders), "--db", str(due)]
        )
        line = next(text for text in out.splitlines() if "predictions" in text)
        rows.append((f"import {args.orders:,} orders, refit due", wall, user, system, peak))
        rows.append((f"import {args.orders:,} orders, --no-refit",
                     *timed([*cli, "import", "orders", str(orders), "--no-refit",
                             "--db", str(skipped)])[:4]))  # fmt: skip
    print("| command | wall s | user s | sys s | peak MB |\n|---|---|---|---|---|")
    for label, wall, user, system, peak in rows:
        print(f"| {label} | {wall:.1f} | {user:.1f} | {system:.1f} | {peak:,} |")
    print(f"\nthe import said: {line.strip()}")


if __name__ == "__main__":
    main()
