"""The tables recommendations read, kept by every import for the customers it touched.

A customer's *basket* is every product (keyed like the bestsellers: coalesce(sku, product))
on the lines of their counting orders (not cancelled), over their whole history: two products
bought in one order are in one basket, and so are two bought months apart. Orders without a
customer are left out, as by every summary (core/summaries.py).

- `customer_products`: per customer and product the first and last day bought, the distinct
  orders and the distinct days with it. Rebuilt for the touched customers from their orders;
- `recommend_products`: per product its buyers (baskets holding it) and repeaters (buyers
  with it in two or more orders: core/compose/reorder.py's reorder evidence), and the
  latest line seen with it (`line_id`, only ever raised), which names it;
- `recommend_pairs`: per ordered pair of distinct products the baskets holding both;
- `recommend_customers`: one row, the customers with any product (the baskets lift counts);
- `recommend_intervals`: per product and interval (whole days, rounded down) how many of its
  buyers bought it on two or more days with that average interval between purchases.

The last three are sums over customers, adjusted like `cohort_months`: the touched customers'
old rows of `customer_products` are subtracted before they are rebuilt, and the new ones
added, so an import of 1,000 orders reads only its own customers' orders
(tests/test_recommend_property.py checks them against a brute-force count after any
sequence of imports).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from itertools import combinations, groupby
from operator import itemgetter

AFFECTED = "temp.affected_customers"
"""The ids an import touched (core.summaries.AFFECTED_TABLE; not imported to avoid a cycle)."""

TABLES_SQL = """
    CREATE TABLE {schema}customer_products (
        customer_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        first_day INTEGER NOT NULL,
        last_day INTEGER NOT NULL,
        orders INTEGER NOT NULL,
        days INTEGER NOT NULL,
        line_id INTEGER NOT NULL,
        PRIMARY KEY (customer_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE {schema}recommend_products (
        key TEXT PRIMARY KEY,
        buyers INTEGER NOT NULL,
        repeaters INTEGER NOT NULL,
        line_id INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE {schema}recommend_pairs (
        key TEXT NOT NULL,
        other TEXT NOT NULL,
        customers INTEGER NOT NULL,
        PRIMARY KEY (key, other)
    ) WITHOUT ROWID;
    CREATE TABLE {schema}recommend_customers (
        customers INTEGER NOT NULL
    );
    INSERT INTO {schema}recommend_customers (customers) VALUES (0);
    CREATE TABLE {schema}recommend_intervals (
        key TEXT NOT NULL,
        interval INTEGER NOT NULL,
        customers INTEGER NOT NULL,
        PRIMARY KEY (key, interval)
    ) WITHOUT ROWID;
"""

# Each (customer, product) of the counting orders `{source}` selects, up to :day. OR FAIL
# (no conflict can happen) spares SQLite journaling each page it changes into a temp file.
_CUSTOMER_PRODUCTS_SQL = """
    INSERT OR FAIL INTO {schema}customer_products
        (customer_id, key, first_day, last_day, orders, days, line_id)
    SELECT o.customer_id, coalesce(l.sku, l.product) AS key, min(o.order_day),
           max(o.order_day), count(DISTINCT o.id), count(DISTINCT o.order_day), max(l.id)
    FROM {source}
    WHERE NOT o.cancelled AND o.customer_id IS NOT NULL AND o.order_day <= :day
      AND coalesce(l.sku, l.product) IS NOT NULL
    GROUP BY o.customer_id, key
"""
_EVERY_ORDER = "order_lines l CROSS JOIN orders o ON o.id = l.order_id"
_AFFECTED_ORDERS = (
    f"{AFFECTED} a CROSS JOIN orders o ON o.customer_id = a.id "
    "CROSS JOIN order_lines l ON l.order_id = o.id"
)

# The sums over the customers `{rows}` selects (aliased p), added with :sign (1 or -1).
_PRODUCTS_SQL = """
    INSERT INTO {schema}recommend_products (key, buyers, repeaters, line_id)
    SELECT p.key, :sign * count(*), :sign * sum(p.orders >= 2), max(p.line_id) FROM {rows}
    WHERE 1 GROUP BY p.key
    ON CONFLICT (key) DO UPDATE SET buyers = buyers + excluded.buyers,
                                    repeaters = repeaters + excluded.repeaters,
                                    line_id = max(line_id, excluded.line_id)
"""
_CUSTOMERS_SQL = """
    UPDATE {schema}recommend_customers
    SET customers = customers + :sign * (SELECT count(DISTINCT p.customer_id) FROM {rows})
"""
# Pairs are counted in Python from each customer's products (read in key order): SQL's
# self-join and GROUP BY took 63 s for the 5.9 million pairs of the 1M-order bench shop.
_BASKETS_SQL = "SELECT p.customer_id, p.key FROM {rows} ORDER BY p.customer_id, p.key"
_ADD_PAIR_SQL = """
    INSERT INTO {schema}recommend_pairs (key, other, customers) VALUES (?, ?, ?)
    ON CONFLICT (key, other) DO UPDATE SET customers = customers + excluded.customers
"""
_INTERVALS_SQL = """
    INSERT INTO {schema}recommend_intervals (key, interval, customers)
    SELECT p.key, (p.last_day - p.first_day) / (p.days - 1) AS gap, :sign * count(*)
    FROM {rows} WHERE p.days >= 2 GROUP BY p.key, gap
    ON CONFLICT (key, interval) DO UPDATE SET customers = customers + excluded.customers
"""
_SUMS = (_PRODUCTS_SQL, _CUSTOMERS_SQL, _INTERVALS_SQL)
_SUM_TABLES = ("recommend_products", "recommend_pairs", "recommend_intervals")
"""The sums whose rows go when they reach zero (`recommend_customers` keeps its one row)."""
_EVERY_DAY = 1 << 62


def refresh(conn: sqlite3.Connection, *, everyone: bool = False) -> None:
    """Bring the tables up to date for the customers in `temp.affected_customers` (or for
    every customer), inside the import's transaction (core.summaries.refresh_summaries)."""
    if everyone:
        rebuild(conn)
        return
    affected_rows = f"{AFFECTED} a CROSS JOIN customer_products p ON p.customer_id = a.id"
    _add_sums(conn, "", affected_rows, sign=-1)
    conn.execute(f"DELETE FROM customer_products WHERE customer_id IN (SELECT id FROM {AFFECTED})")
    conn.execute(
        _CUSTOMER_PRODUCTS_SQL.format(schema="", source=_AFFECTED_ORDERS), {"day": _EVERY_DAY}
    )
    _add_sums(conn, "", affected_rows, sign=1)
    for table in _SUM_TABLES:
        column = "buyers" if table == "recommend_products" else "customers"
        conn.execute(f"DELETE FROM {table} WHERE {column} = 0")


def refresh_customers(conn: sqlite3.Connection, customer_ids: list[int]) -> None:
    """The same for `customer_ids`, after their orders were written by other means than an
    import (a script, a test); inside the caller's transaction."""
    conn.execute(f"DROP TABLE IF EXISTS {AFFECTED}")
    conn.execute(f"CREATE TABLE {AFFECTED} (id INTEGER PRIMARY KEY)")
    conn.executemany(f"INSERT OR IGNORE INTO {AFFECTED} (id) VALUES (?)",
                     [(cid,) for cid in customer_ids])  # fmt: skip
    refresh(conn)
    conn.execute(f"DROP TABLE {AFFECTED}")


def rebuild(conn: sqlite3.Connection, *, schema: str = "", day: int = _EVERY_DAY) -> None:
    """Every table from scratch, from the counting orders up to `day` (an ordinal), in
    the tables named with prefix `schema` ('' for the store's own, 'temp.as_of_<day>_' for a
    past as-of date's copies)."""
    for table in ("customer_products", *_SUM_TABLES):
        conn.execute(f"DELETE FROM {schema}{table}")
    conn.execute(f"UPDATE {schema}recommend_customers SET customers = 0")
    conn.execute(_CUSTOMER_PRODUCTS_SQL.format(schema=schema, source=_EVERY_ORDER), {"day": day})
    _add_sums(conn, schema, f"{schema}customer_products p", sign=1)


def create_as_of(conn: sqlite3.Connection, prefix: str, day: int) -> None:
    """Temporary copies of the tables as of `day` (an ordinal), named with `prefix`
    ('temp.as_of_<day>_'), for recommendations at a past date."""
    for table in ("customer_products", "recommend_customers", *_SUM_TABLES):
        conn.execute(f"DROP TABLE IF EXISTS {prefix}{table}")
    _create_tables(conn, prefix)
    rebuild(conn, schema=prefix, day=day)


def _add_sums(conn: sqlite3.Connection, schema: str, rows: str, sign: int) -> None:
    for sql in _SUMS:
        conn.execute(sql.format(schema=schema, rows=rows), {"sign": sign})
    pairs: Counter[tuple[str, str]] = Counter()
    baskets = conn.execute(_BASKETS_SQL.format(rows=rows))
    for _, products in groupby(baskets, key=itemgetter(0)):
        basket = [key for _, key in products]
        if len(basket) > 1:  # most hold one product: 0.2 s of 1 s at 1M orders
            pairs.update(combinations(basket, 2))
    conn.executemany(
        _ADD_PAIR_SQL.format(schema=schema),
        (row for (a, b), n in pairs.items() for row in ((a, b, sign * n), (b, a, sign * n))),
    )


def migrate(conn: sqlite3.Connection) -> None:
    """The schema migration: the tables, filled from the orders an upgraded shop holds."""
    _create_tables(conn, "")
    rebuild(conn)


def _create_tables(conn: sqlite3.Connection, schema: str) -> None:
    """TABLES_SQL statement by statement (executescript would commit the transaction)."""
    for statement in TABLES_SQL.format(schema=schema).split(";"):
        if statement.strip():
            conn.execute(statement)
