"""Fulfilment status, shipping and tax come in from every platform's export (issue 12).

The same two orders written as a Shopify, a WooCommerce and a generic export leave the same
figures in the store: items before the discount, discount, shipping, tax, fulfilment. A
re-import changes nothing, on a first import (core/bulk_load.py) and on a later one.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.importers import import_file
from core.store import Store, open_store

SHOPIFY_HEADER = ["Name", "Email", "Financial Status", "Fulfillment Status", "Currency",
                  "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount",
                  "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price",
                  "Lineitem sku"]  # fmt: skip
SHOPIFY_ROWS = [
    # Subtotal is after the discount: 2 x 9.90 + 12.90 = 32.70, less 3.27 = 29.43.
    ["#1001", "ann@example.com", "paid", "unfulfilled", "EUR", "29.43", "4.90", "0.00", "34.33",
     "TEN", "3.27", "2026-10-01 10:00:00 +0200", "2", "Assam", "9.90", "A"],
    ["#1001", "", "", "", "", "", "", "", "", "", "", "", "1", "Pot", "12.90", "P"],
    ["#1002", "bob@example.com", "paid", "fulfilled", "EUR", "20.00", "0.00", "3.80", "23.80",
     "", "0.00", "2026-10-02 10:00:00 +0200", "1", "Kettle", "20.00", "K"],
]  # fmt: skip
WOO_HEADER = ["Order Number", "Order Status", "Order Date", "Email (Billing)",
              "Order Subtotal Amount", "Order Shipping Amount", "Order Total Tax Amount",
              "Coupon Code", "Cart Discount Amount", "Order Total Amount", "Order Currency",
              "SKU", "Item Name", "Quantity", "Item Cost"]  # fmt: skip
WOO_ROWS = [
    ["1001", "wc-processing", "2026-10-01 10:00", "ann@example.com", "32.70", "4.90", "0.00",
     "TEN", "3.27", "34.33", "EUR", "A", "Assam", "2", "9.90"],
    ["1001", "wc-processing", "2026-10-01 10:00", "ann@example.com", "32.70", "4.90", "0.00",
     "TEN", "3.27", "34.33", "EUR", "P", "Pot", "1", "12.90"],
    ["1002", "wc-completed", "2026-10-02 10:00", "bob@example.com", "20.00", "0.00", "3.80",
     "", "", "23.80", "EUR", "K", "Kettle", "1", "20.00"],
]  # fmt: skip
GENERIC_HEADER = ["order_id", "ordered_at", "email", "subtotal", "discount", "discount code",
                  "shipping", "tax", "total", "fulfillment status", "sku", "product", "qty",
                  "price"]  # fmt: skip
GENERIC_ROWS = [
    ["1001", "2026-10-01", "ann@example.com", "32.70", "3.27", "TEN", "4.90", "0", "34.33",
     "Unfulfilled", "A", "Assam", "2", "9.90"],
    ["1001", "2026-10-01", "ann@example.com", "32.70", "3.27", "TEN", "4.90", "0", "34.33",
     "Unfulfilled", "P", "Pot", "1", "12.90"],
    ["1002", "2026-10-02", "bob@example.com", "20.00", "", "", "0", "3.80", "23.80",
     "shipped", "K", "Kettle", "1", "20.00"],
]  # fmt: skip
EXPECTED = [
    # subtotal (before discount), discount, shipping, tax, total, fulfilment
    (3270, 327, 490, 0, 3433, "unfulfilled"),
    (2000, 0, 0, 380, 2380, "fulfilled"),
]
FIGURES_SQL = (
    "SELECT subtotal, discount, shipping, tax, total, fulfillment FROM orders ORDER BY order_day"
)


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def imported(path: Path, tmp_path: Path, fmt: str = "auto") -> Store:
    store = open_store(tmp_path / "shop.db", create=True)
    result = import_file(store, path, "orders", fmt=fmt)
    assert result.rows_rejected == 0, result.errors
    return store


@pytest.mark.parametrize(
    ("name", "header", "rows", "fmt"),
    [
        ("shopify.csv", SHOPIFY_HEADER, SHOPIFY_ROWS, "shopify"),
        ("woo.csv", WOO_HEADER, WOO_ROWS, "woocommerce"),
        ("generic.csv", GENERIC_HEADER, GENERIC_ROWS, "generic"),
    ],
)
def test_every_platform_stores_the_same_figures(
    tmp_path: Path, name: str, header: list[str], rows: list[list[str]], fmt: str
) -> None:
    store = imported(write(tmp_path / name, header, rows), tmp_path, fmt)
    assert store.execute(FIGURES_SQL).fetchall() == EXPECTED


@pytest.mark.parametrize(
    ("header", "rows"), [(SHOPIFY_HEADER, SHOPIFY_ROWS), (GENERIC_HEADER, GENERIC_ROWS)]
)
def test_reimporting_a_file_equals_importing_it_once(
    tmp_path: Path, header: list[str], rows: list[list[str]]
) -> None:
    path = write(tmp_path / "orders.csv", header, rows)
    store = imported(path, tmp_path)  # the first import: core/bulk_load.py's path
    once = store.execute("SELECT * FROM orders ORDER BY id").fetchall()
    again = import_file(store, path, "orders")
    assert (again.orders_added, again.orders_updated) == (0, 0)
    assert again.orders_unchanged == 2
    assert store.execute("SELECT * FROM orders ORDER BY id").fetchall() == once


def test_a_later_import_updates_fulfilment(tmp_path: Path) -> None:
    """The order shipped since the last export: the next import says so."""
    store = imported(write(tmp_path / "a.csv", SHOPIFY_HEADER, SHOPIFY_ROWS), tmp_path)
    shipped = [list(row) for row in SHOPIFY_ROWS]
    shipped[0][3] = "fulfilled"
    result = import_file(store, write(tmp_path / "b.csv", SHOPIFY_HEADER, shipped), "orders")
    assert (result.orders_updated, result.orders_unchanged) == (1, 1)
    assert store.scalar("SELECT fulfillment FROM orders WHERE external_id = '#1001'") == (
        "fulfilled"
    )


def test_without_the_columns_the_figures_are_unknown(tmp_path: Path) -> None:
    rows = [["1", "2026-10-01", "ann@example.com", "12.00"]]
    store = imported(write(tmp_path / "o.csv", ["order", "date", "email", "total"], rows), tmp_path)
    assert store.execute(
        "SELECT subtotal, shipping, tax, tax_included, fulfillment FROM orders"
    ).fetchall() == [(None, None, None, None, None)]


def test_an_unknown_fulfilment_value_claims_nothing(tmp_path: Path) -> None:
    rows = [[cell if i != 9 else "restocked" for i, cell in enumerate(GENERIC_ROWS[2])]]
    store = imported(write(tmp_path / "o.csv", GENERIC_HEADER, rows), tmp_path)
    assert store.scalar("SELECT fulfillment FROM orders") is None


def test_a_negative_shipping_amount_is_refused_naming_line_and_column(tmp_path: Path) -> None:
    rows = [list(GENERIC_ROWS[2])]
    rows[0][6] = "-4.90"
    store = open_store(tmp_path / "shop.db", create=True)
    result = import_file(store, write(tmp_path / "o.csv", GENERIC_HEADER, rows), "orders")
    assert result.rows_rejected == 1
    assert [str(error) for error in result.errors] == ["o.csv:2: shipping: negative amount: -4.90"]
