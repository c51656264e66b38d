"""Which products the shop's customers buy again, for win-back's "time to reorder X?".

A product's reorder share is the part of its buyers who bought it in two or more distinct
orders (counting orders, up to the as-of date). Only a product whose share and number of
buyers reach the template's thresholds is ever suggested: a kettle everyone bought once, an
advent calendar or a greeting card never is. Of those, a customer is offered the one they
bought with the highest share (ties: more buyers, then the key), or nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from core.addresses import inline_text
from core.recommend.evidence import DEFAULT_MIN_BUYERS, DEFAULT_MIN_PERCENT
from core.store import Store

# One pass over the counting order lines up to :day: per product (keyed like the bestsellers,
# coalesce(sku, product)), its buyers and those who bought it in >= 2 distinct orders (their
# first and last order with it differ: 1.2-1.6 s on the 1M-order bench shop, where
# count(DISTINCT o.id) >= 2 took 2.8 s).
_SHARES_SQL = """
    WITH bought AS (
        SELECT o.customer_id AS cid, coalesce(l.sku, l.product) AS key,
               min(o.id) < max(o.id) AS again, max(l.order_id) AS latest
        FROM order_lines l CROSS JOIN orders o ON o.id = l.order_id
        WHERE NOT o.cancelled AND o.order_day <= :day AND o.customer_id IS NOT NULL
          AND coalesce(l.sku, l.product) IS NOT NULL
        GROUP BY cid, key
    )
    SELECT key, count(*) AS buyers, sum(again) AS repeaters, max(latest)
    FROM bought GROUP BY key
    HAVING buyers >= :min_buyers AND repeaters * 100 >= :min_percent * buyers
"""
# The name and SKU of each product, from its latest line (the ids found above).
_NAMES_SQL = """
    SELECT coalesce(sku, product), sku, product FROM order_lines
    WHERE id IN (
        SELECT max(l.id) FROM order_lines l
        WHERE l.order_id IN (SELECT value FROM json_each(:orders))
        GROUP BY l.order_id, coalesce(l.sku, l.product)
    )
    ORDER BY id
"""
# Which of :keys each of :ids bought (counting orders up to :day).
_CUSTOMER_KEYS_SQL = """
    SELECT DISTINCT o.customer_id, coalesce(l.sku, l.product)
    FROM orders o JOIN order_lines l ON l.order_id = o.id
    WHERE o.customer_id IN (SELECT value FROM json_each(:ids)) AND NOT o.cancelled
      AND o.order_day <= :day AND coalesce(l.sku, l.product) IN (SELECT value FROM json_each(:keys))
"""


@dataclass(frozen=True, slots=True)
class ReorderProduct:
    """A product customers reorder: `repeaters` of its `buyers` bought it again."""

    key: str
    sku: str | None
    name: str
    buyers: int
    repeaters: int

    @property
    def share(self) -> Fraction:
        return Fraction(self.repeaters, self.buyers)


def reorder_products(
    store: Store,
    as_of: date,
    min_percent: int = DEFAULT_MIN_PERCENT,
    min_buyers: int = DEFAULT_MIN_BUYERS,
) -> dict[str, ReorderProduct]:
    """Every product whose reorder share is at least `min_percent` % among at least
    `min_buyers` buyers, by key (one pass over the order lines; exact integer comparison)."""
    params = {"day": as_of.toordinal(), "min_buyers": min_buyers, "min_percent": min_percent}
    rows = store.execute(_SHARES_SQL, params).fetchall()
    if not rows:
        return {}
    names = product_names(store, [row[3] for row in rows])
    products = {}
    for key, buyers, repeaters, _ in rows:
        sku, name = names.get(key, (None, inline_text(key)))
        products[key] = ReorderProduct(key, sku, name, int(buyers), int(repeaters))
    return products


def product_names(store: Store, latest_orders: Iterable[int]) -> dict[str, tuple[str | None, str]]:
    """Each product's SKU and name (one line of text), from its line in its latest order
    (`latest_orders`: the id of each product's latest order), by key."""
    names: dict[str, tuple[str | None, str]] = {}
    orders = json.dumps(sorted(set(latest_orders)))
    for key, sku, product in store.execute(_NAMES_SQL, {"orders": orders}):
        names[key] = (sku, inline_text(product or sku or key))
    return names


def best_for(candidates: Sequence[ReorderProduct]) -> ReorderProduct | None:
    """The one to suggest: highest share, then more buyers, then the key (stable)."""
    if not candidates:
        return None
    return min(candidates, key=lambda p: (-p.share, -p.buyers, p.key))


def suggestions(
    store: Store, as_of: date, products: dict[str, ReorderProduct], customer_ids: Sequence[int]
) -> dict[int, ReorderProduct]:
    """For each of `customer_ids` who bought any of `products`, the one to suggest."""
    if not products or not customer_ids:
        return {}
    params = {
        "ids": json.dumps(list(customer_ids)),
        "day": as_of.toordinal(),
        "keys": json.dumps(list(products)),
    }
    owned: dict[int, list[ReorderProduct]] = {}
    for cid, key in store.execute(_CUSTOMER_KEYS_SQL, params):
        owned.setdefault(cid, []).append(products[key])
    return {cid: best for cid, items in owned.items() if (best := best_for(items)) is not None}
