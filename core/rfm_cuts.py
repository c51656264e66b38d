"""The RFM and VIP cut values of a stats table, and their copy kept current by every import.

Cuts depend only on the multiset of each measure, so an import (which refreshes
`customer_stats` in its transaction) stores them in `settings`. Triggers on `customer_stats`
(schema migration 5) delete the stored copy on any other change to the table, whoever makes
it, so a stored copy always describes the stats and a reader trusts it without checking;
without one it computes them afresh. That spares every new process (each CLI command) the
sort of 350,000 values, and a full scan to validate a checksum.

An incremental import reads the cuts off indexes instead of sorting every customer's figures
(0.25-0.4 s at 350,000 customers): each cut is the value at a known rank, and SQLite walks
an index to a rank at ~10 ns an entry. Recency uses `customer_stats_by_last_day`; frequency
and money use the app's customer list (`customer_pages`, kept from `customer_stats` by
triggers), where a customer without counting orders has orders 0 and revenue 0 and one with
them has orders >= 1 (tests/test_rfm_cuts_indexed.py checks both ways agree).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial

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


def indexed_cuts(conn: sqlite3.Connection) -> Cuts:
    """`compute_cuts(conn, "main.customer_stats")`, read off indexes (see the module's
    docstring); the same sort when the customer list does not mirror the stats."""
    scored = _count(conn, "SELECT count(*) FROM customer_stats")
    listed = _count(conn, "SELECT count(*) FROM customer_pages")
    if scored == 0 or scored != _count(
        conn, "SELECT count(*) FROM customer_pages WHERE orders > 0"
    ):
        return compute_cuts(conn, "main.customer_stats")
    # The list's revenue index holds the stats' revenue plus a 0 for each of the
    # `listed - scored` customers without orders: past the negative values, skip them.
    negative = _count(conn, "SELECT count(*) FROM customer_pages WHERE revenue < 0")

    def revenue_at(rank: int) -> int:
        shifted = rank if rank < negative else rank + listed - scored
        return _value_at(conn, "revenue", "customer_pages", "", listed, shifted)

    def cuts_of(value_at: Callable[[int], int]) -> tuple[int, ...]:
        return tuple(value_at(-(-(k - 1) * scored // 5) - 1) for k in range(2, 6))

    top = -(-scored // VIP_SHARE_DIVISOR)
    return Cuts(
        scored=scored,
        r=cuts_of(partial(_value_at, conn, "last_day", "customer_stats", "", scored)),
        f=cuts_of(partial(_value_at, conn, "orders", "customer_pages", "WHERE orders > 0", scored)),
        m=cuts_of(revenue_at),
        vip=revenue_at(scored - top),
    )


def _count(conn: sqlite3.Connection, sql: str) -> int:
    return int(conn.execute(sql).fetchone()[0])


def _value_at(
    conn: sqlite3.Connection, column: str, table: str, where: str, size: int, rank: int
) -> int:
    """The `rank`-th (from 0) smallest `column` of the `size` rows `where` selects, walked
    along the column's index from the nearer end."""
    order, offset = ("ASC", rank) if rank < size - rank else ("DESC", size - 1 - rank)
    sql = f"SELECT {column} FROM {table} {where} ORDER BY {column} {order} LIMIT 1 OFFSET ?"
    return int(conn.execute(sql, (offset,)).fetchone()[0])


def save_cuts(conn: sqlite3.Connection, *, from_indexes: bool = True) -> None:
    """Store the cuts of `customer_stats`; run inside the import's transaction, after the
    last change to the stats (each change deletes the stored copy). Without `from_indexes`
    they are sorted in Python: a first import sets the list's indexes and triggers aside."""
    cuts = indexed_cuts(conn) if from_indexes else compute_cuts(conn, "main.customer_stats")
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
