"""Benchmark the reorder evidence of win-back's "time to reorder X?" on the 1M-order shop.

    python bench/bench_reorder.py

Times `reorder_products` (one pass over every order line: each product's buyers and those
who bought it in two or more orders), read once per compose screen or export and shared with
the export's helpers, and `suggestions` for one chunk of 500 customers and for one preview.
Target (2-core machine, otherwise idle): the pass <= 2 s; a chunk <= 50 ms.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from common import ROOT, shop_db

sys.path.insert(0, str(ROOT))

from core.as_of import resolve_as_of
from core.compose.reorder import reorder_products, suggestions
from core.store import open_store

RUNS = 3


def main() -> None:
    store = open_store(Path(shop_db()))
    as_of = resolve_as_of(store, None)
    for percent in (20, 10):  # the bench shop's 40 products: none at 20 %, all at 10 %
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            products = reorder_products(store, as_of, percent, 10)
            times.append(time.perf_counter() - started)
        print(f"reorder_products (>= {percent} %, >= 10 buyers): {len(products)} products, "
              f"best of {RUNS} {min(times):.2f} s")  # fmt: skip
    ids = [row[0] for row in store.execute("SELECT id FROM customers ORDER BY id LIMIT 500")]
    started = time.perf_counter()
    found = suggestions(store, as_of, products, ids)
    took = (time.perf_counter() - started) * 1000
    print(f"suggestions, 500 customers: {len(found)} in {took:.1f} ms")
    started = time.perf_counter()
    suggestions(store, as_of, products, ids[:1])
    print(f"suggestions, one preview: {(time.perf_counter() - started) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
