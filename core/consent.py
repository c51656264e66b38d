"""Marketing consent and the suppression list: a "no" is never lost.

Consent lives on `customers.accepts_marketing` with its history in `consent_events`. A "no"
(from the owner, or any "no" in an imported file) also puts the address on the suppression
list: the sha256 of its normalised form (`core.values.email_key`), a reason and a date, never
the address itself. A suppressed address gets no marketing email, whichever customer holds it
now or later: imports keep such customers at "no", the app refuses to record a "yes", and the
composer leaves them out (reason `suppressed`). Transactional mail (e.g. a thank-you for an
order) may still go. Only `lift_suppression`, which must be given the address, undoes it.

`suppress` and `is_suppressed` are the API other parts call (the importer, erasure).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from core.store import Store, StoreError, utc_now
from core.values import email_key

SOURCES = ("app", "cli", "import", "unsubscribe")
REASONS = ("withdrawn", "erased")


class SuppressedError(StoreError):
    """Marketing consent asked for an address on the suppression list."""


@dataclass(frozen=True)
class SuppressionGroup:
    """How many addresses are suppressed for one reason, and since when (no addresses)."""

    reason: str
    count: int
    first_at: str
    last_at: str


def address_hash(address: str | None) -> str | None:
    """sha256 (hex) of the normalised address; None for no address."""
    key = email_key(address)
    return key_hash(key) if key else None


def key_hash(key: str) -> str:
    """`address_hash` of an address already normalised (a stored `email_key`)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def suppress(conn: sqlite3.Connection, address: str, reason: str, *, source: str = "app") -> bool:
    """Put `address` on the suppression list and withdraw marketing consent from every
    customer holding it, inside the caller's transaction. False when it already was there."""
    added, _ = suppress_keys(conn, [email_key(address)], reason, source=source)
    return added > 0


def suppress_keys(
    conn: sqlite3.Connection, keys: Iterable[str | None], reason: str, *, source: str
) -> tuple[int, int]:
    """`suppress` for many normalised addresses (`email_key`s) at once: how many were new on
    the list, and how many customers' consent it withdrew."""
    wanted = sorted({key for key in keys if key})
    added = list_keys(conn, wanted, reason)
    return added, withdraw_consent(conn, "email_key = ?", [(key,) for key in wanted], source)


def list_keys(conn: sqlite3.Connection, keys: Iterable[str], reason: str) -> int:
    """Only the list half of `suppress_keys`; how many keys were new on the list."""
    return list_hashes(conn, [key_hash(key) for key in keys], reason)


def list_hashes(conn: sqlite3.Connection, hashes: Iterable[str], reason: str) -> int:
    """`list_keys` for addresses already hashed (the importer hashes them while staging,
    before it takes the write lock); how many were new on the list."""
    if reason not in REASONS:
        raise ValueError(f"unknown suppression reason {reason!r}")
    now = utc_now()
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO suppressions (address_hash, reason, at) VALUES (?, ?, ?)",
        [(digest, reason, now) for digest in hashes],
    )
    return conn.total_changes - before


def withdraw_consent(
    conn: sqlite3.Connection, where: str, params: list[tuple[object, ...]], source: str
) -> int:
    """Set consent to "no" for the customers `where` selects (once per parameter tuple),
    recording each change in `consent_events`; how many changed."""
    now = utc_now()
    condition = f"({where}) AND accepts_marketing IS NOT 0"
    conn.executemany(
        "INSERT INTO consent_events (customer_id, at, accepts_marketing, source) "
        f"SELECT id, ?, 0, ? FROM customers WHERE {condition}",
        [(now, source, *values) for values in params],
    )
    before = conn.total_changes
    conn.executemany(
        f"UPDATE customers SET accepts_marketing = 0, updated_at = ? WHERE {condition}",
        [(now, *values) for values in params],
    )
    return conn.total_changes - before


def suppressed_hashes(conn: sqlite3.Connection) -> set[str]:
    """Every suppressed address hash: the composer checks a whole list against it at once."""
    return {row[0] for row in conn.execute("SELECT address_hash FROM suppressions")}


def is_suppressed(conn: sqlite3.Connection, address: str | None) -> bool:
    digest = address_hash(address)
    if digest is None:
        return False
    found = conn.execute("SELECT 1 FROM suppressions WHERE address_hash = ?", (digest,))
    return found.fetchone() is not None


def withhold_suppressed(conn: sqlite3.Connection, customer_ids: Iterable[int], source: str) -> int:
    """Set consent to "no" for those of `customer_ids` whose address is suppressed (e.g. an
    import said yes, or gave a customer a suppressed address); how many changed."""
    # Looked up hash by hash: reading the whole list costs as much as the shop's history
    # of "no"s, inside the importer's write lock, for a handful of customers.
    ids = list(customer_ids)
    held: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT id, email_key FROM customers WHERE id IN ({marks}) AND email_key IS NOT NULL",
            chunk,
        ).fetchall()
        by_hash = {key_hash(key): cid for cid, key in rows}
        marks = ", ".join("?" * len(by_hash))
        listed = conn.execute(
            f"SELECT address_hash FROM suppressions WHERE address_hash IN ({marks})", list(by_hash)
        )
        held.extend(by_hash[digest] for (digest,) in listed)
    return withdraw_consent(conn, "id = ?", [(cid,) for cid in held], source)


def lift_suppression(store: Store, address: str) -> bool:
    """Remove `address` from the suppression list (the owner named it); False when it was not
    there. Consent stays "no" until the customer agrees again and that is recorded."""
    digest = address_hash(address)
    if digest is None:
        return False
    with store.write() as conn:
        cursor = conn.execute("DELETE FROM suppressions WHERE address_hash = ?", (digest,))
    return cursor.rowcount > 0


def suppression_groups(conn: sqlite3.Connection) -> list[SuppressionGroup]:
    rows = conn.execute(
        "SELECT reason, count(*), min(at), max(at) FROM suppressions "
        "GROUP BY reason ORDER BY reason"
    ).fetchall()
    return [SuppressionGroup(*row) for row in rows]


def set_marketing_consent(
    store: Store, customer_id: int, accepts: bool, *, source: str = "app"
) -> bool:
    """Record the customer's consent to marketing email; False when it already was so.

    A "no" also suppresses the customer's address. Raises `SuppressedError` for a "yes" to a
    suppressed address, `StoreError` when the customer does not exist.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    now = utc_now()
    with store.write() as conn:
        row = conn.execute(
            "SELECT accepts_marketing, email FROM customers WHERE id = ?", (customer_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"customer {customer_id} does not exist")
        stored, email = row
        if accepts and is_suppressed(conn, email):
            raise SuppressedError(
                "this address is on the suppression list: only "
                "`retain-tui suppressed lift EMAIL` can allow marketing email to it again"
            )
        if stored is not None and bool(stored) == accepts:
            if not accepts and email_key(email):
                suppress(conn, email, "withdrawn", source=source)
            return False
        if not accepts:
            if email_key(email):  # every customer with the address, this one included
                suppress(conn, email, "withdrawn", source=source)
            withdraw_consent(conn, "id = ?", [(customer_id,)], source)
            return True
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
