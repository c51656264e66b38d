"""Every customer's points, tier and what the points are worth, as of one date.

Points = what the counting orders up to the as-of date earned (kept per customer and day in
`loyalty_points`, core/loyalty/kept.py) + the adjustments dated up to it (redemptions are
negative), both counted only after the customer's last expiry when expiry is on. Tiers come
from net spend in the 12 months up to the as-of date, kept in the same rows. So all
customers' balances are one pass over `loyalty_points` in key order plus the ledger
(docs/loyalty.md; bench/bench_loyalty.py measures it at a million orders).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from core.loyalty.kept import kept_is_current, kept_rows_sql, rule_params
from core.loyalty.rules import LoyaltyRules, add_months, load_rules
from core.sqlfunctions import register_functions
from core.store import Store

__all__ = ["LoyaltyStatus", "balances", "spend_window_start", "status_of"]

JULIAN_OFFSET = 1721424.5
"""julianday(d) − ordinal(d): SQLite's day numbers to `date.toordinal`."""


class LoyaltyStatus(NamedTuple):
    """One customer's loyalty figures as of a date (a tuple: 350,000 of them are built in
    a fraction of the time dataclasses take)."""

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


# Per customer with counting orders up to :as_of, from their last kept row up to it (SQLite
# takes the bare columns from the row where max(day) is): the points since their last expiry
# then, that expiry's day, the day those points expire, and the 12-month spend.
_EARNED_SQL = """
    SELECT customer_id, max(day), kept, cut, expires,
           sum(CASE WHEN day > :window THEN revenue ELSE 0 END)
    FROM ({days}) WHERE day <= :as_of {only}
    GROUP BY customer_id
"""
# Without expiry nothing is ever cut: the sum of the points reads one column less.
_EARNED_NO_EXPIRY_SQL = """
    SELECT customer_id, 0, sum(points), 0, NULL,
           sum(CASE WHEN day > :window THEN revenue ELSE 0 END)
    FROM ({days}) WHERE day <= :as_of {only}
    GROUP BY customer_id
"""
_ADJUSTMENTS_SQL = f"""
    SELECT customer_id, CAST(julianday(as_of) - {JULIAN_OFFSET} AS INTEGER), points
    FROM loyalty_adjustments WHERE as_of <= :as_of_text {{only}}
"""


def balances(
    store: Store,
    as_of: date,
    customer_ids: Iterable[int] | None = None,
    rules: LoyaltyRules | None = None,
) -> dict[int, LoyaltyStatus]:
    """Per customer (every customer, or those of `customer_ids` that exist) their status,
    by ascending id.

    `rules` defaults to the shop's (`load_rules`, which refuses a stored rule that no longer
    validates with `LoyaltyError`).
    """
    rules = rules or load_rules(store)
    conn = store.conn
    wanted = None if customer_ids is None else sorted({int(i) for i in customer_ids})
    params: dict[str, object] = {
        "as_of": as_of.toordinal(),
        "as_of_text": as_of.isoformat(),
        "window": spend_window_start(as_of).toordinal(),
        "ids": None if wanted is None else json.dumps(wanted),
        **rule_params(rules),
    }
    only = "" if wanted is None else "AND customer_id IN (SELECT value FROM json_each(:ids))"
    if kept_is_current(conn, rules):
        days = "SELECT customer_id, day, points, kept, cut, expires, revenue FROM loyalty_points"
    else:
        register_functions(conn)
        days = kept_rows_sql(only, expiry=bool(rules.expiry_months))  # slower, the same figures
    as_of_day = params["as_of"]
    rows = conn.execute(
        (_EARNED_SQL if rules.expiry_months else _EARNED_NO_EXPIRY_SQL).format(
            days=days, only=only
        ),
        params,
    )
    # customer -> (points after the last expiry, 12-month spend, that expiry's day)
    earned: dict[int, tuple[int, int, int]] = (
        {
            customer_id: (0, spend, expires)  # no order since: all gone
            if expires is not None and as_of_day > expires
            else (kept, spend, cut)
            for customer_id, _last, kept, cut, expires, spend in rows
        }
        if rules.expiry_months
        else {customer_id: (kept, spend, 0) for customer_id, _l, kept, _c, _e, spend in rows}
    )
    adjusted: dict[int, int] = {}
    for customer_id, day, points in conn.execute(_ADJUSTMENTS_SQL.format(only=only), params):
        entry = earned.get(customer_id)
        if entry is None or day > entry[2]:
            adjusted[customer_id] = adjusted.get(customer_id, 0) + points
    if wanted is None:
        ids = [row[0] for row in conn.execute("SELECT id FROM customers ORDER BY id")]
    else:
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM customers WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
                (params["ids"],),
            )
        ]
    make = _StatusMaker(rules)
    nothing = (0, 0, 0)
    get = earned.get
    if adjusted:
        more = adjusted.get
        return {
            customer_id: make(customer_id, entry[0] + more(customer_id, 0), entry[1])
            for customer_id in ids
            for entry in (get(customer_id, nothing),)
        }
    return {
        customer_id: make(customer_id, entry[0], entry[1])
        for customer_id in ids
        for entry in (get(customer_id, nothing),)
    }


class _StatusMaker:
    """`status_of` for many customers: tiers found by bisection, the rules' arithmetic
    (`order_points`, `value_cents`) inlined: this runs 350,000 times in a second."""

    def __init__(self, rules: LoyaltyRules) -> None:
        self.thresholds = [tier.threshold for tier in rules.tiers]
        self.names = [tier.name for tier in rules.tiers]
        self.rate = rules.points_per_unit
        self.point_value = rules.point_value

    def __call__(self, customer_id: int, points: int, spend: int) -> LoyaltyStatus:
        reached = bisect_right(self.thresholds, spend)  # tiers whose threshold <= spend
        value = points * 100 // self.point_value if points > 0 else 0
        tier = self.names[reached - 1] if reached else None
        if reached == len(self.thresholds):
            return LoyaltyStatus(customer_id, points, value, spend, tier, None, None, None)
        missing = self.thresholds[reached] - spend
        return LoyaltyStatus(customer_id, points, value, spend, tier, self.names[reached],
                             missing, missing * self.rate // 100)  # fmt: skip


def status_of(rules: LoyaltyRules, customer_id: int, points: int, spend: int) -> LoyaltyStatus:
    """A customer's status from their balance and 12-month spend under `rules`."""
    return _StatusMaker(rules)(customer_id, points, spend)
