"""Every customer's points, tier and what the points are worth, as of one date.

Points = what the counting orders up to the as-of date earned (kept per customer day in
`loyalty_points`, core/loyalty/kept.py) + the adjustments dated up to it (redemptions are
negative), both counted only after the customer's last expiry when expiry is on. Tiers come
from net spend in the 12 months up to the as-of date (`customer_days`). One SQL statement
per figure over the summaries: no loop over orders (docs/loyalty.md, bench/bench_loyalty.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from core.loyalty.kept import kept_is_current
from core.loyalty.rules import LoyaltyRules, add_months, load_rules
from core.schema import loyalty_points_from_orders
from core.store import Store

__all__ = ["LoyaltyStatus", "balances", "expiry_cut_sql", "spend_window_start"]

_JULIAN_OFFSET = 1721424.5
"""julianday(d) − ordinal(d): SQLite's day numbers to `date.toordinal`."""


@dataclass(frozen=True)
class LoyaltyStatus:
    customer_id: int
    points: int
    """The balance: earned − redeemed ± other adjustments, after expiry (may be negative
    when a refund takes back points already redeemed)."""
    points_value: int
    """What the balance is worth when redeemed, in cents (0 for a negative balance)."""
    spend_12m: int
    """Net spend over the 12 months up to the as-of date, in cents: what decides the tier."""
    tier: str | None
    """The tier reached (None only when the first tier's threshold is above 0)."""
    next_tier: str | None
    spend_to_next_tier: int | None
    """Cents still to spend within the window to reach `next_tier` (None at the top)."""
    points_to_next_tier: int | None
    """The points that spend would earn at the current rate (bonuses aside)."""


def spend_window_start(as_of: date) -> date:
    """The last day *before* the 12-month tier window: the window is (this, as_of]."""
    return add_months(as_of, -12)


def balances(
    store: Store,
    as_of: date,
    customer_ids: Iterable[int] | None = None,
    rules: LoyaltyRules | None = None,
) -> dict[int, LoyaltyStatus]:
    """Per customer (every customer, or those of `customer_ids` that exist) their status.

    `rules` defaults to the shop's (`load_rules`, which refuses a stored rule that no longer
    validates with `LoyaltyError`).
    """
    rules = rules or load_rules(store)
    conn = store.conn
    ids_json = None if customer_ids is None else json.dumps(sorted({int(i) for i in customer_ids}))
    params: dict[str, object] = {
        "as_of": as_of.toordinal(),
        "window": spend_window_start(as_of).toordinal(),
        "ids": ids_json,
        "rate": rules.points_per_unit,
        "bonus2": rules.bonus_2nd_order,
        "bonus5": rules.bonus_5th_order,
        "months": rules.expiry_months or 0,
    }
    if kept_is_current(conn, rules):
        earned = "SELECT customer_id, day, points FROM loyalty_points"
    else:
        earned = loyalty_points_from_orders()
    if rules.expiry_months:
        _register_add_months(conn)
        cuts = expiry_cut_sql()
    else:
        cuts = "SELECT NULL AS customer_id, NULL AS cut WHERE 0"
    chosen = "IN (SELECT value FROM json_each(:ids))"
    only = "" if ids_json is None else f"AND customer_id {chosen}"
    only_earned = "" if ids_json is None else f"AND e.customer_id {chosen}"
    only_customers = "" if ids_json is None else f"AND c.id {chosen}"
    sql = f"""
        WITH
        cuts AS ({cuts}),
        earned AS (
            SELECT e.customer_id, sum(e.points) AS points FROM ({earned}) AS e
            LEFT JOIN cuts USING (customer_id)
            WHERE e.day <= :as_of AND e.day > coalesce(cuts.cut, 0) {only_earned}
            GROUP BY e.customer_id
        ),
        adjusted AS (
            SELECT a.customer_id, sum(a.points) AS points FROM (
                SELECT customer_id, points,
                       CAST(julianday(as_of) - {_JULIAN_OFFSET} AS INTEGER) AS day
                FROM loyalty_adjustments WHERE 1 {only}
            ) AS a
            LEFT JOIN cuts USING (customer_id)
            WHERE a.day <= :as_of AND a.day > coalesce(cuts.cut, 0)
            GROUP BY a.customer_id
        ),
        spent AS (
            SELECT customer_id, sum(revenue) AS spend FROM customer_days
            WHERE day > :window AND day <= :as_of {only}
            GROUP BY customer_id
        )
        SELECT c.id, coalesce(earned.points, 0) + coalesce(adjusted.points, 0),
               coalesce(spent.spend, 0)
        FROM customers c
        LEFT JOIN earned ON earned.customer_id = c.id
        LEFT JOIN adjusted ON adjusted.customer_id = c.id
        LEFT JOIN spent ON spent.customer_id = c.id
        WHERE 1 {only_customers}
        ORDER BY c.id
    """
    return {
        customer_id: status_of(rules, customer_id, points, spend)
        for customer_id, points, spend in conn.execute(sql, params)
    }


def status_of(rules: LoyaltyRules, customer_id: int, points: int, spend: int) -> LoyaltyStatus:
    """A customer's status from their balance and 12-month spend under `rules`."""
    tier = rules.tier_for(spend)
    upcoming = rules.next_tier(spend)
    missing = None if upcoming is None else upcoming.threshold - spend
    return LoyaltyStatus(
        customer_id=customer_id,
        points=points,
        points_value=rules.value_cents(points),
        spend_12m=spend,
        tier=None if tier is None else tier.name,
        next_tier=None if upcoming is None else upcoming.name,
        spend_to_next_tier=missing,
        points_to_next_tier=None if missing is None else rules.order_points(missing),
    )


def expiry_cut_sql() -> str:
    """(customer_id, cut): the day each customer's points last expired, up to :as_of.

    Points expire :months months after an order not followed by another within them: on
    the day `add_months(order day, months)`; what was earned or adjusted up to that day is
    gone, what comes after counts. Needs `rt_add_months` (registered by `balances`).
    Customers whose points never expired have no row.
    """
    return """
        SELECT customer_id, max(cut) AS cut FROM (
            SELECT customer_id, rt_add_months(prev_day, :months) AS cut FROM customer_days
            WHERE day <= :as_of AND prev_day IS NOT NULL AND day - prev_day > 28 * :months
              AND day > rt_add_months(prev_day, :months)
            UNION ALL
            SELECT customer_id, rt_add_months(max(day), :months) FROM customer_days
            WHERE day <= :as_of GROUP BY customer_id
            HAVING :as_of > rt_add_months(max(day), :months)
        )
        GROUP BY customer_id
    """


def _add_months_ordinal(day: int, months: int) -> int:
    return add_months(date.fromordinal(day), months).toordinal()


def _register_add_months(conn: sqlite3.Connection) -> None:
    conn.create_function("rt_add_months", 2, _add_months_ordinal, deterministic=True)
