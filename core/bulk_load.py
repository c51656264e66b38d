"""Filling an empty store in one go: a first import of a whole shop history.

Row by row, every order updates two indexes and every customer fires the triggers that keep
the app's customer list and search index current. For a first import it is several times
cheaper to set indexes and triggers aside, insert, and then build each index and the
list once. Everything happens inside the import's transaction: an interruption rolls the
schema back with the rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from core.schema import CUSTOMER_PAGES_FROM_CUSTOMERS
from core.schema_programme import ORDER_CODES_FROM_ORDERS

# What a first import sets aside: the secondary indexes of the tables it fills (the unique
# ones are constraints the merge relies on, and stay) and the triggers that keep the
# customer list, the orders' code keys and the stored RFM cuts current (rebuilt or re-saved
# as a whole instead).
_INDEXED_TABLES = ("orders", "order_lines", "customer_pages", "order_codes")
_TRIGGERED_TABLES = ("customers", "customer_stats", "orders")


@contextmanager
def set_aside(conn: sqlite3.Connection, kind: str, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the `kind` ('index' or 'trigger') objects of `tables`, recreate them on exit.

    Indexes the schema declares as constraints (no SQL of their own) are kept. On an error
    nothing is recreated: the caller's transaction rolls back, and the drops with it.
    """
    marks = ", ".join("?" * len(tables))
    objects = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY rowid",
        (kind, *tables),
    ).fetchall()
    for name, _ in objects:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _, sql in objects:
        conn.execute(sql)


@contextmanager
def first_import(conn: sqlite3.Connection) -> Iterator[None]:
    """Around the merge of an import into an empty store (`Store.is_empty()`, read inside
    the import's transaction)."""
    with set_aside(conn, "trigger", _TRIGGERED_TABLES):
        with set_aside(conn, "index", _INDEXED_TABLES):
            yield
            conn.execute("DELETE FROM customer_pages")
            conn.execute(CUSTOMER_PAGES_FROM_CUSTOMERS)
            conn.execute("DELETE FROM order_codes")
            conn.execute(ORDER_CODES_FROM_ORDERS)
        conn.execute("INSERT INTO customer_search (customer_search) VALUES ('rebuild')")
