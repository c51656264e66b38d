"""Redeeming points: a negative adjustment, refused beyond the balance."""

from __future__ import annotations

from datetime import date

from core.loyalty.balances import balances
from core.loyalty.ledger import add_adjustment
from core.loyalty.rules import LoyaltyError, LoyaltyRules, load_rules
from core.store import Store

__all__ = ["check_balance", "redeem"]


def redeem(
    store: Store,
    customer_id: int,
    points: int,
    as_of: date,
    reference: str | None = None,
    kind: str = "redemption",
) -> int:
    """Take `points` (> 0) from the customer's balance as of `as_of`; returns the new balance.

    Refused (`LoyaltyError`, nothing written) for an unknown customer, a number that is not
    a positive whole number, or more than the balance on `as_of` or on the date of any
    later adjustment (so a redemption back-dated before others cannot overdraw them).
    Checked and written in one transaction, so two redemptions cannot both spend the same
    points.
    """
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise LoyaltyError(f"points to redeem must be a whole number above 0, not {points!r}")
    rules = load_rules(store)
    with store.write() as conn:
        check_balance(store, customer_id, points, as_of, rules)
        add_adjustment(conn, customer_id, -points, kind, reference, as_of)
    return balances(store, as_of, [customer_id], rules)[customer_id].points


def check_balance(
    store: Store, customer_id: int, points: int, as_of: date, rules: LoyaltyRules
) -> None:
    """Inside the caller's write transaction: `LoyaltyError` for an unknown customer or
    when `points` exceed the balance on `as_of` or on the date of any later adjustment."""
    conn = store.conn
    if conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer_id,)).fetchone() is None:
        raise LoyaltyError(f"no customer with id {customer_id}")
    later = [
        date.fromisoformat(day)
        for (day,) in conn.execute(
            "SELECT DISTINCT as_of FROM loyalty_adjustments WHERE customer_id = ? AND as_of > ?",
            (customer_id, as_of.isoformat()),
        )
    ]
    for day in (as_of, *later):
        balance = balances(store, day, [customer_id], rules)[customer_id].points
        if points > balance:
            raise LoyaltyError(
                f"customer {customer_id} has {balance:,} points as of {day}: "
                f"cannot redeem {points:,}"
            )
