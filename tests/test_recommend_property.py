"""The recommendations' precomputed tables and lists against a brute-force computation, on
random shops built by a random sequence of imports (re-imports change an order's lines,
status and customer), at the latest date (the kept tables) and at a past one (rebuilt)."""

from __future__ import annotations

import csv
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.compose.reorder import reorder_products
from core.importers import import_file
from core.recommend import Recommender, Rules
from core.store import Store, open_store
from tests.recommend_reference import PlainOrder, customer_products, recommendations, sums

TODAY = date(2026, 11, 5)
KEYS = ["A", "B", "C", "D", "E"]
COLUMNS = ["order_id", "ordered_at", "total", "refunded", "status", "customer_id", "email",
           "sku", "product", "quantity", "price"]  # fmt: skip
SMALL_SHOP = Rules(min_support=2, reorder_min_buyers=2, reorder_min_percent=20)
"""Thresholds a shop of a few customers can reach, so every kind shows up."""

line = st.tuples(st.sampled_from(KEYS), st.booleans())  # (key, by SKU or by name alone)
order = st.builds(
    lambda number, customer, cancelled, days_ago, lines: (number, customer, cancelled,
                                                          days_ago, tuple(lines)),
    st.integers(1000, 1015),
    st.integers(1, 5),
    st.booleans() | st.just(False),
    st.integers(0, 400),
    st.lists(line, min_size=1, max_size=4),
)  # fmt: skip
imports = st.lists(st.lists(order, min_size=1, max_size=12), min_size=1, max_size=4)


def write_batch(path: Path, batch: list[tuple]) -> dict[int, tuple]:
    """One import file; an order number given twice in it keeps its last version."""
    latest = {entry[0]: entry for entry in batch}
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for number, customer, cancelled, days_ago, lines in latest.values():
            day = TODAY - timedelta(days=days_ago)
            for key, by_sku in lines:
                writer.writerow(
                    [number, day.isoformat(), f"{len(lines)}.00", "0",
                     "cancelled" if cancelled else "paid", f"C{customer}",
                     f"c{customer}@example.com", key if by_sku else "",
                     f"Name {key}" if by_sku else key, 1, "1.00"]
                )  # fmt: skip
    return latest


def import_all(batches: list[list[tuple]], folder: Path) -> tuple[Store, list[PlainOrder]]:
    store = open_store(":memory:")
    final: dict[int, tuple] = {}
    for number, batch in enumerate(batches):
        path = folder / f"orders-{number}.csv"
        final.update(write_batch(path, batch))
        result = import_file(store, path, "orders")
        assert result.rows_rejected == 0, result.errors
    ids = {label: cid for cid, label in store.execute("SELECT id, external_id FROM customers")}
    orders = [
        PlainOrder(number, ids[f"C{customer}"], cancelled,
                   (TODAY - timedelta(days=days_ago)).toordinal(),
                   tuple(key for key, _ in lines))
        for number, customer, cancelled, days_ago, lines in final.values()
    ]  # fmt: skip
    return store, orders


def stored_tables(store: Store) -> tuple[dict, dict, dict, dict, object]:
    held = {
        (cid, key): (first, last, n, days)
        for cid, key, first, last, n, days in store.execute(
            "SELECT customer_id, key, first_day, last_day, orders, days FROM customer_products"
        )
    }
    products = {
        k: (b, r)
        for k, b, r in store.execute("SELECT key, buyers, repeaters FROM recommend_products")
    }
    pairs = {(a, b): n for a, b, n in store.execute("SELECT * FROM recommend_pairs")}
    intervals = {(k, i): n for k, i, n in store.execute("SELECT * FROM recommend_intervals")}
    customers = store.scalar("SELECT customers FROM recommend_customers")
    return held, products, pairs, intervals, customers


def expected_tables(orders: list[PlainOrder]) -> tuple[dict, dict, dict, dict, object]:
    held = customer_products(orders, TODAY.toordinal())
    total = sums(held)
    flat = {
        (cid, key): (item.first, item.last, item.orders, item.days)
        for cid, products in held.items()
        for key, item in products.items()
    }
    products = {key: (total.buyers[key], total.repeaters[key]) for key in total.buyers}
    intervals: dict[tuple[str, int], int] = {}
    for key, values in total.intervals.items():
        for value in values:
            intervals[(key, value)] = intervals.get((key, value), 0) + 1
    return flat, products, dict(total.pairs), intervals, len(held)


@settings(max_examples=60, deadline=None)
@given(imports)
def test_the_kept_tables_equal_a_brute_force_count_after_any_sequence_of_imports(
    batches: list[list[tuple]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, orders = import_all(batches, Path(tmp))
        assert stored_tables(store) == expected_tables(orders)
        store.close()


@settings(max_examples=40, deadline=None)
@given(imports, st.sampled_from([0, 30, 120]), st.integers(1, 6))
def test_recommendations_equal_the_reference_and_never_repeat_a_purchase(
    batches: list[list[tuple]], days_back: int, count: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, orders = import_all(batches, Path(tmp))
        as_of = TODAY - timedelta(days=days_back)
        recommender = Recommender(store, as_of, SMALL_SHOP)
        customers = sorted({order.customer for order in orders if order.customer})
        found = recommender.for_customers([*customers, 9999], count)
        held = customer_products(orders, as_of.toordinal())
        for cid in [*customers, 9999]:
            got = [(item.key, item.kind) for item in found[cid]]
            expected = recommendations(orders, as_of.toordinal(), cid, count, SMALL_SHOP)
            assert got == [(key, kind) for key, kind, _ in expected]
            for item in found[cid]:
                if item.kind != "replenish":
                    assert item.key not in held.get(cid, {})  # never a product they bought
        # The reorder evidence is win-back's (core/compose/reorder.py), read from the kept sums.
        shares = reorder_products(store, as_of, SMALL_SHOP.reorder_min_percent,
                                  SMALL_SHOP.reorder_min_buyers)  # fmt: skip
        assert recommender.evidence.reordered == set(shares)
        nothing = {cid for cid in [*customers, 9999] if not found[cid]}
        assert recommender.nothing_to_recommend([*customers, 9999]) == nothing
        store.close()
