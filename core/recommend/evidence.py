"""What the whole shop says, read once per as-of date: which products go together (lift with
a minimum support), the bestsellers of the recent window, and the products customers reorder
with their typical interval. Read from the tables core/recommend/precompute.py keeps, or from
temporary copies built as of a past date."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from core.addresses import inline_text
from core.recommend import precompute
from core.store import Store

DEFAULT_MIN_PERCENT = 20
DEFAULT_MIN_BUYERS = 10
"""The reorder rule (core/compose/reorder.py reads these too): a product is reordered when at
least 20 % of its buyers, and at least 10 buyers, bought it in two or more orders."""
DEFAULT_MIN_SUPPORT = 3
"""A pair counts once at least this many customers bought both: one odd order never drives it."""
DEFAULT_MIN_LIFT = 1.0
"""A complement is bought with the other product more often than chance (lift strictly above)."""
DEFAULT_WINDOW_DAYS = 90
"""Bestsellers are counted over the orders of the last 90 days up to the as-of date..."""
BESTSELLERS = 12
"""... the 12 most ordered; fewer than 12 products sold in the window: over all time."""


@dataclass(frozen=True)
class Rules:
    """The documented defaults (docs/recommendations.md); tests vary them."""

    min_support: int = DEFAULT_MIN_SUPPORT
    min_lift: float = DEFAULT_MIN_LIFT
    window_days: int = DEFAULT_WINDOW_DAYS
    reorder_min_percent: int = DEFAULT_MIN_PERCENT
    reorder_min_buyers: int = DEFAULT_MIN_BUYERS


Complement = tuple[float, int, str, str]
"""(-lift, -together, other, key): `other` goes with `key`, bought by `together` of the
customers who bought `key`, with lift together * customers / (buyers of key * buyers of
other). Negated so that tuples sort best first, and merge across a customer's products."""


@dataclass(frozen=True, slots=True)
class Bestseller:
    key: str
    orders: int
    share: float
    """Of the window's orders, the part that had it."""


@dataclass(frozen=True, slots=True)
class Named:
    key: str
    sku: str | None
    name: str
    price: int | None


@dataclass
class Evidence:
    customers: int = 0
    """Customers with at least one product bought: the baskets lift is counted over."""
    buyers: dict[str, int] = field(default_factory=dict)
    complements: dict[str, list[Complement]] = field(default_factory=dict)
    """Per product those that go with it, best first (lift, then together, then other)."""
    reordered: set[str] = field(default_factory=set)
    """The products customers reorder (core/compose/reorder.py's rule, from the kept sums)."""
    intervals: dict[str, int] = field(default_factory=dict)
    """Per reorder product the median (lower) interval in days between one customer's purchases."""
    bestsellers: list[Bestseller] = field(default_factory=list)
    names: dict[str, Named] = field(default_factory=dict)
    """Each product's name, SKU and price, from its latest line."""


# The most ordered products (distinct counting orders, guests included) of days (:low, :day].
_BESTSELLERS_SQL = f"""
    SELECT coalesce(l.sku, l.product) AS key, count(DISTINCT o.id) AS n
    FROM orders o JOIN order_lines l ON l.order_id = o.id
    WHERE o.order_day > :low AND o.order_day <= :day AND NOT o.cancelled
      AND coalesce(l.sku, l.product) IS NOT NULL
    GROUP BY key ORDER BY n DESC, key LIMIT {BESTSELLERS}
"""
_WINDOW_ORDERS_SQL = """
    SELECT count(*) FROM orders WHERE order_day > :low AND order_day <= :day AND NOT cancelled
"""
# A product's name, SKU and price from its latest line (by SKU, else by name without a SKU).
_LATEST_LINE_SQL = """
    SELECT * FROM (SELECT id, sku, product, unit_price FROM order_lines
                   WHERE sku = :key ORDER BY id DESC LIMIT 1)
    UNION ALL
    SELECT * FROM (SELECT id, sku, product, unit_price FROM order_lines
                   WHERE sku IS NULL AND product = :key ORDER BY id DESC LIMIT 1)
    ORDER BY id DESC LIMIT 1
"""


def read_evidence(store: Store, tables: str, as_of: date, rules: Rules) -> Evidence:
    """The shop-wide evidence from the tables named with prefix `tables` ('' or a temp copy)."""
    evidence = Evidence()
    evidence.customers = int(
        store.scalar(f"SELECT customers FROM {tables}recommend_customers") or 0  # type: ignore[call-overload]
    )
    products = store.execute(
        f"SELECT p.key, p.buyers, p.repeaters, l.id, l.sku, l.product, l.unit_price "
        f"FROM {tables}recommend_products p LEFT JOIN order_lines l ON l.id = p.line_id"
    )
    reorder: set[str] = set()
    for key, buyers, repeaters, line, sku, product, price in products:
        evidence.buyers[key] = int(buyers)
        if line is not None:
            evidence.names[key] = Named(key, sku, inline_text(product or sku or key), price)
        if buyers >= rules.reorder_min_buyers and repeaters * 100 >= (
            rules.reorder_min_percent * buyers
        ):
            reorder.add(key)
    _read_complements(store, tables, rules, evidence)
    evidence.reordered = reorder
    _read_intervals(store, tables, reorder, evidence)
    evidence.bestsellers = read_bestsellers(store, as_of, rules.window_days)
    unnamed = [key for key in evidence.buyers if key not in evidence.names]
    name_products(store, unnamed + [seller.key for seller in evidence.bestsellers], evidence.names)
    return evidence


def _read_complements(store: Store, tables: str, rules: Rules, evidence: Evidence) -> None:
    pairs = store.execute(
        f"SELECT key, other, customers FROM {tables}recommend_pairs WHERE customers >= ?",
        (rules.min_support,),
    )
    found: dict[str, list[Complement]] = {}
    for key, other, together in pairs:
        lift = together * evidence.customers / (evidence.buyers[key] * evidence.buyers[other])
        if lift > rules.min_lift:
            found.setdefault(key, []).append((-lift, -int(together), other, key))
    for items in found.values():
        items.sort()
    evidence.complements = found


def _read_intervals(store: Store, tables: str, reorder: set[str], evidence: Evidence) -> None:
    """The lower median of each reorder product's intervals, from their histogram."""
    histograms: dict[str, list[tuple[int, int]]] = {}
    rows = store.execute(
        f"SELECT key, interval, customers FROM {tables}recommend_intervals "
        "WHERE key IN (SELECT value FROM json_each(?)) ORDER BY key, interval",
        (json.dumps(sorted(reorder)),),
    )
    for key, interval, customers in rows:
        histograms.setdefault(key, []).append((int(interval), int(customers)))
    for key, histogram in histograms.items():
        evidence.intervals[key] = lower_median(histogram)


def lower_median(histogram: list[tuple[int, int]]) -> int:
    """The lower median of values given as (value, count), in ascending order of value."""
    total = sum(count for _, count in histogram)
    seen = 0
    for value, count in histogram:
        seen += count
        if 2 * seen >= total:
            return value
    raise ValueError("empty histogram")


def read_bestsellers(store: Store, as_of: date, window_days: int) -> list[Bestseller]:
    """The shop's most ordered products of the window; over all time when fewer than
    BESTSELLERS products sold in it (a quiet or new shop)."""
    day = as_of.toordinal()
    params = {"low": day - window_days, "day": day}
    rows = store.execute(_BESTSELLERS_SQL, params).fetchall()
    if len(rows) < BESTSELLERS:
        params["low"] = -1
        rows = store.execute(_BESTSELLERS_SQL, params).fetchall()
    total = int(store.scalar(_WINDOW_ORDERS_SQL, params) or 0) if rows else 0
    return [Bestseller(key, int(n), round(n / total, 4)) for key, n in rows]


def name_products(store: Store, keys: list[str], known: dict[str, Named]) -> None:
    """Add to `known` each of `keys` it lacks, named from its latest order line: a product
    only guests bought, or one whose remembered line went with a re-imported order."""
    for key in keys:
        if key in known:
            continue
        row = store.execute(_LATEST_LINE_SQL, {"key": key}).fetchone()
        sku, product, price = (row[1], row[2], row[3]) if row else (None, None, None)
        known[key] = Named(key, sku, inline_text(product or sku or key), price)


def tables_as_of(store: Store, as_of: date) -> str:
    """The prefix of the tables that hold the evidence as of `as_of`: the store's own when no
    counting order is later, else temporary copies rebuilt from the orders up to it (made
    anew on each call: the orders may have changed since)."""
    latest = store.scalar("SELECT max(last_day) FROM customer_stats")
    day = as_of.toordinal()
    if latest is None or day >= int(latest):  # type: ignore[call-overload]
        return ""
    prefix = f"temp.as_of_{day}_"
    precompute.create_as_of(store.conn, prefix, day)
    return prefix
