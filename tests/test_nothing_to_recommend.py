"""Who has nothing left to recommend, found for a whole list at once, against the brute-force
reference (tests/recommend_reference.py) and against drafting, over random small shops.

The shops mix lines keyed by SKU and by product name alone (a name may equal another
product's SKU), cancelled and guest orders, old orders outside the bestsellers' year, and
more products than there are bestsellers.
"""

from __future__ import annotations

import csv
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from core import recommend
from core.compose.context import RECOMMENDATIONS
from core.demo import DEMO_SETTINGS
from core.importers import import_file
from core.recommend import BESTSELLERS
from core.store import Store, open_store
from tests.compose_support import TODAY, composer_for, decided_by_drafting, write_picks
from tests.recommend_reference import PlainOrder, recommendations

PRODUCTS = [f"P{number}" for number in range(BESTSELLERS + 3)]
COLUMNS = ["order_id", "ordered_at", "total", "refunded", "status", "customer_id", "email",
           "sku", "product", "quantity", "price"]  # fmt: skip


@dataclass(frozen=True)
class Line:
    sku: str | None
    product: str

    @property
    def key(self) -> str:
        return self.sku or self.product  # coalesce(sku, product)


@dataclass(frozen=True)
class Order:
    customer: int  # 0: a guest without an address
    cancelled: bool
    days_ago: int
    lines: tuple[Line, ...]


@st.composite
def shops(draw: st.DrawFn) -> list[Order]:
    products = PRODUCTS[: draw(st.sampled_from([1, 2, 3, 5, len(PRODUCTS)]))]
    line = st.builds(
        lambda key, by_sku, name: Line(key, name) if by_sku else Line(None, key),
        st.sampled_from(products),
        st.booleans(),
        st.sampled_from(products),  # a name that is another product's SKU
    )
    everything = st.lists(st.booleans(), min_size=len(products), max_size=len(products)).map(
        lambda by_sku: tuple(
            Line(key, key) if sku else Line(None, key)
            for key, sku in zip(products, by_sku, strict=True)
        )
    )  # a collector's order: every product at once
    order = st.builds(
        Order,
        st.integers(0, 6),
        st.booleans() if draw(st.booleans()) else st.just(False),
        st.integers(0, 700),  # the bestsellers are the last year's
        st.lists(line, min_size=1, max_size=6).map(tuple) | everything,
    )
    return draw(st.lists(order, min_size=1, max_size=30))


def import_shop(orders: list[Order], folder: Path) -> Store:
    """Customers' orders imported from a generic CSV; guests' orders (which that format
    refuses) added as a POS import stores them, without a customer."""
    path = folder / "orders.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for number, order in enumerate(orders, start=1000):
            for line in order.lines:
                if order.customer:
                    writer.writerow(
                        [number, day_of(order).isoformat(), f"{len(order.lines)}.00", "0",
                         "cancelled" if order.cancelled else "paid",
                         f"C{order.customer}", f"c{order.customer}@example.com",
                         line.sku or "", line.product, 1, "1.00"]
                    )  # fmt: skip
    store = open_store(":memory:")
    if any(order.customer for order in orders):
        result = import_file(store, path, "orders")
        assert result.rows_rejected == 0, result.errors
    with store.write() as conn:
        conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?)", DEMO_SETTINGS.items())
        for number, order in enumerate(orders, start=1000):
            if not order.customer:
                add_guest_order(conn, number, order)
    return store


def day_of(order: Order) -> date:
    return TODAY - timedelta(days=order.days_ago)


def add_guest_order(conn: sqlite3.Connection, number: int, order: Order) -> None:
    day = day_of(order)
    oid = conn.execute(
        "INSERT INTO orders(external_id, ordered_at, order_day, total, cancelled, source, "
        "fingerprint, imported_at) VALUES (?, ?, ?, ?, ?, 'test', 0, '2026-11-05') RETURNING id",
        (f"G{number}", day.isoformat(), day.toordinal(), 100 * len(order.lines), order.cancelled),
    ).fetchone()[0]
    conn.executemany(
        "INSERT INTO order_lines(order_id, position, sku, product, quantity, unit_price) "
        "VALUES (?, ?, ?, ?, 1, 100)",
        [(oid, position, line.sku, line.product) for position, line in enumerate(order.lines)],
    )


def by_brute_force(store: Store, orders: list[Order], ids: list[int]) -> set[int]:
    """Who the brute-force reference (tests/recommend_reference.py) gives nothing: only
    someone who bought every bestseller, and has no complement nor reminder due."""
    customer_ids = {
        int(label[1:]): cid for cid, label in store.execute("SELECT id, external_id FROM customers")
    }
    plain = [
        PlainOrder(number, customer_ids[order.customer] if order.customer else None,
                   order.cancelled, day_of(order).toordinal(),
                   tuple(line.key for line in order.lines))
        for number, order in enumerate(orders, start=1000)
    ]  # fmt: skip
    today = TODAY.toordinal()
    return {cid for cid in ids if not recommendations(plain, today, cid, RECOMMENDATIONS)}


@settings(max_examples=50, deadline=None)
@given(shops())
def test_the_whole_list_query_agrees_with_each_customers_check(orders: list[Order]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = import_shop(orders, Path(tmp))
        template = write_picks(Path(tmp) / "templates")
        composer = composer_for(store, Path(tmp) / "templates")
        ids = [cid for (cid,) in store.execute("SELECT id FROM customers ORDER BY id")]
        ids += [ids[0], 9999] if ids else [9999]  # someone twice, someone unknown
        expected = by_brute_force(store, orders, ids)
        for whole_shop_from in (0, 10_000):  # a pass over every customer, or a few looked up
            with mock.patch.object(recommend, "WHOLE_SHOP_FROM", whole_shop_from):
                assert composer.nothing_to_recommend(ids) == expected
                exact = composer.exact_recipients(composer.recipients(ids, template), template)
            assert [r.reason for r in exact] == decided_by_drafting(composer, ids, template)
        store.close()
