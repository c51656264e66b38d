"""What an order import says about campaign codes: how many its orders redeemed, and codes
that more than one order used (a single-use code the shop let through twice, or a code
passed around). Redemptions themselves are the view `code_redemptions`, never written."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

KEPT_OF_ERASED_CELL = (
    "(SELECT group_concat(code, ', ') FROM (SELECT DISTINCT code FROM code_redemptions "
    "WHERE order_id = orders.id ORDER BY code))"
)
"""What erasure keeps of an order's discount code cell (in an UPDATE of `orders`): only the
campaign codes it redeemed, upper case, or NULL. The app's random codes say nothing about
the person, and the campaign figures count them; anything else the cell held goes."""


@dataclass(frozen=True)
class CodeReuse:
    """A campaign code more than one counting order carried, and those orders (their ids in
    the shop's export, oldest first)."""

    code: str
    orders: list[str]


@dataclass
class ImportedRedemptions:
    """The campaign codes an import's new or changed orders redeemed."""

    redeemed: int = 0
    reused: list[CodeReuse] = field(default_factory=list)


def imported_redemptions(
    conn: sqlite3.Connection, order_ids: str, params: tuple[object, ...] = ()
) -> ImportedRedemptions:
    """Redemptions by the orders the query `order_ids` selects (the import's new and changed
    ones), read inside the import's transaction, after its merge."""
    found = ImportedRedemptions()
    if not conn.execute("SELECT EXISTS (SELECT 1 FROM discount_codes)").fetchone()[0]:
        return found  # no campaign has issued codes (every first import): nothing to match
    conn.execute("DROP TABLE IF EXISTS temp.imported_orders")
    conn.execute(f"CREATE TEMP TABLE imported_orders AS {order_ids}", params)
    try:
        codes = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT code FROM code_redemptions "
                "WHERE order_id IN (SELECT * FROM temp.imported_orders) ORDER BY code"
            )
        ]
    finally:
        conn.execute("DROP TABLE temp.imported_orders")
    found.redeemed = len(codes)
    if not codes:
        return found
    orders_by_code: dict[str, list[str]] = {}
    for code, external_id in conn.execute(
        """
        SELECT r.code, o.external_id FROM code_redemptions r JOIN orders o ON o.id = r.order_id
        WHERE r.code IN (SELECT value FROM json_each(?))
        ORDER BY r.code, r.ordered_day, o.id
        """,
        (json.dumps(codes),),
    ):
        orders_by_code.setdefault(code, []).append(external_id)
    found.reused = [
        CodeReuse(code, orders) for code, orders in orders_by_code.items() if len(orders) > 1
    ]
    return found


def reuse_text(reuse: CodeReuse) -> str:
    """`WINBACK-7KQ2M9XD used by 2 orders: #1001, #1005` (order ids from the file: callers
    escape them). The import summary lists these (core/importers/summary.py)."""
    return f"{reuse.code} used by {len(reuse.orders)} orders: {', '.join(reuse.orders)}"
