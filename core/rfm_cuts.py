"""The RFM and VIP cut values of a stats table, and their copy kept current by every import.

Cuts depend only on the multiset of each measure, so an import (which refreshes
`customer_stats` in its transaction) stores them in `settings` next to a checksum of the
stats. A reader trusts the stored cuts only while the checksum still matches; otherwise it
computes them afresh. That spares every new process (each CLI command) the sort of 350,000
values.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass

from core.rfm import score_cuts

CUTS_SETTING = "segments.stats_cuts"
VIP_SHARE_DIVISOR = 10  # VIP = the top 10% by net revenue
_CHECKSUM_SQL = """
    SELECT count(*), sum(orders), sum(revenue), sum(first_day), sum(last_day),
           sum((customer_id * 7919 + orders * 104729 + revenue * 31 + last_day) % 1000000007)
    FROM {table}
"""


@dataclass(frozen=True)
class Cuts:
    """`scored` customers with orders; four cuts per measure (larger is better); VIP minimum."""

    scored: int
    r: tuple[int, ...]
    f: tuple[int, ...]
    m: tuple[int, ...]
    vip: int | None
    checksum: tuple[int, ...] = ()


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
        checksum=stats_checksum(conn, table),
    )


def stats_checksum(conn: sqlite3.Connection, table: str) -> tuple[int, ...]:
    row = conn.execute(_CHECKSUM_SQL.format(table=table)).fetchone()
    return tuple(int(value or 0) for value in row)


def save_cuts(conn: sqlite3.Connection) -> None:
    """Store the cuts of `customer_stats`; run inside the import's transaction."""
    cuts = compute_cuts(conn, "main.customer_stats")
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (CUTS_SETTING, json.dumps(asdict(cuts))),
    )


def stored_cuts(conn: sqlite3.Connection) -> Cuts | None:
    """The stored cuts of `customer_stats` if they still describe it, else None."""
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
            checksum=tuple(int(x) for x in data["checksum"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if cuts.checksum != stats_checksum(conn, "main.customer_stats"):
        return None
    return cuts
