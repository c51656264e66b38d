"""The points each customer earned per order day (and the day's net revenue), kept in
`loyalty_points` for fast balances.

They depend on the orders and on the earning rules (points per 1.00, the 2nd/5th order
bonuses). The table is stamped with the rules it was built under (setting
`loyalty.kept_rules`): an import refreshes the customers it touched when the stamp matches
and rebuilds the whole table when it does not, a rule change rebuilds it, and a reader that
finds a stale stamp computes from the orders instead. So the kept figures can be slow to
come back, never wrong (tests/test_loyalty_property.py compares them with a recomputation).
"""

from __future__ import annotations

import sqlite3

from core.loyalty.rules import LoyaltyError, LoyaltyRules, load_rules
from core.schema_programme import loyalty_points_from_orders

__all__ = ["KEPT_STAMP_KEY", "kept_is_current", "refresh_points"]

KEPT_STAMP_KEY = "loyalty.kept_rules"


def _params(rules: LoyaltyRules) -> dict[str, int]:
    return {"rate": rules.points_per_unit, "bonus2": rules.bonus_2nd_order,
            "bonus5": rules.bonus_5th_order}  # fmt: skip


def kept_is_current(conn: sqlite3.Connection, rules: LoyaltyRules) -> bool:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (KEPT_STAMP_KEY,)).fetchone()
    return row is not None and row[0] == rules.earning_stamp


def refresh_points(
    conn: sqlite3.Connection, affected_table: str | None = None, *, everyone: bool = False
) -> None:
    """Bring `loyalty_points` up to date inside the caller's transaction.

    The whole table is rebuilt under the rules now stored when `everyone` or when its stamp
    is not theirs (a rule changed); otherwise only the customers in `affected_table` (a table
    with their ids in column `id`) are recomputed, if given. A stored rule that no longer
    validates removes the stamp: readers then compute from the orders and report the rule.
    """
    try:
        rules = load_rules(conn)
    except LoyaltyError:
        conn.execute("DELETE FROM settings WHERE key = ?", (KEPT_STAMP_KEY,))
        return
    params = _params(rules)
    if not everyone and kept_is_current(conn, rules):
        if affected_table is not None:
            only = f"AND customer_id IN (SELECT id FROM {affected_table})"
            conn.execute(f"DELETE FROM loyalty_points WHERE 1 {only}")
            conn.execute(
                "INSERT INTO loyalty_points (customer_id, day, points, revenue) "
                + loyalty_points_from_orders(only),
                params,
            )
        return
    conn.execute("DELETE FROM loyalty_points")
    conn.execute(
        "INSERT INTO loyalty_points (customer_id, day, points, revenue) "
        + loyalty_points_from_orders(),
        params,
    )
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (KEPT_STAMP_KEY, rules.earning_stamp),
    )
