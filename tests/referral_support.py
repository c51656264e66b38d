"""Referral codes written as rows the way `referral codes` leaves them, and what tests read
back: credits, and the referral points in loyalty's ledger."""

from __future__ import annotations

from core.store import Store

CREATED_AT = "2024-11-30T12:00:00+00:00"


def add_referral_code(store: Store, code: str, email: str) -> int:
    """Give the customer with `email` the referral code `code`; their customer id."""
    with store.write() as conn:
        (customer_id,) = conn.execute(
            "SELECT id FROM customers WHERE email = ?", (email,)
        ).fetchone()
        conn.execute(
            "INSERT INTO referral_codes (code, customer_id, created_at) VALUES (?, ?, ?)",
            (code, customer_id, CREATED_AT),
        )
    return int(customer_id)


def credits(store: Store) -> dict[str, tuple[str, str]]:
    """referred email -> (referrer email, state) for every credit row."""
    rows = store.execute(
        "SELECT referred.email, referrer.email, r.state FROM referral_credits r "
        "JOIN customers referred ON referred.id = r.referred_id "
        "JOIN customers referrer ON referrer.id = r.referrer_id"
    )
    return {referred: (referrer, state) for referred, referrer, state in rows}


def credited(store: Store) -> dict[str, str]:
    """referred email -> referrer email, for credits that stand."""
    return {k: v[0] for k, v in credits(store).items() if v[1] == "credited"}


def referral_points(store: Store) -> dict[str, int]:
    """referrer email -> net referral points in the ledger (customers with none left out)."""
    rows = store.execute(
        "SELECT c.email, sum(a.points) FROM loyalty_adjustments a "
        "JOIN customers c ON c.id = a.customer_id WHERE a.kind = 'referral' GROUP BY c.email"
    )
    return {email: int(points) for email, points in rows if points}


def ledger(store: Store) -> list[tuple[str, int, str, str]]:
    """(customer email, points, reference, as_of) of every referral row, in order."""
    rows = store.execute(
        "SELECT c.email, a.points, a.reference, a.as_of FROM loyalty_adjustments a "
        "JOIN customers c ON c.id = a.customer_id WHERE a.kind = 'referral' ORDER BY a.id"
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]
