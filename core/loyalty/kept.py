"""The points each customer earned per order day (and the day's net revenue), kept in
`loyalty_points` for fast balances, with what expiry needs already worked out per row.

They depend on the orders and on the earning and expiry rules (points per 1.00, the 2nd/5th
order bonuses, `expiry_months`). The table is stamped with the rules it was built under
(setting `loyalty.kept_rules`): an import refreshes the customers it touched when the stamp
matches and rebuilds the whole table when it does not, a rule change rebuilds it, and a
reader that finds a stale stamp computes the same rows from the orders instead. So the kept
figures can be slow to come back, never wrong (tests/test_loyalty_property.py compares them
with a recomputation and with a brute-force reading of docs/loyalty.md).

Per row (customer, order day), besides the day's points and revenue:
- `kept`: the points earned from the customer's last expiry up to this day, this day
  included (the running sum restarts on a day that comes more than `expiry_months` after
  the previous order day);
- `cut`: that last expiry's day (0: none yet), so ledger rows dated up to it are gone too;
- `expires`: the day this day's balance expires if no order follows (NULL without expiry).
So a balance as of any date is the customer's last row up to it, one pass in key order.
"""

from __future__ import annotations

import sqlite3

from core.loyalty.rules import DEFAULT_RULES, LoyaltyError, LoyaltyRules, load_rules
from core.schema_programme import loyalty_points_from_orders
from core.sqlfunctions import register_functions

__all__ = [
    "KEPT_COLUMNS",
    "KEPT_STAMP_KEY",
    "everyone_params",
    "kept_is_current",
    "kept_rows_sql",
    "refresh_points",
    "rule_params",
]

KEPT_STAMP_KEY = "loyalty.kept_rules"
KEPT_COLUMNS = "customer_id, day, points, revenue, kept, cut, expires"


def kept_rows_sql(where: str = "", *, expiry: bool = True, days: str | None = None) -> str:
    """(KEPT_COLUMNS) for the customers of the orders `where` narrows (`AND ...`), computed
    from the orders with the parameters of `rule_params`, or from `days` (a query giving
    `loyalty_points_from_orders`' columns, `where` then unused). A gap longer than :months
    months (the cheap `> 28 * :months` test first, so the month arithmetic runs on real gaps
    only) starts a new era: `kept` sums the points of the current era. Without `expiry`
    (:months is 0) there is one era: one window pass instead of three."""
    days = days or loyalty_points_from_orders(where)
    if not expiry:
        return f"""
        SELECT customer_id, day, points, revenue,
               sum(points) OVER (PARTITION BY customer_id ORDER BY day
                                 ROWS UNBOUNDED PRECEDING) AS kept,
               0 AS cut, NULL AS expires
        FROM ({days})
    """
    return f"""
        WITH days AS ({days}),
        gaps AS (
            SELECT customer_id, day, points, revenue,
                   CASE WHEN :months > 0 AND day - prev > 28 * :months
                             AND day > rt_add_months(prev, :months)
                        THEN rt_add_months(prev, :months) ELSE 0 END AS gap_cut
            FROM (SELECT customer_id, day, points, revenue,
                         lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS prev
                  FROM days)
        ),
        eras AS (
            SELECT customer_id, day, points, revenue,
                   max(gap_cut) OVER running AS cut, sum(gap_cut > 0) OVER running AS era
            FROM gaps
            WINDOW running AS (PARTITION BY customer_id ORDER BY day ROWS UNBOUNDED PRECEDING)
        )
        SELECT customer_id, day, points, revenue,
               sum(points) OVER (PARTITION BY customer_id, era ORDER BY day
                                 ROWS UNBOUNDED PRECEDING) AS kept,
               cut,
               CASE WHEN :months > 0 THEN rt_add_months(day, :months) END AS expires
        FROM eras
    """


def rule_params(rules: LoyaltyRules) -> dict[str, int]:
    """The parameters `kept_rows_sql` reads."""
    return {"rate": rules.points_per_unit, "bonus2": rules.bonus_2nd_order,
            "bonus5": rules.bonus_5th_order, "months": rules.expiry_months or 0}  # fmt: skip


def everyone_params(conn: sqlite3.Connection) -> dict[str, int]:
    """`rule_params` of the stored rules for a rebuild of every customer's points ahead of
    `refresh_points(everyone=True)`; the defaults' when a stored rule no longer validates
    (`refresh_points` then keeps no points, and what was computed with these goes unread)."""
    try:
        return rule_params(load_rules(conn))
    except LoyaltyError:
        return rule_params(DEFAULT_RULES)


def kept_is_current(conn: sqlite3.Connection, rules: LoyaltyRules) -> bool:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (KEPT_STAMP_KEY,)).fetchone()
    return row is not None and row[0] == rules.earning_stamp


def refresh_points(
    conn: sqlite3.Connection,
    affected_table: str | None = None,
    *,
    everyone: bool = False,
    every_day: str | None = None,
) -> None:
    """Bring `loyalty_points` up to date inside the caller's transaction.

    The whole table is rebuilt under the rules now stored when `everyone` or when its stamp
    is not theirs (a rule changed); otherwise only the customers in `affected_table` (a table
    with their ids in column `id`) are recomputed, if given. A stored rule that no longer
    validates removes the stamp: readers then compute from the orders and report the rule.

    `every_day` (with `everyone`) names a table of every customer day with counting orders,
    its `points` and their running sum `kept` (without expiry), computed with
    `everyone_params` (core/summaries.py's rebuild): read instead of sorting every order.
    """
    try:
        rules = load_rules(conn)
    except LoyaltyError:
        conn.execute("DELETE FROM settings WHERE key = ?", (KEPT_STAMP_KEY,))
        return
    register_functions(conn)
    params = rule_params(rules)
    expiry = bool(rules.expiry_months)
    if not everyone and kept_is_current(conn, rules):
        if affected_table is not None:
            only = f"AND customer_id IN (SELECT id FROM {affected_table})"
            conn.execute(f"DELETE FROM loyalty_points WHERE 1 {only}")
            conn.execute(
                f"INSERT INTO loyalty_points ({KEPT_COLUMNS}) "
                + kept_rows_sql(only, expiry=expiry),
                params,
            )
        return
    if every_day is None:
        rows = kept_rows_sql(expiry=expiry)
    elif expiry:
        rows = kept_rows_sql(days=f"SELECT customer_id, day, points, revenue FROM {every_day}")
    else:
        rows = f"SELECT customer_id, day, points, revenue, kept, 0, NULL FROM {every_day}"
    conn.execute("DELETE FROM loyalty_points")
    conn.execute(f"INSERT INTO loyalty_points ({KEPT_COLUMNS}) {rows}", params)
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (KEPT_STAMP_KEY, rules.earning_stamp),
    )


def upgrade_kept_points(conn: sqlite3.Connection) -> None:
    """The migration adding `kept`, `cut` and `expires`: a shop whose table was kept is
    rebuilt under its rules now (a new, empty shop stays without a stamp)."""
    for column in ("kept INTEGER NOT NULL DEFAULT 0", "cut INTEGER NOT NULL DEFAULT 0",
                   "expires INTEGER"):  # fmt: skip
        conn.execute(f"ALTER TABLE loyalty_points ADD COLUMN {column}")
    stamped = conn.execute("SELECT 1 FROM settings WHERE key = ?", (KEPT_STAMP_KEY,)).fetchone()
    if stamped is not None:
        refresh_points(conn, everyone=True)
