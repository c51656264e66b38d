"""Migration 8: every stored email key recomputed the way addresses are compared now.

Until schema 7, `customers.email_key` was the address trimmed and lower-cased. Since then
it is `core.values.email_key` (NFKC, invisible characters removed, case-folded). A shop
imported before keeps the old keys: `anna.out@example.com` + U+200B and `Anna.Out@Example.com`
stay two customers, the second's "no" never reaches the first, and a later import matches
neither to a file's `anna.out@example.com` reliably.

This migration, run inside the upgrade's transaction after the backup copy:

- stores each customer's address cleaned as imports store it now, and its new key;
- keeps customers whose keys now collide apart (they may be two people sharing a
  mailbox, or one person the shop will merge by hand): the customer that already held the
  key, else the oldest, keeps it; the others keep their address for display with an empty
  key (imports then match them by their shop id only);
- if any of them said no, or the address is on the suppression list, all of them are set
  to no (with a `consent_events` row, source `migration`) and the address is suppressed;
- leaves a note in `settings` (`notice.email_keys`, JSON) that the commands print once.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.store import Store

NOTICE_KEY = "notice.email_keys"
SOURCE = "migration"


def recompute_email_keys(conn: sqlite3.Connection) -> None:
    """The migration step (see the module docstring); a no-op for a shop already right."""
    from core.consent import key_hash, list_keys, withdraw_consent  # (core.store imports us)
    from core.values import clean_email, email_key

    rows = conn.execute(
        "SELECT id, email, email_key, accepts_marketing FROM customers "
        "WHERE email IS NOT NULL ORDER BY id"
    ).fetchall()
    holders: dict[str, list[int]] = defaultdict(list)
    old_keys: dict[int, str | None] = {}
    changed: list[tuple[int, str | None, str | None]] = []
    said_no: set[int] = set()
    for cid, email, old_key, accepts in rows:
        cleaned = clean_email(email) or email
        key = email_key(email)
        old_keys[cid] = old_key
        if key:
            holders[key].append(cid)
        if accepts == 0:
            said_no.add(cid)
        if key != old_key or cleaned != email:
            changed.append((cid, cleaned, key))
    shared = {key: ids for key, ids in holders.items() if len(ids) > 1}
    keeper = {
        key: next((c for c in ids if old_keys[c] == key), ids[0]) for key, ids in shared.items()
    }
    # Unique keys: clear every key that moves first, then set them.
    conn.executemany(
        "UPDATE customers SET email_key = NULL WHERE id = ?", [(cid,) for cid, _, _ in changed]
    )
    conn.executemany(
        "UPDATE customers SET email = ?, email_key = ? WHERE id = ?",
        [
            (cleaned, key if key not in shared or keeper[key] == cid else None, cid)
            for cid, cleaned, key in changed
        ],
    )
    # Keys that did not change were already judged by the imports that stored them.
    judged = {key for _, _, key in changed if key} | set(shared)
    suppressed = {
        key
        for key in judged
        if conn.execute(
            "SELECT 1 FROM suppressions WHERE address_hash = ?", (key_hash(key),)
        ).fetchone()
    }
    refused = [
        key
        for key in judged
        if key in suppressed or (key in shared and said_no.intersection(holders[key]))
    ]
    list_keys(conn, refused, "withdrawn")
    withdrawn_ids = [cid for key in refused for cid in holders[key] if cid not in said_no]
    withdraw_consent(conn, "id = ?", [(cid,) for cid in withdrawn_ids], SOURCE)
    if not changed and not shared and not withdrawn_ids:
        return
    note = {
        "keys_recomputed": len(changed),
        "shared": [
            {"customers": ids, "keeps_key": keeper[key], "consent_no": key in refused}
            for key, ids in shared.items()
        ],
        "consent_withdrawn": sorted(withdrawn_ids),
    }
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
        (NOTICE_KEY, json.dumps(note, sort_keys=True)),
    )


def notice_lines(value: str) -> list[str]:
    """What the stored note says, for a person: one line per shared address."""
    note = json.loads(value)
    lines = [
        f"email addresses are now compared as mail systems do: {note['keys_recomputed']} "
        "customers' keys were recomputed"
    ]
    for group in note["shared"]:
        ids = ", ".join(str(cid) for cid in group["customers"])
        consent = '; marketing "no" applied to all of them' if group["consent_no"] else ""
        lines.append(
            f"customers {ids} have the same address: kept apart, customer "
            f"{group['keeps_key']} is matched by it on import{consent}"
        )
    if note["consent_withdrawn"]:
        ids = ", ".join(str(cid) for cid in note["consent_withdrawn"])
        lines.append(f"marketing consent withdrawn (their address said no): customers {ids}")
    return lines


def take_notice(store: Store) -> list[str]:
    """The migration's note, once: read and removed (a read-only shop keeps it for later)."""
    from core.store import StoreError

    value = store.get_setting(NOTICE_KEY)
    if value is None:
        return []
    try:
        with store.write() as conn:
            conn.execute("DELETE FROM settings WHERE key = ?", (NOTICE_KEY,))
    except (StoreError, sqlite3.Error):
        pass
    return notice_lines(value)
