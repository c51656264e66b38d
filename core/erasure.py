"""Forgetting a person (a GDPR erasure request) while every figure of the shop stays as it was.

The customer row stays: orders reference it and the summaries (`customer_stats`,
`customer_days`, `cohort_months`, ...) are keyed by it, so removing it would change history.
What identifies the person is cleared instead (docs/reliability.md, "Erasure and access
requests"): email, names, the shop's customer id, the account's creation time, tags, the note
the discount codes of their orders, and their messages in the outbox (core/delivery: address
and message bytes; the rows are deleted). Country and language stay: coarse, shared by many, and
figures and segments are cut by them. Marketing consent becomes "no" (a forgotten person is never
mailed), with an event saying so; earlier consent events hold no personal data and stay, so a
withdrawal remains provable.

Clearing a column does not clear the file: SQLite leaves old cells in free space, FTS5 keeps
deleted tokens in older segments, and the WAL holds old pages until a checkpoint. So the
rewrite runs with `secure_delete`, the search index is merged (`optimize`), the file is rebuilt
(`VACUUM`) and the WAL truncated. A reader holding an old snapshot (the app open on the same
shop) can keep the WAL from being truncated: the report says so (`wal_cleared`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field

from core.codes.redemptions import KEPT_OF_ERASED_CELL
from core.consent import list_keys
from core.store import BUSY_TIMEOUT_MS, Store, utc_now
from core.values import email_key

PERSONAL_COLUMNS = (
    "email", "first_name", "last_name", "external_id", "created_at", "tags", "note",
)  # fmt: skip
"""The `customers` columns forgetting clears (`email_key` goes with `email`)."""

CHECKPOINT_WAIT_MS = 500
"""How long emptying the WAL waits for another connection's read to end."""

ERASURE_SOURCE = "erasure"
"""The `consent_events.source` of the "no" that forgetting records."""


class UnknownPersonError(LookupError):
    """No customer has this email address or id: nothing was changed."""


@dataclass
class ErasureReport:
    """What forgetting removed, counted per table and column, for the owner's records."""

    customer_ids: list[int]
    cleared: dict[str, int] = field(default_factory=dict)
    """`customers.email` -> how many values were cleared (only columns that held something)."""
    consent_withdrawn: int = 0
    search_rows_removed: int = 0
    kept_orders: int = 0
    segments_mentioning: list[str] = field(default_factory=list)
    """Saved segments whose expression names the person: the owner must edit them."""
    wal_cleared: bool = True
    rebuild_error: str | None = None
    rebuild_interrupted: bool = False
    """Why the file could not be rebuilt after the commit (no room for VACUUM's copy...):
    the fields are cleared, but old copies may remain in free space until a rebuild."""
    forgotten_email_keys: list[str] = field(default_factory=list, repr=False)
    """For the suppression list only; never printed (that would repeat what was erased)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "customer_ids": self.customer_ids,
            "cleared": self.cleared,
            "consent_withdrawn": self.consent_withdrawn,
            "search_rows_removed": self.search_rows_removed,
            "kept_orders": self.kept_orders,
            "segments_mentioning": self.segments_mentioning,
            "wal_cleared": self.wal_cleared,
            "rebuild_error": self.rebuild_error,
        }


def find_person(store: Store, who: str) -> list[int]:
    """The customers `who` names: a number is a customer id, anything else an email address
    (compared as imports match them, `email_key`). Email keys are unique, so an address names
    at most one customer. Raises `UnknownPersonError` when nobody matches."""
    text = who.strip()
    if text.isdigit():
        rows = store.execute("SELECT id FROM customers WHERE id = ?", (int(text),)).fetchall()
    else:
        key = email_key(text)
        rows = store.execute("SELECT id FROM customers WHERE email_key = ?", (key,)).fetchall()
    if not rows:
        raise UnknownPersonError(f"{who}: no customer with this email address or id")
    return [row[0] for row in rows]


def forget_customers(store: Store, customer_ids: list[int]) -> ErasureReport:
    """Clear every personal field of these customers and rebuild the file without them.

    One transaction: an interruption before the commit changes nothing. Unknown ids raise
    `UnknownPersonError` before anything is written.
    """
    ids = json.dumps(sorted(set(customer_ids)))
    members = "SELECT value FROM json_each(:ids)"
    report = ErasureReport(customer_ids=sorted(set(customer_ids)))
    old_secure = store.scalar("PRAGMA secure_delete")
    store.execute("PRAGMA secure_delete = ON")
    try:
        with store.write() as conn:
            known = conn.execute(
                f"SELECT count(*) FROM customers WHERE id IN ({members})", {"ids": ids}
            ).fetchone()[0]
            if known != len(report.customer_ids):
                raise UnknownPersonError("no such customer; nothing was changed")
            for column in PERSONAL_COLUMNS:
                count = conn.execute(
                    f"SELECT count({column}) FROM customers WHERE id IN ({members})", {"ids": ids}
                ).fetchone()[0]
                if count:
                    report.cleared[f"customers.{column}"] = count
            identities = conn.execute(
                f"SELECT id, email_key, external_id FROM customers WHERE id IN ({members})",
                {"ids": ids},
            ).fetchall()
            report.forgotten_email_keys = [key for _id, key, _ext in identities if key]
            report.segments_mentioning = _segments_mentioning(conn, ids)
            report.search_rows_removed = conn.execute(
                f"SELECT count(*) FROM customers WHERE id IN ({members}) "
                "AND coalesce(email, first_name, last_name) IS NOT NULL",
                {"ids": ids},
            ).fetchone()[0]
            now = utc_now()
            report.consent_withdrawn = conn.execute(
                "INSERT INTO consent_events (customer_id, at, accepts_marketing, source) "
                f"SELECT id, :now, 0, :source FROM customers WHERE id IN ({members}) "
                "AND accepts_marketing IS NOT 0",
                {"ids": ids, "now": now, "source": ERASURE_SOURCE},
            ).rowcount
            cleared = ", ".join(f"{column} = NULL" for column in PERSONAL_COLUMNS)
            conn.execute(
                f"UPDATE customers SET {cleared}, email_key = NULL, accepts_marketing = 0, "
                f"updated_at = :now WHERE id IN ({members})",
                {"ids": ids, "now": now},
            )
            codes = conn.execute(
                f"UPDATE orders SET discount_code = {KEPT_OF_ERASED_CELL} "
                f"WHERE customer_id IN ({members}) AND discount_code IS NOT NULL "
                f"AND discount_code IS NOT {KEPT_OF_ERASED_CELL}",
                {"ids": ids},
            ).rowcount
            if codes:
                report.cleared["orders.discount_code"] = codes
            # The outbox holds the person's address and whole messages (core/delivery).
            outbox = conn.execute(
                f"DELETE FROM outbox WHERE customer_id IN ({members})", {"ids": ids}
            ).rowcount
            if outbox:
                report.cleared["outbox"] = outbox
            report.kept_orders = conn.execute(
                f"SELECT count(*) FROM orders WHERE customer_id IN ({members})", {"ids": ids}
            ).fetchone()[0]
            # The update triggers added FTS5 delete markers; merging drops the old tokens.
            conn.execute("INSERT INTO customer_search (customer_search) VALUES ('optimize')")
            conn.executemany(
                "INSERT OR IGNORE INTO forgotten (key_hash, customer_id) VALUES (?, ?)",
                [
                    (forget_hash(kind, value), customer_id)
                    for customer_id, key, external_id in identities
                    for kind, value in (("email", key), ("id", external_id))
                    if value is not None
                ],
            )
            # The addresses go on the suppression list too: no later file re-enables them.
            list_keys(conn, report.forgotten_email_keys, "erased")
    finally:
        store.execute(f"PRAGMA secure_delete = {int(old_secure or 0)}")
    try:
        report.wal_cleared = scrub_free_space(store)
    except sqlite3.Error as exc:  # committed already: say so rather than fail
        report.wal_cleared, report.rebuild_error = False, str(exc)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP after the commit: the same
        report.wal_cleared, report.rebuild_error = False, "interrupted"
        report.rebuild_interrupted = True
    return report


def scrub_free_space(store: Store) -> bool:
    """Rebuild the file (no old cell survives in free space) and empty the WAL.

    False when another connection's open read kept the WAL from being truncated: its old
    pages are then overwritten by a later checkpoint (the next command, or the app closing).
    """
    if store.path is None:
        return True
    store.execute("VACUUM")
    # A TRUNCATE checkpoint waits for readers through the busy handler: not the store's
    # ten seconds for an app that may stay open all day.
    store.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
    try:
        busy, _log, _done = store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        store.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return busy == 0


def _segments_mentioning(conn: sqlite3.Connection, ids: str) -> list[str]:
    """Saved segments whose expression contains one of the person's email, names or id in
    the shop export (case-insensitive): forgetting cannot rewrite a filter, the owner must."""
    rows = conn.execute(
        """
        SELECT DISTINCT s.name FROM custom_segments s, customers c
        WHERE c.id IN (SELECT value FROM json_each(:ids)) AND EXISTS (
            SELECT 1 FROM (SELECT c.email AS word UNION ALL SELECT c.first_name
                           UNION ALL SELECT c.last_name UNION ALL SELECT c.external_id)
            WHERE length(word) >= 3 AND instr(lower(s.expression), lower(word)) > 0
        )
        ORDER BY s.name
        """,
        {"ids": ids},
    )
    return [row[0] for row in rows]


def forget_hash(kind: str, value: str | None) -> str | None:
    """How a forgotten person is recognised in a later import without keeping who they were:
    SHA-256 of `email:` + the email key, or `id:` + the shop's customer id. Unsalted, as a
    suppression list must be, so someone who already knows the address can test for it."""
    if value is None:
        return None
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def match_forgotten(conn: sqlite3.Connection) -> None:
    """Point an import's staged people (`temp.people`) who were forgotten at their
    anonymised row and mark them, so the import writes none of their personal data."""
    if not conn.execute("SELECT EXISTS (SELECT 1 FROM forgotten)").fetchone()[0]:
        return
    conn.create_function("rt_forget_hash", 2, forget_hash, deterministic=True)
    for kind, column in (("email", "email_key"), ("id", "external_id")):
        conn.execute(
            f"""
            UPDATE people SET forgotten = 1, customer_id = (
                SELECT customer_id FROM forgotten
                WHERE key_hash = rt_forget_hash('{kind}', people.{column}))
            WHERE customer_id IS NULL AND people.{column} IS NOT NULL
            AND rt_forget_hash('{kind}', people.{column}) IN (SELECT key_hash FROM forgotten)
            """
        )


def clear_forgotten_codes(conn: sqlite3.Connection) -> None:
    """An import that changed a forgotten person's order wrote its discount code again: it
    keeps only the campaign codes the order redeemed, as erasure does."""
    conn.execute(
        f"UPDATE orders SET discount_code = {KEPT_OF_ERASED_CELL} "
        "WHERE discount_code IS NOT NULL AND customer_id "
        "IN (SELECT customer_id FROM people WHERE forgotten) "
        f"AND discount_code IS NOT {KEPT_OF_ERASED_CELL}"
    )
