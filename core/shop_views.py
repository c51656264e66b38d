"""Read-only views of the shop for other tools: `sqlite-utils rows shop.db customers_view`,
`datasette shop.db`, a spreadsheet's SQLite import.

The tables keep money in cents and dates as day numbers, which is right for the figures and
unreadable for a person; these views show money as decimals, dates as ISO text and consent as
yes/no/unknown. They use only SQLite's built-in functions (the other tool has none of ours).
They hold nothing secret: no settings (the mail password lives there), no email keys or
import fingerprints, not the owner's free-text notes. Forgetting a person (core/erasure.py)
clears the columns they read, so a forgotten person is in them only as an anonymous row with
the orders that keep the shop's figures true.

Created with sqlite-utils (`create_view(..., replace=True)`) by a migration; a later
migration that changes what they show calls `create_shop_views` again.
"""

from __future__ import annotations

import sqlite3

ORDINAL_TO_JULIAN = 1721424.5
"""`date(order_day + this)`: our day numbers are Python's date ordinals (1 = 0001-01-01)."""


def _iso(day: str) -> str:
    return f"date(({day}) + {ORDINAL_TO_JULIAN})"


def _money(cents: str) -> str:
    return f"round(({cents}) / 100.0, 2)"


SHOP_VIEWS: dict[str, str] = {
    "customers_view": f"""
SELECT
    c.id,
    c.external_id AS shop_customer_id,
    c.email,
    c.first_name,
    c.last_name,
    c.country,
    c.language,
    CASE c.accepts_marketing WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE 'unknown' END
        AS marketing_consent,
    c.created_at AS customer_since,
    c.tags,
    coalesce(s.orders, 0) AS orders,
    {_money("coalesce(s.revenue, 0)")} AS spent,
    {_money("s.revenue * 1.0 / s.orders")} AS average_order,
    {_iso("s.first_day")} AS first_order,
    {_iso("s.last_day")} AS last_order
FROM customers c LEFT JOIN customer_stats s ON s.customer_id = c.id
""",
    "orders_view": f"""
SELECT
    o.id,
    o.external_id AS order_number,
    o.customer_id,
    {_iso("o.order_day")} AS order_date,
    o.ordered_at,
    o.currency,
    {_money("o.subtotal")} AS subtotal,
    {_money("o.discount")} AS discount,
    {_money("o.shipping")} AS shipping,
    {_money("o.tax")} AS tax,
    {_money("o.total")} AS total,
    {_money("o.refunded")} AS refunded,
    {_money("o.total - o.refunded")} AS net,
    o.discount_code,
    o.status,
    o.fulfillment,
    CASE o.cancelled WHEN 1 THEN 'yes' ELSE 'no' END AS cancelled,
    o.source
FROM orders o
""",
    "order_lines_view": f"""
SELECT
    l.order_id,
    o.external_id AS order_number,
    {_iso("o.order_day")} AS order_date,
    l.position,
    l.sku,
    l.product,
    l.quantity,
    {_money("l.unit_price")} AS unit_price,
    {_money("l.unit_price * l.quantity")} AS line_total
FROM order_lines l JOIN orders o ON o.id = l.order_id
""",
}
"""Each view's name and its SELECT (README, "Use with other tools", lists the columns)."""


def create_shop_views(conn: sqlite3.Connection) -> None:
    """(Re)create the views, inside the caller's transaction (a migration's)."""
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    for name, select in SHOP_VIEWS.items():
        db.create_view(name, select.strip(), replace=True)
