"""The RFM and VIP cut values of a stats table, and their copy kept current by every import.

Cuts depend only on the multiset of each measure, so an import (which refreshes
`customer_stats` in its transaction) stores them in `settings`. Triggers on `customer_stats`
(schema migration 5) delete the stored copy on any other change to the table, whoever makes
it, so a stored copy always describes the stats and a reader trusts it without checking;
without one it computes them afresh. That spares every new process (each CLI command) the
sort of 350,000 values, and a full scan to validate a checksum.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass

from core.rfm import score_cuts

CUTS_SETTING = "segments.stats_cuts"
VIP_SHARE_DIVISOR = 10  # VIP = the top 10% by net revenue


@dataclass(frozen=True)
class Cuts:
    """`scored` customers with orders; four cuts per measure (larger is better); VIP minimum."""

    scored: int
    r: tuple[int, ...]
    f: tuple[int, ...]
    m: tuple[int, ...]
    vip: int | None


def compute_cuts(conn: sqlite3.Connection, table: str) -> Cuts:
    """Cuts of `table` (a customer_stats-shaped table name written by us, never by users)."""
    last_days: list[int] = []
    orders: list[int] = []
    revenue: list[int] = []
    for o, m, d in conn.execute(f"SELECT orders, revenue, last_day FROM {table}"):
        orders.append(o)
        revenue.append(m)
        last_days.append(d)
    revenue.sort()
    vip = None
    if revenue:
        top = -(-len(revenue) // VIP_SHARE_DIVISOR)
        vip = revenue[len(revenue) - top]
    return Cuts(
        scored=len(revenue),
        r=score_cuts(last_days),
        f=score_cuts(orders),
        m=score_cuts(revenue),
        vip=vip,
    )


def save_cuts(conn: sqlite3.Connection) -> None:
    """Store the cuts of `customer_stats`; run inside the import's transaction, after the
    last change to the stats (each change deletes the stored copy)."""
    cuts = compute_cuts(conn, "main.customer_stats")
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (CUTS_SETTING, json.dumps(asdict(cuts))),
    )


def stored_cuts(conn: sqlite3.Connection) -> Cuts | None:
    """The stored cuts of `customer_stats`, or None when a change since has dropped them."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (CUTS_SETTING,)).fetchone()
    if row is None:
        return None
    try:
        data = json.loads(row[0])
        cuts = Cuts(
            scored=int(data["scored"]),
            r=tuple(int(x) for x in data["r"]),
            f=tuple(int(x) for x in data["f"]),
            m=tuple(int(x) for x in data["m"]),
            vip=None if data["vip"] is None else int(data["vip"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return cuts
