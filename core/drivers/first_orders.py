"""A customer's first order, the one thing every driver figure groups customers by.

The first order is the customer's earliest counting order (not cancelled nor fully refunded,
docs/metrics.md): on their first order day, the earliest by its time stamp as the file gives
it, then the one imported first. It does not depend on the as-of date; a customer whose first
order is after the as-of date is not a customer yet. What happens after it is read from the
snapshot's per-customer stats as of the as-of date (`core.snapshot`), the same `orders` and
`revenue` the segments, the customer list and `stats` count, so "ordered again" is exactly
the `repeat_purchase_rate` of `stats`: two or more counting orders.
"""

from __future__ import annotations

import re

# The id of the first counting order of the customer `{customer}` whose first order day is
# `{first_day}` (SQL expressions), among that day's orders from the orders_by_customer index.
_FIRST_ORDER_OF = (
    "(SELECT f.id FROM orders AS f WHERE f.customer_id = {customer} "
    "AND f.order_day = {first_day} AND NOT f.cancelled ORDER BY f.ordered_at, f.id LIMIT 1)"
)


def first_order_of(customer: str, first_day: str | None = None) -> str:
    """SQL for the id of the first order of the customer whose id is the SQL `customer`;
    `first_day`, SQL for their first order day, defaults to the one in `customer_stats`
    (the same in every snapshot: an as-of date only drops later days)."""
    if first_day is None:
        first_day = (
            f"(SELECT d.first_day FROM main.customer_stats AS d WHERE d.customer_id = {customer})"
        )
    return _FIRST_ORDER_OF.format(customer=customer, first_day=first_day)


def first_orders_sql(stats: str, *, materialized: bool = False) -> str:
    """One row per customer with an order by the as-of date: `cid`, `orders`, `revenue` (net
    cents up to the as-of date, from `stats`, a snapshot's stats table), `first_day`, `oid`
    (their first order), `first_net` (its net cents) and `code_cell` (its discount code cell).
    Used as a CTE `firsts`; `materialized` computes it once for a query that joins it (its
    LIMIT keeps SQLite from folding it into the join, which looked every first order up
    twice: 2.8 s instead of 2.0 at a million orders; `AS MATERIALIZED` needs SQLite 3.35)."""
    limit = " LIMIT -1" if materialized else ""
    return f"""
        firsts AS (
            SELECT s.customer_id AS cid, s.orders AS orders, s.revenue AS revenue,
                   s.first_day AS first_day, o.id AS oid, o.total - o.refunded AS first_net,
                   o.discount_code AS code_cell
            FROM {stats} AS s CROSS JOIN orders AS o
                 ON o.id = {first_order_of("s.customer_id", "s.first_day")}{limit}
        )
    """


_LIST_SEPARATORS = re.compile(r"[,;]")


def code_group(cell: str | None) -> str | None:
    """The group of a first order's discount code cell, as the redemptions match codes
    (core/schema.py `code_key`): upper case (ASCII letters, as SQLite's upper), surrounding
    spaces ignored; a cell listing several codes ("A, b" or "A; B") is the set of its codes,
    sorted: "A, B". None for an empty or missing cell: no code."""
    if cell is None:
        return None
    parts = {_ascii_upper(part.strip(" ")) for part in _LIST_SEPARATORS.split(cell)}
    parts.discard("")
    return ", ".join(sorted(parts)) if parts else None


def _ascii_upper(text: str) -> str:
    return text.translate(_UPPER)


_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
