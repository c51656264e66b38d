"""Property: importing any orders file twice equals importing it once (issue 11).

Generated generic files: several lines per order, customers by id and by email (spellings
differing by case and space), guests, cancelled and refunded orders, discount codes,
consent yes/no/unknown. The first import takes the bulk path into an empty shop
(core/bulk_load.py), the second the incremental one; every row of every shop table,
timestamps included, must be as the first left it.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.importers import import_file
from core.store import open_store
from tests.conftest import committed_state

HEADER = ["order_id", "ordered_at", "customer_id", "email", "first_name", "accepts_marketing",
          "status", "total", "refunded", "discount_code", "sku", "product", "quantity",
          "price"]  # fmt: skip
EMAILS = ("anna@example.com", " Anna@Example.com", "bob@example.com", "")
CUSTOMERS = ("C1", "C2", "C3", "")

lines = st.tuples(
    st.sampled_from(["TEA-1", "MUG-2", "KETTLE"]),
    st.integers(min_value=1, max_value=3),
    st.sampled_from(["4.50", "12.90", "0.00"]),
)
orders = st.tuples(
    st.integers(min_value=1, max_value=28),  # the day of November 2026
    st.sampled_from(CUSTOMERS),
    st.sampled_from(EMAILS),
    st.sampled_from(["yes", "no", ""]),
    st.sampled_from(["paid", "cancelled", "refunded", ""]),
    st.sampled_from(["0", "", "5.00"]),
    st.sampled_from(["", "WINBACK10", "winback10 "]),
    st.lists(lines, min_size=1, max_size=3),
)


def write(path: Path, generated: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for n, (day, cid, email, consent, status, refunded, code, items) in enumerate(
            generated, start=1
        ):
            total = sum(float(price) * quantity for _sku, quantity, price in items)
            for sku, quantity, price in items:
                writer.writerow([f"#{n}", f"2026-11-{day:02d}", cid, email, "Anna", consent,
                                 status, f"{total:.2f}", refunded, code, sku, sku.title(),
                                 quantity, price])  # fmt: skip


TEA = [("TEA-1", 1, "4.50")]


@settings(max_examples=40)
@given(st.lists(orders, min_size=1, max_size=12))
# Found by this property: a registered customer and a guest order with the same address in
# one new file; the first import left the customer without their id, the second added it.
@example([(1, "C1", "anna@example.com", "yes", "paid", "0", "", TEA),
          (1, "", "anna@example.com", "yes", "paid", "0", "", TEA),
          (1, "C1", "anna@example.com", "yes", "paid", "0", "", TEA)])  # fmt: skip
def test_importing_any_file_twice_equals_importing_it_once(generated: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path, db = Path(folder) / "orders.csv", Path(folder) / "shop.db"
        write(path, generated)
        with open_store(db, create=True) as store:
            first = import_file(store, path, "orders")
        once = committed_state(db)
        with open_store(db) as store:
            second = import_file(store, path, "orders")
        assert committed_state(db) == once
        assert second.rows_rejected == first.rows_rejected
