"""Segment speed on the 1,000,000-order shop: counts, a custom filter, a customer page.

Targets (issue 4): all segment counts <= 1.5 s; a custom segment query <= 0.5 s;
`customers --segment X --limit 50` <= 0.3 s.

    python bench/bench_segments.py [--db bench/out/shop.db] [--csv shop_1m.csv]

The shop DB is shared with other benchmarks: built once from bench/make_shop.py's CSV when
absent (imported under a temporary name, then linked into place, so two builders never
clobber each other), and never written to. The custom segments are saved in a private copy.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from common import ROOT, SHOP_CSV, SHOP_DB, backup_copy, shop_db

sys.path.insert(0, str(ROOT))

from core.rfm_cuts import save_cuts
from core.segments import (
    add_segment,
    count_matching,
    customer_rows,
    list_segments,
    segment_customer_ids,
)
from core.store import Store, open_store

CUSTOM = {
    "Lapsed DACH repeaters":
        'orders >= 2 and days_since_last_order > 180 and country in ("DE", "AT")',
    "Big or wholesale": 'spent > 500 or "wholesale" in tags',
    "German at risk": 'segment = "At Risk" and language = "de"',
    "Bought SKU-012": 'bought("SKU-012")',
}  # fmt: skip
PAGE_SEGMENT = "At Risk"


def timed(label: str, action: Callable[[], object], repeat: int, target: float | None) -> float:
    times = []
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    best, median = min(times), statistics.median(times)
    verdict = "" if target is None else ("  ok" if median <= target else "  OVER TARGET")
    limit = "" if target is None else f" (target {target:.2f} s)"
    print(f"{label:<58} median {median:6.3f} s  best {best:6.3f} s{limit}{verdict}"
          f"  -> {describe(result)}")  # fmt: skip
    return median


def describe(result: object) -> str:
    if isinstance(result, list):
        return f"{len(result):,} items"
    if isinstance(result, subprocess.CompletedProcess):
        return f"{len(result.stdout):,} bytes of output"
    if isinstance(result, int):
        return f"{result:,}"
    return str(result)[:40]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=SHOP_DB)
    parser.add_argument("--csv", type=Path, default=SHOP_CSV)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shop_db(args.db, args.csv)
    with tempfile.TemporaryDirectory(dir=args.db.parent) as folder:
        db = backup_copy(args.db, Path(folder) / "segments-bench.db", migrate=False)
        store = open_store(db)
        for name, expression in CUSTOM.items():
            add_segment(store, name, expression)
        with store.write() as conn:  # what an import by this version leaves behind
            save_cuts(conn)
        customers = store.scalar("SELECT count(*) FROM customers")
        orders = store.scalar("SELECT count(*) FROM orders")
        print(f"shop: {orders:,} orders, {customers:,} customers, "
              f"{len(CUSTOM)} custom segments; sqlite {sqlite3.sqlite_version}")  # fmt: skip
        store.close()
        run(db, args.repeat)


def run(db: Path, repeat: int) -> None:
    def cold(action: Callable[[Store], object]) -> Callable[[], object]:
        """A fresh connection each time: nothing cached, as in a new CLI process."""

        def call() -> object:
            with open_store(db) as fresh:
                return action(fresh)

        return call

    def page(store: Store) -> object:
        return customer_rows(store, segment=PAGE_SEGMENT, limit=50)

    def top_spenders(store: Store) -> object:
        return customer_rows(store, sort="spent", descending=True, limit=50)

    def lapsed_audience(store: Store) -> object:
        return segment_customer_ids(store, "lapsed", marketing=True)

    def counts_in_june(store: Store) -> object:
        return list_segments(store, date(2025, 6, 30))

    print("\n-- cold: a new connection per call (what a CLI command pays)")
    timed("all segment counts (list_segments)", cold(list_segments), repeat, 1.5)
    for name, expression in CUSTOM.items():
        query = cold(lambda s, e=expression: count_matching(s, e))
        timed(f"custom query: {name}", query, repeat, 0.5)
    timed(f"customer_rows(segment={PAGE_SEGMENT!r}, limit=50)", cold(page), repeat, 0.3)
    timed("customer_rows(sort=-spent, limit=50)", cold(top_spenders), repeat, None)
    timed("segment_customer_ids('lapsed', marketing=True)", cold(lapsed_audience), repeat, None)
    timed("all segment counts as of 2025-06-30 (TEMP stats)", cold(counts_in_june), repeat, None)

    print("\n-- warm: one open store, snapshot cached (the app after its first call)")
    with open_store(db) as store:
        list_segments(store)
        timed("all segment counts (list_segments)", lambda: list_segments(store), repeat, 1.5)
        for name, expression in CUSTOM.items():
            query = lambda e=expression: count_matching(store, e)  # noqa: E731
            timed(f"custom query: {name}", query, repeat, 0.5)
        timed(f"customer_rows(segment={PAGE_SEGMENT!r}, limit=50)", lambda: page(store),
              repeat, 0.3)  # fmt: skip

    print("\n-- subprocess: the whole CLI command, interpreter start and imports included")
    for label, args, target in (
        ("retain-tui --version (start-up alone)", ["--version"], None),
        (f"retain-tui customers --segment {PAGE_SEGMENT!r} --limit 50 --json",
         ["customers", "--segment", PAGE_SEGMENT, "--limit", "50", "--json", "--db", str(db)],
         0.3),
        ("retain-tui segments --json", ["segments", "--json", "--db", str(db)], 1.5),
    ):  # fmt: skip
        command = [sys.executable, "-m", "tui", *args]
        run_it = lambda c=command: subprocess.run(c, cwd=ROOT, check=True, capture_output=True)  # noqa: E731
        timed(label, run_it, repeat, target)


if __name__ == "__main__":
    main()
