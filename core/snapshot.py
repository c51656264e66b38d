"""The customer figures as of one date, which every segment and filter reads.

A snapshot fixes the as-of date, the table of per-customer order stats valid on that date,
and the cut values that turn stats into RFM scores and the VIP flag. Segment counts, filters
and customer listings all build SQL from the same snapshot, so they always agree.

As of the latest order (the default) the stats are the import-maintained `customer_stats`,
whose cut values every import also keeps (`core.rfm_cuts`). For an earlier date the stats
are summed from `customer_days` into a TEMP table, once per connection and date.
Snapshots are cached per store until the data changes: another connection's commit moves
`PRAGMA data_version`, one of ours moves `total_changes`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from core.as_of import resolve_as_of
from core.rfm import RfmTable
from core.rfm_cuts import compute_cuts, stored_cuts
from core.sqlparts import Sql, join
from core.store import Store, deferred_transaction

if TYPE_CHECKING:
    from core.loyalty import LoyaltyRules

MAIN_STATS = "main.customer_stats"
AS_OF_STATS = "temp.segment_stats"


@dataclass(frozen=True)
class Snapshot:
    """Everything needed to score and segment customers as of `as_of`.

    SQL built from it expects `customers c LEFT JOIN {stats} s ON s.customer_id = c.id`.
    """

    as_of: date
    stats: str
    customers: int
    scored: int
    r_cuts: tuple[int, ...]
    f_cuts: tuple[int, ...]
    m_cuts: tuple[int, ...]
    vip_cut: int | None
    rfm: RfmTable
    loyalty: LoyaltyRules | None = None
    """The loyalty rules (the fields points and tier); None when a stored one is refused."""
    loyalty_problem: str | None = None
    loyalty_kept: bool = False
    """Whether `loyalty_points` holds the points under these rules (core/loyalty/kept.py)."""

    @property
    def day(self) -> int:
        return self.as_of.toordinal()

    @property
    def source(self) -> str:
        """The FROM clause every customer query starts with."""
        return f"customers c LEFT JOIN {self.stats} s ON s.customer_id = c.id"

    def r_sql(self) -> Sql:
        """Recency score: a later last order is better."""
        return _score_sql("s.last_day", self.r_cuts)

    def f_sql(self) -> Sql:
        return _score_sql("s.orders", self.f_cuts)

    def m_sql(self) -> Sql:
        return _score_sql("s.revenue", self.m_cuts)

    def code_sql(self) -> Sql:
        """`rfm.score_code(r, f, m)` in SQL: 25·(r−1) + 5·(f−1) + (m−1); NULL without orders."""
        if not self.scored:
            return Sql("NULL")
        parts = [
            _steps("s.last_day", self.r_cuts).wrap("25 * ({})"),
            _steps("s.orders", self.f_cuts).wrap("5 * ({})"),
            _steps("s.revenue", self.m_cuts),
        ]
        return join(" + ", parts).wrap("({})")

    def vip_sql(self) -> Sql:
        """1 for the top 10% of customers by net revenue (ties share the place), else 0."""
        if self.vip_cut is None:
            return Sql("0")
        return Sql("coalesce(s.revenue >= ?, 0)", (self.vip_cut,))


def _steps(column: str, cuts: tuple[int, ...]) -> Sql:
    return join(" + ", (Sql(f"({column} > ?)", (cut,)) for cut in cuts))


def _score_sql(column: str, cuts: tuple[int, ...]) -> Sql:
    if not cuts:
        return Sql("NULL")
    return _steps(column, cuts).wrap("(1 + {})")


@dataclass
class _StoreState:
    """Per-store cache and lock: one snapshot at a time, built by one thread at a time."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    key: tuple[object, ...] | None = None
    snapshot: Snapshot | None = None
    functions: bool = False


_STATES: WeakKeyDictionary[Store, _StoreState] = WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _state(store: Store) -> _StoreState:
    with _STATES_LOCK:
        state = _STATES.get(store)
        if state is None:
            state = _STATES[store] = _StoreState()
        return state


def locked(store: Store) -> threading.RLock:
    """The store's segment lock: hold it around a write that must not interleave with reads
    of the same connection from another thread."""
    return _state(store).lock


@contextmanager
def reading(store: Store) -> Iterator[None]:
    """One consistent read of the store (a read transaction), serialised per store.

    A cron import committing midway cannot make counts and cut values disagree. The
    connection's custom SQL functions are registered on first use.
    """
    state = _state(store)
    with state.lock:
        if not state.functions:
            from core.sqlfunctions import register_functions

            register_functions(store.conn)
            state.functions = True
        if store.conn.in_transaction:  # inside the caller's transaction, e.g. a write
            try:
                yield
            except BaseException:
                state.key = state.snapshot = None
                raise
            return
        try:
            with deferred_transaction(store.conn):
                yield
        except BaseException:
            state.key = state.snapshot = None  # a rolled-back TEMP table is gone
            raise


def take_snapshot(store: Store, rfm: RfmTable, as_of: date | None = None) -> Snapshot:
    """The snapshot for `as_of` (default: the store's as-of date, `core.as_of`).

    Call inside `reading(store)`.
    """
    state = _state(store)
    with state.lock:
        key = (as_of, rfm, store.data_version, store.conn.total_changes)
        if state.key == key and state.snapshot is not None and _still_there(store, state.snapshot):
            return state.snapshot
        snapshot = _build(store, rfm, as_of)
        state.snapshot = snapshot
        state.key = (as_of, rfm, store.data_version, store.conn.total_changes)
        return snapshot


def _still_there(store: Store, snapshot: Snapshot) -> bool:
    """A caller's rolled-back transaction can take our TEMP table with it."""
    if snapshot.stats != AS_OF_STATS:
        return True
    return (
        store.scalar(
            "SELECT 1 FROM temp.sqlite_master WHERE type = 'table' AND name = 'segment_stats'"
        )
        == 1
    )


def _build(store: Store, rfm: RfmTable, as_of: date | None) -> Snapshot:
    as_of = resolve_as_of(store, as_of)
    latest_stats_day = store.scalar("SELECT max(last_day) FROM customer_stats")
    if latest_stats_day is None or as_of.toordinal() >= int(latest_stats_day):  # type: ignore[call-overload]
        stats = MAIN_STATS
        cuts = stored_cuts(store.conn) or compute_cuts(store.conn, MAIN_STATS)
    else:
        stats = AS_OF_STATS
        _fill_as_of_stats(store, as_of.toordinal())
        cuts = compute_cuts(store.conn, AS_OF_STATS)
    customers = int(store.scalar("SELECT count(*) FROM customers") or 0)  # type: ignore[call-overload]
    from core.loyalty import LoyaltyError, load_rules
    from core.loyalty.kept import kept_is_current

    try:
        loyalty, problem = load_rules(store), None
    except LoyaltyError as exc:
        loyalty, problem = None, str(exc)
    return Snapshot(
        as_of=as_of,
        stats=stats,
        customers=customers,
        scored=cuts.scored,
        r_cuts=cuts.r,
        f_cuts=cuts.f,
        m_cuts=cuts.m,
        vip_cut=cuts.vip,
        rfm=rfm,
        loyalty=loyalty,
        loyalty_problem=problem,
        loyalty_kept=loyalty is not None and kept_is_current(store.conn, loyalty),
    )


def _fill_as_of_stats(store: Store, day: int) -> None:
    """Per-customer stats over counting orders up to `day`, in a TEMP table (no file write)."""
    store.execute(f"DROP TABLE IF EXISTS {AS_OF_STATS}")
    store.execute(
        f"""
        CREATE TABLE {AS_OF_STATS} (
            customer_id INTEGER PRIMARY KEY,
            orders INTEGER NOT NULL,
            revenue INTEGER NOT NULL,
            first_day INTEGER NOT NULL,
            last_day INTEGER NOT NULL
        )
        """
    )
    store.execute(
        f"""
        INSERT INTO {AS_OF_STATS} (customer_id, orders, revenue, first_day, last_day)
        SELECT customer_id, sum(orders), sum(revenue), min(day), max(day)
        FROM customer_days WHERE day <= ?
        GROUP BY customer_id
        """,
        (day,),
    )
