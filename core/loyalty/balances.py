"""Every customer's points, tier and what the points are worth, as of one date.

Points = what the counting orders up to the as-of date earned (kept per customer and day in
`loyalty_points`, core/loyalty/kept.py) + the adjustments dated up to it (redemptions are
negative), both counted only after the customer's last expiry when expiry is on. Tiers come
from net spend in the 12 months up to the as-of date, kept in the same rows. So all
customers' balances are one pass over `loyalty_points` in key order plus the ledger
(docs/loyalty.md; bench/bench_loyalty.py measures it at a million orders).

Of that pass, moving each customer's row into Python costs more than SQLite's reading, so
the pass returns three columns per customer (four when expiry meets ledger rows), and the
statuses (eight fields) are made when read: `Balances` holds each customer's balance and
12-month spend, and totals over everyone (`loyalty_report`) read those without statuses.
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from itertools import islice
from typing import NamedTuple

from core.loyalty.kept import kept_is_current, kept_rows_sql, rule_params
from core.loyalty.rules import LoyaltyRules, add_months, load_rules
from core.schema_programme import loyalty_points_from_orders
from core.sqlfunctions import register_functions
from core.store import Store

__all__ = ["Balances", "LoyaltyStatus", "balances", "spend_window_start", "status_of"]

JULIAN_OFFSET = 1721424.5
"""julianday(d) − ordinal(d): SQLite's day numbers to `date.toordinal`."""


class LoyaltyStatus(NamedTuple):
    """One customer's loyalty figures as of a date."""

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


# Per customer with counting orders up to :as_of: their points and 12-month spend. Without
# expiry nothing is ever cut, so the points are the sum of the days' points.
_EARNED_SQL = """
    SELECT customer_id, sum(points), coalesce(sum(revenue) FILTER (WHERE day > :window), 0)
    FROM ({days}) WHERE day <= :as_of {only}
    GROUP BY customer_id
"""
# With expiry, from their last kept row up to :as_of (SQLite takes the bare columns from the
# row where max(day) is): the points since their last expiry, or 0 when those expired since;
# and, when ledger rows need it ({cut}), the day of that last expiry.
_EARNED_EXPIRY_SQL = """
    SELECT customer_id, points{cut}, spend FROM (
        SELECT customer_id, max(day),
               iif(expires IS NOT NULL AND :as_of > expires, 0, kept) AS points,
               iif(expires IS NOT NULL AND :as_of > expires, expires, cut) AS cut,
               coalesce(sum(revenue) FILTER (WHERE day > :window), 0) AS spend
        FROM ({days}) WHERE day <= :as_of {only}
        GROUP BY customer_id
    )
"""
_ADJUSTMENTS_SQL = f"""
    SELECT customer_id, CAST(julianday(as_of) - {JULIAN_OFFSET} AS INTEGER), points
    FROM loyalty_adjustments WHERE as_of <= :as_of_text {{only}}
"""
_NOTHING = (0, 0, 0)
"""A customer without counting orders or ledger rows: (id unused, 0 points, 0 spend)."""


class Balances(Mapping[int, LoyaltyStatus]):
    """The statuses `balances` found, by ascending customer id, each made when read (the
    350,000 of a large shop cost more to build than to compute; a total over everyone reads
    `figures` instead)."""

    __slots__ = ("_figures", "_make")

    def __init__(self, figures: dict[int, tuple[int, int, int]], make: _StatusMaker) -> None:
        self._figures = figures
        self._make = make

    def __getitem__(self, customer_id: int) -> LoyaltyStatus:
        _id, points, spend = self._figures[customer_id]
        return self._make(customer_id, points, spend)

    def __iter__(self) -> Iterator[int]:
        return iter(self._figures)

    def __len__(self) -> int:
        return len(self._figures)

    def __contains__(self, customer_id: object) -> bool:
        return customer_id in self._figures

    def __repr__(self) -> str:
        return f"Balances({dict(self)!r})"

    def figures(self) -> Iterable[tuple[int, int, int]]:
        """(id unused, points, 12-month spend) per customer: the rows statuses are made of."""
        return self._figures.values()

    def tiers_reached(self, spend: int) -> int:
        """How many tiers `spend` reaches (0: none; k: the k-th tier is the customer's)."""
        return self._make.reached(spend)


def balances(
    store: Store,
    as_of: date,
    customer_ids: Iterable[int] | None = None,
    rules: LoyaltyRules | None = None,
) -> Balances:
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
    adjustments = conn.execute(_ADJUSTMENTS_SQL.format(only=only), params).fetchall()
    if kept_is_current(conn, rules):
        days = "loyalty_points"
    elif rules.expiry_months:  # computed from the orders: slower, the same figures
        register_functions(conn)
        days = f"({kept_rows_sql(only, expiry=True)})"
    else:
        days = f"({loyalty_points_from_orders(only)})"
    cut_by_customer: dict[int, int] = {}
    if not rules.expiry_months:
        sql = _EARNED_SQL.format(days=days, only=only)
    else:
        sql = _EARNED_EXPIRY_SQL.format(days=days, only=only, cut=", cut" if adjustments else "")
    if rules.expiry_months and adjustments:  # ledger rows up to the last expiry are gone too
        earned = {}
        for customer_id, points, cut, spend in conn.execute(sql, params):
            earned[customer_id] = (customer_id, points, spend)
            cut_by_customer[customer_id] = cut
    else:
        earned = {row[0]: row for row in conn.execute(sql, params)}
    ids = _customer_ids(conn, None if wanted is None else str(params["ids"]))
    figures = dict.fromkeys(ids, _NOTHING)
    count = len(figures)
    figures.update(earned)  # in C; every earning customer exists (a foreign key)
    if len(figures) != count:  # pragma: no cover - only with foreign keys off: drop them
        figures = dict(islice(figures.items(), count))  # new keys come last
    for customer_id, day, points in adjustments:
        entry = figures.get(customer_id)
        if entry is not None and day > cut_by_customer.get(customer_id, 0):
            figures[customer_id] = (customer_id, entry[1] + points, entry[2])
    return Balances(figures, _StatusMaker(rules))


def _customer_ids(conn: sqlite3.Connection, ids_json: str | None) -> Iterable[int]:
    """Every customer's id (or those of the JSON list that exist), ascending. All of them
    are usually 1..N (nothing deletes customers): then they are a range, and Python need not
    take 350,000 rows from SQLite."""
    if ids_json is not None:
        sql = "SELECT id FROM customers WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"
        return [row[0] for row in conn.execute(sql, (ids_json,))]
    low, high, count = conn.execute("SELECT min(id), max(id), count(*) FROM customers").fetchone()
    if count and high - low + 1 == count:  # `count` distinct ids from low to high: all of them
        return range(low, high + 1)
    return [row[0] for row in conn.execute("SELECT id FROM customers ORDER BY id")]


class _StatusMaker:
    """`status_of` for many customers: tiers found by bisection, the rules' arithmetic
    (`order_points`, `value_cents`) inlined."""

    def __init__(self, rules: LoyaltyRules) -> None:
        self.thresholds = [tier.threshold for tier in rules.tiers]
        self.names = [tier.name for tier in rules.tiers]
        self.rate = rules.points_per_unit
        self.point_value = rules.point_value

    def reached(self, spend: int) -> int:
        """How many tiers `spend` reaches: the tier is `names[reached - 1]` (none at 0)."""
        return bisect_right(self.thresholds, spend)

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
