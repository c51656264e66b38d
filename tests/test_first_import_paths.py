"""A first import into an empty shop takes its own path (core/bulk_load.py: indexes and
triggers set aside, the customer list and search index built once, every summary rebuilt);
whatever it is given, it must leave every table as the ordinary path leaves it.

Generated files exercise what the readers treat specially: orders over several rows, decimal
commas (semicolon files), Shopify's layout (order fields on an order's first row only), an
order id repeated later in the file (the same order again, or another one), refunds,
cancellations, bad amounts, guests, one customer by id and by email in several spellings, a
customer mentioned out of date order with attributes that change or go missing, and names
and addresses outside ASCII; under the default loyalty rules and under expiring points with
bonuses. The ordinary path is forced on a second empty shop; both run under one frozen
clock, so timestamps must agree too.
"""

from __future__ import annotations

import csv
import sqlite3
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import core.importers.loader as loader
from core.importers import ImportResult, import_file
from core.store import open_store
from tests.clock import frozen_clock

HEADER = ["order_id", "ordered_at", "customer_id", "email", "first_name", "last_name",
          "country", "accepts_marketing", "status", "total", "refunded", "discount_code",
          "sku", "product", "quantity", "price"]  # fmt: skip
CUSTOMERS = ("C1", "C2", "C3", "")  # "" is a guest, known by email only
EMAILS = ("anna@example.com", " ANNA@example.com ", "bob@example.com", "zoë@example.com", "")
NAMES = (("Anna", "Rossi"), ("", ""), ("Zoë", "Ünal"), ("[bold]Bo", "=HYPERLINK(1)"))
COUNTRIES = ("DE", "it", "Netherlands", "", "Atlantis")  # Atlantis: read as no country

CREATION_TIMES = {("flows", "created_at")}
"""Columns that say when the shop was created (by the real clock), not what it holds."""

line = st.tuples(
    st.sampled_from(["TEA-1", "MUG-2", "KETTLE", ""]),  # "" : a line known by name only
    st.integers(min_value=1, max_value=3),
    st.sampled_from(["4.50", "12.90", "0.00", "1,234.50", "abc"]),  # abc: rejected
)
order = st.fixed_dictionaries(
    {
        "number": st.integers(min_value=1, max_value=9),  # small: ids repeat in a file
        "day": st.integers(min_value=0, max_value=150),  # months apart: points expire
        "customer": st.sampled_from(CUSTOMERS),
        "email": st.sampled_from(EMAILS),
        "name": st.sampled_from(NAMES),
        "country": st.sampled_from(COUNTRIES),
        "consent": st.sampled_from(["yes", "no", ""]),
        "status": st.sampled_from(["paid", "cancelled", "refunded", "wc-completed", ""]),
        "refunded": st.sampled_from(["", "0", "2.00", "-2.00"]),
        "code": st.sampled_from(["", "WINBACK10", "winback10 ", "A,B"]),
        "lines": st.lists(line, min_size=1, max_size=3),
    }
)
LAYOUTS = ("generic", "semicolon", "shopify")
RULES = (
    {},  # the default rules: no expiry
    {"loyalty.expiry_months": "1", "loyalty.bonus_2nd_order": "50",
     "loyalty.bonus_5th_order": "200", "loyalty.points_per_unit": "3"},
)  # fmt: skip
"""The loyalty settings of the empty shop: its points are kept per rule (core/loyalty/kept.py)."""
files = st.tuples(
    st.lists(order, min_size=1, max_size=10), st.sampled_from(LAYOUTS), st.sampled_from(RULES)
)
FIRST_DAY = date(2026, 6, 1)


def stamp(entry: dict, separator: str, offset: str) -> str:
    day = FIRST_DAY + timedelta(days=entry["day"])
    return f"{day.isoformat()}{separator}10:00:00{offset}"


SHOPIFY_HEADER = ["Name", "Email", "Financial Status", "Fulfillment Status", "Accepts Marketing",
                  "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
                  "Discount Amount", "Created at", "Cancelled at", "Refunded Amount",
                  "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku",
                  "Billing Name", "Billing Country", "Id"]  # fmt: skip
SHOPIFY_STATUS = {"paid": "paid", "cancelled": "voided", "refunded": "refunded",
                  "wc-completed": "partially_refunded", "": ""}  # fmt: skip


def total_of(entry: dict) -> float:
    return sum(
        float(price.replace(",", "")) * quantity
        for _sku, quantity, price in entry["lines"]
        if price != "abc"
    )


def write(path: Path, orders: list[dict], layout: str) -> None:
    """One orders file; an order's rows are together, its total their sum."""
    if layout == "shopify":
        write_shopify(path, orders)
        return
    decimal_comma = layout == "semicolon"
    delimiter = ";" if decimal_comma else ","
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(HEADER)
        for entry in orders:
            for sku, quantity, price in entry["lines"]:
                amounts = [f"{total_of(entry):.2f}", entry["refunded"], price]
                if decimal_comma:  # 1,234.50 is written 1.234,50 there
                    amounts = [a.replace(",", "_").replace(".", ",").replace("_", ".")
                               for a in amounts]  # fmt: skip
                first, last = entry["name"]
                writer.writerow(
                    [f"#{entry['number']}", stamp(entry, "T", "+01:00"),
                     entry["customer"], entry["email"], first, last, entry["country"],
                     entry["consent"], entry["status"], amounts[0], amounts[1], entry["code"],
                     sku, sku.title() or "Loose tea", quantity, amounts[2]]
                )  # fmt: skip


def write_shopify(path: Path, orders: list[dict]) -> None:
    """The same orders as Shopify exports them: the order's fields on its first row only,
    customers known by email, a billing name, voided and partly refunded orders."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(SHOPIFY_HEADER)
        for entry in orders:
            created = stamp(entry, " ", " +0100")
            total = total_of(entry)
            first, last = entry["name"]
            order_cells = [
                entry["email"], SHOPIFY_STATUS[entry["status"]],
                "fulfilled" if entry["number"] % 2 else "", entry["consent"], "EUR",
                f"{max(total - 1, 0):.2f}", "4.90", "1.00", f"{total:.2f}", entry["code"],
                "1.00" if entry["code"] else "", created,
                created if entry["status"] == "cancelled" else "", entry["refunded"],
            ]  # fmt: skip
            billing = [f"{first} {last}".strip(), entry["country"], f"5400{entry['number']}"]
            for sku, quantity, price in entry["lines"]:
                writer.writerow([f"#{entry['number']}", *order_cells, quantity,
                                 sku.title() or "Loose tea", price, sku, *billing])  # fmt: skip
                order_cells, billing = [""] * len(order_cells), [""] * len(billing)


def every_table(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, and the search index's terms by customer and column
    (its shadow tables are laid out by how it was filled: one build, or row by row).
    SQLite's statistics are left out (they describe tables, not the shop), and so are
    the `CREATION_TIMES`."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_stat%' AND name NOT LIKE 'customer_search%'"
            )
        ]
        state = {}
        for name in names:
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
            kept = ", ".join(f'"{c}"' for c in columns if (name, c) not in CREATION_TIMES)
            state[name] = sorted(conn.execute(f'SELECT {kept} FROM "{name}"').fetchall(), key=repr)
        conn.execute(
            "CREATE VIRTUAL TABLE temp.search_terms "
            "USING fts5vocab(main, customer_search, instance)"
        )
        state["customer_search terms"] = conn.execute(
            "SELECT * FROM temp.search_terms ORDER BY 1, 2, 3, 4"
        ).fetchall()
        return state
    finally:
        conn.close()


def import_both(
    folder: Path, orders: list[dict], layout: str, rules: dict[str, str]
) -> tuple[
    tuple[ImportResult, ImportResult], tuple[Path, Path]
]:  # fmt: skip
    path = folder / "orders.csv"
    write(path, orders, layout)
    bulk, ordinary = folder / "bulk.db", folder / "ordinary.db"
    with pytest.MonkeyPatch.context() as monkeypatch, frozen_clock(monkeypatch):
        with open_store(bulk, create=True) as store:
            for key, value in rules.items():
                store.set_setting(key, value)
            first = import_file(store, path, "orders")
        with open_store(ordinary, create=True) as store:
            for key, value in rules.items():
                store.set_setting(key, value)
            monkeypatch.setattr(store, "is_empty", lambda: False)
            monkeypatch.setattr(loader, "no_summaries_yet", lambda conn: False)
            second = import_file(store, path, "orders")
    return (first, second), (bulk, ordinary)


def same_result(first: ImportResult, second: ImportResult) -> None:
    for result in (first, second):
        result.seconds = result.merge_seconds = 0.0
    assert first == second


@settings(max_examples=40)
@given(files)
@example(  # a customer first seen late in the file, then earlier by date with another name
    ([{"number": 1, "day": 20, "customer": "C1", "email": "anna@example.com",
       "name": ("Anna", "Rossi"), "country": "DE", "consent": "yes", "status": "paid",
       "refunded": "", "code": "", "lines": [("TEA-1", 1, "4.50")]},
      {"number": 2, "day": 3, "customer": "", "email": " ANNA@example.com ",
       "name": ("Zoë", "Ünal"), "country": "", "consent": "no", "status": "paid",
       "refunded": "", "code": "WINBACK10", "lines": [("MUG-2", 2, "12.90")]},
      {"number": 1, "day": 20, "customer": "C1", "email": "anna@example.com",
       "name": ("Anna", "Rossi"), "country": "DE", "consent": "yes", "status": "paid",
       "refunded": "", "code": "", "lines": [("TEA-1", 1, "4.50")]}], "semicolon", RULES[1])
)  # fmt: skip
def test_a_first_import_leaves_every_table_as_the_ordinary_path(
    generated: tuple[list[dict], str, dict[str, str]],
) -> None:
    orders, layout, rules = generated
    with tempfile.TemporaryDirectory() as name:
        results, (bulk, ordinary) = import_both(Path(name), orders, layout, rules)
        same_result(*results)
        assert every_table(bulk) == every_table(ordinary)


def test_the_comparison_sees_a_difference_in_any_table(tmp_path: Path) -> None:
    """The check above can fail: one changed value in a summary, or in the search index."""
    orders = [{"number": 1, "day": 5, "customer": "C1", "email": "anna@example.com",
               "name": ("Anna", "Rossi"), "country": "DE", "consent": "yes", "status": "paid",
               "refunded": "", "code": "", "lines": [("TEA-1", 2, "4.50")]}]  # fmt: skip
    results, (bulk, ordinary) = import_both(tmp_path, orders, "generic", RULES[1])
    same_result(*results)
    assert every_table(bulk) == every_table(ordinary)
    with open_store(ordinary) as store, store.write() as conn:
        conn.execute("UPDATE loyalty_points SET points = points + 1")
    assert every_table(bulk) != every_table(ordinary)
    with open_store(bulk) as store, store.write() as conn:
        conn.execute("UPDATE customers SET first_name = 'Anne'")
    assert (
        every_table(bulk)["customer_search terms"] != every_table(ordinary)["customer_search terms"]
    )
