"""SQL functions the filters need that SQLite lacks, registered per connection."""

from __future__ import annotations

import sqlite3


def split_tags(tags: str | None) -> list[str]:
    """'wholesale, VIP ,b2b' -> ['wholesale', 'VIP', 'b2b']: how the store's tag text reads."""
    if not tags:
        return []
    return [tag.strip() for tag in tags.split(",") if tag.strip()]


def has_tag(tags: str | None, wanted: str | None) -> int:
    """1 if `wanted` is one of the comma-separated `tags`, ignoring case and spaces around."""
    if not tags or wanted is None:
        return 0
    folded = wanted.strip().casefold()
    return int(any(tag.casefold() == folded for tag in split_tags(tags)))


def register_functions(conn: sqlite3.Connection) -> None:
    from core.loyalty.rules import add_months_ordinal

    conn.create_function("rt_has_tag", 2, has_tag, deterministic=True)
    conn.create_function("rt_add_months", 2, add_months_ordinal, deterministic=True)
