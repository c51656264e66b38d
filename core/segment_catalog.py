"""Every segment by name: RFM rows, the built-in behaviour segments and the owner's own.

Names are unique across the three kinds (compared ignoring case), so `segment = "vip"` or
`customers --segment "At Risk"` can never be ambiguous. A catalog belongs to one snapshot and
compiles each segment's condition once, refusing cycles between the owner's segments.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.filterlang import FilterError
from core.filtersql import compile_filter, did_you_mean
from core.rfm import OTHERS, RfmTable, load_rfm_table
from core.segment_errors import SegmentError
from core.snapshot import Snapshot, reading, take_snapshot
from core.sqlparts import Sql
from core.store import Store
from core.values import format_cents

RFM, BEHAVIOUR, CUSTOM = "rfm", "behaviour", "custom"
MAX_NAME_LENGTH = 60
NEW_DAYS = 30
LAPSED_DAYS = 180


@dataclass(frozen=True)
class BehaviourSegment:
    """A built-in segment; `expression` is its definition in the filter language (vip has none
    since "top 10%" is a rank, not a field test)."""

    name: str
    description: str
    expression: str | None
    marketing: bool = True


BEHAVIOUR_SEGMENTS = (
    BehaviourSegment("new", f"first order within the {NEW_DAYS} days up to the as-of date",
                     f"days_since_first_order < {NEW_DAYS}"),
    BehaviourSegment("one-time", "exactly one order", "orders = 1"),
    BehaviourSegment("repeat", "two or more orders", "orders >= 2"),
    BehaviourSegment("lapsed", f"last order {LAPSED_DAYS} or more days before the as-of date "
                     "(the 'come back for bestsellers' audience)",
                     f"days_since_last_order >= {LAPSED_DAYS}"),
    BehaviourSegment("vip", "top 10% of customers by net revenue (ties share the place)", None),
    BehaviourSegment("promoters", "latest survey answer up to the as-of date scores 9–10 (NPS)",
                     "nps_score >= 9"),
    BehaviourSegment("passives", "latest survey answer up to the as-of date scores 7–8 (NPS)",
                     "nps_score in (7, 8)"),
    BehaviourSegment("detractors", "latest survey answer up to the as-of date scores 0–6 (NPS)",
                     "nps_score <= 6"),
    BehaviourSegment("opted-out", "no marketing consent (unknown counts as none): "
                     "transactional mail only", "accepts_marketing = false", marketing=False),
)  # fmt: skip
BEHAVIOUR_BY_NAME = {segment.name: segment for segment in BEHAVIOUR_SEGMENTS}


def clean_name(name: str) -> str:
    """A custom segment name as stored: spaces collapsed, checked for length and control chars."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise SegmentError("a segment needs a name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise SegmentError(f"segment name longer than {MAX_NAME_LENGTH} characters")
    if any(not char.isprintable() for char in cleaned):
        raise SegmentError("segment name contains control characters")
    if cleaned.startswith("-"):
        raise SegmentError(f"segment name {cleaned!r} cannot start with '-'")
    return cleaned


def check_rfm_names(table: RfmTable) -> None:
    """An RFM table may not reuse a behaviour segment's name."""
    for name in table.names:
        if name.casefold() in {b.casefold() for b in BEHAVIOUR_BY_NAME}:
            raise SegmentError(
                f"{table.source}: RFM segment {name!r} has the name of a built-in behaviour "
                "segment; choose another name"
            )


def load_custom(store: Store) -> dict[str, str]:
    """Saved segments: name -> expression, in name order."""
    rows = store.execute(
        "SELECT name, expression FROM custom_segments ORDER BY name COLLATE NOCASE"
    ).fetchall()
    return {str(name): str(expression) for name, expression in rows}


class _CycleError(FilterError):
    """A segment that reaches itself: reported once, at the outermost reference."""

    @property
    def problem(self) -> str:
        return self.message.rsplit(" at column ", 1)[0]


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str
    definition: str
    marketing: bool


class Catalog:
    """The segments known under one snapshot, each compiled to a SQL condition on demand."""

    def __init__(self, snapshot: Snapshot, custom: dict[str, str]) -> None:
        self.snapshot = snapshot
        self.custom = dict(custom)
        self.entries: dict[str, Entry] = {}
        for name in snapshot.rfm.names:
            self.entries[name.casefold()] = Entry(name, RFM, snapshot.rfm.definition(name), True)
        for segment in BEHAVIOUR_SEGMENTS:
            self.entries[segment.name.casefold()] = Entry(
                segment.name, BEHAVIOUR, self._behaviour_definition(segment), segment.marketing
            )
        self.clashing: dict[str, str] = {}
        for name, expression in self.custom.items():
            if name.casefold() in self.entries:
                self.clashing[name] = self.entries[name.casefold()].kind
                continue
            self.entries[name.casefold()] = Entry(name, CUSTOM, expression, True)
        self._compiled: dict[str, Sql] = {}
        self._compiling: list[str] = []

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries.values()]

    def entry(self, name: str) -> Entry:
        """The segment called `name` (any case), or a SegmentError suggesting the closest."""
        found = self.entries.get(str(name).casefold())
        if found is None:
            hint = did_you_mean(name, self.names)
            hint = hint or "see `retain-tui segments`"
            raise SegmentError(f"unknown segment {name!r}; {hint}")
        return found

    def condition(self, name: str, pos: int = 0) -> Sql:
        """The segment's SQL condition (NULL counts as false); FilterError at `pos` if unusable."""
        entry = self.entries.get(name.casefold())
        if entry is None:
            hint = did_you_mean(name, self.names)
            raise FilterError.at(pos, f"unknown segment '{name}'", hint)
        if entry.name in self._compiled:
            return self._compiled[entry.name]
        if entry.name in self._compiling:
            chain = " → ".join([*self._compiling[self._compiling.index(entry.name) :], entry.name])
            raise _CycleError.at(pos, f"segment '{entry.name}' refers to itself ({chain})")
        self._compiling.append(entry.name)
        try:
            sql = self._build(entry)
        except _CycleError as exc:
            if len(self._compiling) == 1:
                raise
            raise _CycleError.at(pos, exc.problem) from None
        except FilterError as exc:
            if len(self._compiling) == 1:
                raise
            raise FilterError.at(pos, f"segment '{entry.name}' cannot be used ({exc})") from None
        finally:
            self._compiling.pop()
        self._compiled[entry.name] = sql
        return sql

    def compile(self, expression: str, as_name: str | None = None) -> Sql:
        """`expression` as SQL; `as_name` compiles it as that segment (to catch cycles)."""
        if as_name is None:
            return compile_filter(expression, self.snapshot, self)
        self._compiling.append(as_name)
        try:
            return compile_filter(expression, self.snapshot, self)
        finally:
            self._compiling.pop()

    def _build(self, entry: Entry) -> Sql:
        if entry.kind == RFM:
            return self.compile(f"rfm_segment = {_quote(entry.name)}")
        if entry.kind == BEHAVIOUR:
            expression = BEHAVIOUR_BY_NAME[entry.name].expression
            return self.snapshot.vip_sql() if expression is None else self.compile(expression)
        return compile_filter(self.custom[entry.name], self.snapshot, self)

    def _behaviour_definition(self, segment: BehaviourSegment) -> str:
        if segment.expression is not None:
            return segment.expression
        cut = self.snapshot.vip_cut
        if cut is None:
            return segment.description
        return f"spent >= {format_cents(cut)} (the top 10%)"

    def describe(self, entry: Entry) -> str:
        """What the segment is for, in words (the definition says exactly who is in it)."""
        if entry.kind == BEHAVIOUR:
            return BEHAVIOUR_BY_NAME[entry.name].description
        if entry.kind == RFM:
            if entry.name == OTHERS:
                return "customers with orders whose scores match no row of the RFM table"
            return f"RFM scores in these ranges ({self.snapshot.rfm.source} table)"
        return "your own segment"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


__all__ = [
    "BEHAVIOUR",
    "BEHAVIOUR_SEGMENTS",
    "CUSTOM",
    "OTHERS",
    "RFM",
    "Catalog",
    "Entry",
    "check_rfm_names",
    "clean_name",
    "current_rfm_table",
    "load_custom",
    "opened_catalog",
]


def current_rfm_table(store: Store, path: str | Path | None = None) -> RfmTable:
    """The RFM table in force (`path` overrides the settings), validated."""
    table = load_rfm_table(store, path)
    check_rfm_names(table)
    return table


@contextmanager
def opened_catalog(
    store: Store, as_of: date | None = None, rfm_table: RfmTable | None = None
) -> Iterator[tuple[Snapshot, Catalog]]:
    """A consistent read of the store with its snapshot and segment catalog."""
    table = rfm_table or current_rfm_table(store)
    with reading(store):
        snapshot = take_snapshot(store, table, as_of)
        try:
            yield snapshot, Catalog(snapshot, load_custom(store))
        except sqlite3.OperationalError as exc:
            raise SegmentError(f"the query could not run: {exc}") from exc
