"""Marketing consent changed by the owner (in the app or a script), with its history kept.

A "no" recorded here is never turned back into "yes" by an import (see the importers'
consent rule), so a withdrawal the owner enters wins over later exports that still say yes.
"""

from __future__ import annotations

from core.store import Store, StoreError, utc_now

SOURCES = ("app", "cli", "import", "unsubscribe")


def set_marketing_consent(
    store: Store, customer_id: int, accepts: bool, *, source: str = "app"
) -> bool:
    """Record the customer's consent to marketing email; False when it already was so.

    Raises `StoreError` when the customer does not exist.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    now = utc_now()
    with store.write() as conn:
        row = conn.execute(
            "SELECT accepts_marketing FROM customers WHERE id = ?", (customer_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"customer {customer_id} does not exist")
        if row[0] is not None and bool(row[0]) == accepts:
            return False
        conn.execute(
            "UPDATE customers SET accepts_marketing = ?, updated_at = ? WHERE id = ?",
            (int(accepts), now, customer_id),
        )
        conn.execute(
            "INSERT INTO consent_events (customer_id, at, accepts_marketing, source) "
            "VALUES (?, ?, ?, ?)",
            (customer_id, now, int(accepts), source),
        )
    return True
