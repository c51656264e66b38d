"""The adjustments ledger: point changes not derived from orders (table `loyalty_adjustments`).

Redemptions are negative rows; referral credit, manual corrections and points codes
(negative when issued at the counter or used in an order, positive when that order stopped
counting: core/loyalty/codes.py) are rows too. Each row is dated by the as-of date it was
made at, so a balance as of an earlier date ignores it. A referral or code row is recorded
at most once per customer and reference (a unique index), so re-running what credits is
harmless.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from core.loyalty.rules import LoyaltyError
from core.store import utc_now

__all__ = ["ADJUSTMENT_KINDS", "add_adjustment"]

ADJUSTMENT_KINDS = ("redemption", "referral", "manual", "code")
MAX_ADJUSTMENT = 1_000_000_000


def add_adjustment(
    conn: sqlite3.Connection,
    customer_id: int,
    points: int,
    kind: str,
    reference: str | None,
    as_of: date,
) -> int | None:
    """Record `points` (+ credit, − redemption) for the customer in the caller's transaction.

    Returns the new row's id, or None when a 'referral' or 'code' row with the same customer
    and reference exists already (nothing is added: credit happens exactly once).
    Checks the kind, the sign (a redemption is negative) and that the customer exists; the
    balance check of a redemption is `redeem`'s (core/loyalty/redeem.py).
    """
    if kind not in ADJUSTMENT_KINDS:
        raise LoyaltyError(
            f"unknown adjustment kind {kind!r}; choose {', '.join(ADJUSTMENT_KINDS)}"
        )
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise LoyaltyError(f"points must be a whole number other than 0, not {points!r}")
    if abs(points) > MAX_ADJUSTMENT:
        raise LoyaltyError(f"{points:,} points: at most {MAX_ADJUSTMENT:,} at once")
    if kind == "redemption" and points > 0:
        raise LoyaltyError(f"a {kind} takes points away: give a negative number")
    if conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone() is None:
        raise LoyaltyError(f"no customer with id {customer_id}")
    cursor = conn.execute(
        "INSERT INTO loyalty_adjustments (customer_id, points, kind, reference, created_at, as_of) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (customer_id, points, kind, reference, utc_now(), as_of.isoformat()),
    )
    return cursor.lastrowid if cursor.rowcount else None
