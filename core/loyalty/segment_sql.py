"""The segment fields `points` and `tier` as SQL over a snapshot (core/segment_fields.py).

Each is a correlated subquery per customer (`c.id`) on the primary keys of `loyalty_points`,
`customer_days` and the ledger's index, so a filter touching a few customers reads a few rows
and one over every customer stays a single pass. The figures are `balances`' (tests compare
them on random shops); values only ever arrive as parameters.
"""

from __future__ import annotations

from core.filterlang import FilterError
from core.loyalty.balances import spend_window_start
from core.loyalty.rules import LoyaltyRules
from core.schema_programme import loyalty_points_from_orders
from core.snapshot import Snapshot
from core.sqlparts import Sql, join

__all__ = ["points_sql", "tier_sql"]

_JULIAN_OFFSET = 1721424.5


def _rules(snapshot: Snapshot) -> LoyaltyRules:
    if snapshot.loyalty is None:
        raise FilterError(f"points and tier need valid loyalty rules: {snapshot.loyalty_problem}")
    return snapshot.loyalty


def _cut(rules: LoyaltyRules, day: int) -> Sql:
    """The day the customer's points last expired up to `day` (0: never)."""
    months = rules.expiry_months
    if not months:
        return Sql("0")
    return Sql(
        "coalesce((SELECT max(cut) FROM ("
        "SELECT rt_add_months(d.prev_day, ?) AS cut FROM customer_days d "
        "WHERE d.customer_id = c.id AND d.day <= ? AND d.prev_day IS NOT NULL "
        "AND d.day - d.prev_day > ? AND d.day > rt_add_months(d.prev_day, ?) "
        "UNION ALL "
        "SELECT rt_add_months(max(d.day), ?) FROM customer_days d "
        "WHERE d.customer_id = c.id AND d.day <= ? HAVING ? > rt_add_months(max(d.day), ?)"
        ")), 0)",
        (months, day, 28 * months, months, months, day, day, months),
    )


def _last_kept(expression: str, day: int) -> Sql:
    """`expression` over the customer's last kept row up to `day` (a primary-key seek), 0
    without one; `?` in it is `day` (core/loyalty/kept.py: the points since the last
    expiry, that expiry's day, when they expire)."""
    return Sql(
        f"coalesce((SELECT {expression} FROM loyalty_points p WHERE p.customer_id = c.id "
        "AND p.day <= ? ORDER BY p.day DESC LIMIT 1), 0)",
        (day, day),
    )


def _adjusted_after(snapshot: Snapshot, cut: Sql) -> Sql:
    """The ledger rows dated up to the as-of date and after `cut` (a day number)."""
    return join(
        "",
        [
            Sql(
                "coalesce((SELECT sum(a.points) FROM loyalty_adjustments a "
                f"WHERE a.customer_id = c.id AND a.as_of <= ? "
                f"AND CAST(julianday(a.as_of) - {_JULIAN_OFFSET} AS INTEGER) > ",
                (snapshot.as_of.isoformat(),),
            ),
            cut,
            Sql("), 0)"),
        ],
    )


def points_sql(snapshot: Snapshot) -> Sql:
    """The customer's balance as of the snapshot's date."""
    rules = _rules(snapshot)
    day = snapshot.day
    if snapshot.loyalty_kept and rules.expiry_months:  # expiry read from the kept rows
        gone = "p.expires IS NOT NULL AND ? > p.expires"
        earned = _last_kept(f"CASE WHEN {gone} THEN 0 ELSE p.kept END", day)
        cut = _last_kept(f"CASE WHEN {gone} THEN p.expires ELSE p.cut END", day)
        return join(" + ", [earned, _adjusted_after(snapshot, cut)]).wrap("({})")
    if snapshot.loyalty_kept:
        earned_from = Sql("loyalty_points")
    else:
        text = loyalty_points_from_orders("AND customer_id = c.id")
        for name in (":rate", ":bonus2", ":bonus5"):
            text = text.replace(name, "?", 1)
        earned_from = Sql(
            f"({text})",
            (rules.points_per_unit, rules.bonus_2nd_order, rules.bonus_5th_order),
        )
    earned = join(
        "",
        [
            Sql("coalesce((SELECT sum(p.points) FROM "),
            earned_from,
            Sql(" p WHERE p.customer_id = c.id AND p.day <= ? AND p.day > ", (day,)),
            _cut(rules, day),
            Sql("), 0)"),
        ],
    )
    adjusted = _adjusted_after(snapshot, _cut(rules, day))
    return join(" + ", [earned, adjusted]).wrap("({})")


def tier_sql(snapshot: Snapshot) -> Sql:
    """The tier the customer's net spend over the 12 months up to the as-of date reaches."""
    rules = _rules(snapshot)
    spend = Sql(
        "(SELECT coalesce(sum(d.revenue), 0) FROM customer_days d "
        "WHERE d.customer_id = c.id AND d.day > ? AND d.day <= ?) AS spend",
        (spend_window_start(snapshot.as_of).toordinal(), snapshot.day),
    )
    cases = join(
        " ",
        [Sql("WHEN x.spend >= ? THEN ?", (t.threshold, t.name)) for t in reversed(rules.tiers)],
    )
    return join("", [Sql("(SELECT CASE "), cases, Sql(" END FROM (SELECT "), spend, Sql(") x)")])
