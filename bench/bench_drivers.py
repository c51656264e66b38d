"""What brings customers back, on the 1,000,000-order shop: `products --json` and `drivers
--json` (by code and by month), timed as whole commands, with the figures they print.

    python bench/bench_drivers.py [--db bench/out/shop.db] [--runs 3]

The shop is bench/make_shop.py's (a welcome code on one first order in five, in mixed case,
and other codes), shared with the other benchmarks and only read here (a shop of an older
schema is upgraded once by the first command). No target is set by the issue; the figures
are for the record in docs/drivers.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from common import SHOP_CSV, SHOP_DB, shop_db, timed_command

COMMANDS = (
    ("products --json", ["products", "--json"]),
    ("drivers --json (by code)", ["drivers", "--json"]),
    ("drivers --by month --json", ["drivers", "--by", "month", "--json"]),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=SHOP_DB)
    parser.add_argument("--csv", type=Path, default=SHOP_CSV)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    db = shop_db(args.db, args.csv)
    outputs = {}
    for label, command in COMMANDS:
        timings, peaks = [], []
        for _ in range(args.runs):
            seconds, peak, out = timed_command(
                [sys.executable, "-m", "tui", *command, "--db", str(db)]
            )
            timings.append(seconds)
            peaks.append(peak)
            outputs[label] = json.loads(out)
        print(f"{label:<28} best {min(timings):6.2f} s  median {statistics.median(timings):6.2f} s"
              f"  over {args.runs} runs, peak {max(peaks)} MB")  # fmt: skip

    products = outputs["products --json"]
    print(f"\nproducts as of {products['as_of']}: {len(products['products'])}; the top five by "
          "first-order customers:")  # fmt: skip
    for row in products["products"][:5]:
        print(
            f"  {row['key']:<10} first-order customers {row['first_order_customers']:>7,}  "
            f"repeat {row['repeat_rate']:>7} %  revenue/customer {row['revenue_per_customer']:>8}"
            f"  reorder {row['reorder_rate']:>7} %  days {row['median_reorder_days']}"
        )
    for label in ("drivers --json (by code)", "drivers --by month --json"):
        groups = outputs[label]["groups"]
        print(f"\n{label}: {len(groups)} groups")
        for row in groups[:6]:
            name = "no code" if row["group"] is None else row["group"]
            print(f"  {name:<12} customers {row['customers']:>8,}  repeat {row['repeat_rate']:>7} %"
                  f"  revenue/customer {row['revenue_per_customer']:>8}  after the first "
                  f"{row['revenue_after_first_per_customer']:>8}")  # fmt: skip


if __name__ == "__main__":
    main()
