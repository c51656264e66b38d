"""Benchmark loyalty balances for every customer of the 1M-order shop (issue 15: <= 1 s).

    python bench/bench_loyalty.py

On a private copy of the bench shop (bench/common.py): `balances()` for all customers as of
the latest order, with the default rules and with expiry on (12 months; both read the kept
rows in one pass), and the same with every status read (they are made when read); the
`loyalty` report with and without expiry; a segment count over `points` and `tier`;
rebuilding the kept points after a rule change; and the points of 1,000 customers (a
campaign chunk).
"""

from __future__ import annotations

import statistics
import sys
import time

from common import ROOT, private_copy, shop_db

sys.path.insert(0, str(ROOT))

from core.as_of import latest_order_date
from core.loyalty import balances, loyalty_report
from core.segments import count_matching
from core.shop_settings import set_setting, unset_setting
from core.store import open_store

RUNS = 5
TARGET_SECONDS = 1.0


def timed(label: str, work, runs: int = RUNS) -> tuple[float, float]:
    """Prints wall and CPU time (the machine may be shared: CPU time is what the work costs);
    returns the best and the median wall time."""
    times, cpu = [], []
    result = None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = work()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    size = f" ({len(result):,} rows)" if hasattr(result, "__len__") else f" ({result})"
    print(f"{label}: wall median {statistics.median(times):.3f} s, best {min(times):.3f} s; "
          f"CPU best {min(cpu):.3f} s{size}", flush=True)  # fmt: skip
    return min(times), statistics.median(times)


def main() -> None:
    db = private_copy(shop_db(), "loyalty-bench.db")
    with open_store(db) as store:
        as_of = latest_order_date(store)
        assert as_of is not None
        customers = store.scalar("SELECT count(*) FROM customers")
        orders = store.scalar("SELECT count(*) FROM orders")
        print(f"shop: {orders:,} orders, {customers:,} customers, as of {as_of}")
        timed("a rule change (points per 1.00: 11) rebuilding the kept points",
              lambda: set_setting(store, "loyalty.points_per_unit", "11"), runs=1)  # fmt: skip
        unset_setting(store, "loyalty.points_per_unit")
        all_default = timed(
            "balances, all customers, default rules", lambda: balances(store, as_of)
        )
        timed(
            "balances, all customers, default rules, every status read",
            lambda: list(balances(store, as_of).values()),
        )
        timed("a rule change (expiry: 12 months) rebuilding the kept points",
              lambda: set_setting(store, "loyalty.expiry_months", "12"), runs=1)  # fmt: skip
        all_expiry = timed(
            "balances, all customers, expiry 12 months", lambda: balances(store, as_of)
        )
        timed(
            "balances, all customers, expiry 12 months, every status read",
            lambda: list(balances(store, as_of).values()),
        )
        timed(
            "loyalty report, expiry 12 months",
            lambda: loyalty_report(store, as_of).members,
            runs=3,
        )
        unset_setting(store, "loyalty.expiry_months")
        timed(
            "loyalty report (members and points per tier)",
            lambda: loyalty_report(store, as_of).members,
            runs=3,
        )
        some = [
            row[0] for row in store.execute("SELECT id FROM customers ORDER BY random() LIMIT 1000")
        ]
        timed("balances of 1,000 customers", lambda: balances(store, as_of, some))
        timed(
            "segment count: points >= 500", lambda: count_matching(store, "points >= 500"), runs=3
        )
        timed(
            'segment count: tier = "Gold"', lambda: count_matching(store, 'tier = "Gold"'), runs=3
        )
    for label, (best, median) in (("default rules", all_default),
                                  ("expiry 12 months", all_expiry)):  # fmt: skip
        verdict = "OK" if median <= TARGET_SECONDS else "OVER"
        print(f"all customers' balances ({label}): wall best {best:.3f} s, median "
              f"{median:.3f} s against {TARGET_SECONDS:.1f} s (median): {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
