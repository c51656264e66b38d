"""Segments: what the app, the CLI and the email composer call to size, list and address groups.

Three kinds share one namespace: RFM segments (`core.rfm`), built-in behaviour segments and
the owner's own filters (`core.filterlang`), saved in `custom_segments`. Every marketing use of
a segment excludes customers without marketing consent; transactional use may include them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import date

from core.customer_list import customer_rows, sort_field, sortable_fields
from core.filterlang import Comparison, FilterError, InList, parse, walk
from core.metrics import rounded_exactly
from core.rfm import (
    DEFAULT_RFM_TABLE,
    TABLE_PATH_SETTING,
    TABLE_TEXT_SETTING,
    RfmTable,
    decode_score_code,
    parse_rfm_table,
)
from core.segment_catalog import (
    CUSTOM,
    RFM,
    Catalog,
    check_rfm_names,
    clean_name,
    current_rfm_table,
    opened_catalog,
)
from core.segment_errors import SegmentError, SegmentExistsError
from core.snapshot import Snapshot, locked
from core.sqlparts import Sql, join
from core.store import Store, utc_now

__all__ = [
    "FilterError",
    "SegmentError",
    "SegmentExistsError",
    "SegmentInfo",
    "add_segment",
    "count_matching",
    "current_rfm_table",
    "customer_rows",
    "list_segments",
    "remove_segment",
    "reset_rfm_table",
    "save_rfm_table",
    "segment_customer_ids",
    "segment_info",
    "sort_field",
    "sortable_fields",
    "validate_expression",
]

CONSENTED = "(c.accepts_marketing IS 1)"
MASK_BITS = 62
"""Conditions counted in one scan: each is a bit of a SQLite integer (63 bits and a sign)."""


@dataclass(frozen=True)
class SegmentInfo:
    """One segment as listed: `count` is every member, `marketing_count` those with consent.

    `marketing` says whether the segment is a marketing audience (used for marketing, its
    customers without consent are left out); `error` is set when a saved filter cannot run.
    """

    name: str
    kind: str
    definition: str
    description: str
    count: int
    share: float
    marketing: bool
    marketing_count: int
    as_of: str
    error: str | None = None
    revenue: float = 0.0
    """Net revenue of the members' counting orders, all time up to the as-of date."""
    average_order_value: float | None = None
    """That revenue per counting order; None when the members have no orders."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def list_segments(
    store: Store, as_of: date | None = None, *, rfm_table: RfmTable | None = None
) -> list[SegmentInfo]:
    """Every segment with its size: RFM rows in table order, behaviour, then the owner's own."""
    with opened_catalog(store, as_of, rfm_table) as (snapshot, catalog):
        counts = _rfm_counts(store, snapshot)
        others = [entry for entry in catalog.entries.values() if entry.kind != RFM]
        conditions: dict[str, Sql] = {}
        errors: dict[str, str] = {}
        for entry in others:
            try:
                conditions[entry.name] = catalog.condition(entry.name)
            except FilterError as exc:
                errors[entry.name] = str(exc)
        counts.update(_counts(store, snapshot, conditions, errors))
        for name, kind in catalog.clashing.items():
            errors[name] = f"the name is taken by a built-in {kind} segment; rename it"
        infos = []
        for entry in catalog.entries.values():
            totals = counts.get(entry.name, _Totals())
            infos.append(_info(snapshot, catalog, entry.name, totals, errors.get(entry.name)))
        for name in catalog.clashing:
            infos.append(SegmentInfo(
                name, CUSTOM, catalog.custom[name], "your own segment", 0, 0.0, True, 0,
                snapshot.as_of.isoformat(), errors[name],
            ))  # fmt: skip
        return infos


def segment_info(
    store: Store, name: str, as_of: date | None = None, *, rfm_table: RfmTable | None = None
) -> SegmentInfo:
    """One segment's definition and size (`segment show`)."""
    with opened_catalog(store, as_of, rfm_table) as (snapshot, catalog):
        entry = catalog.entry(name)
        try:
            condition = catalog.condition(entry.name)
        except FilterError as exc:
            return _info(snapshot, catalog, entry.name, _Totals(), str(exc))
        totals = _counts(store, snapshot, {entry.name: condition}, {})[entry.name]
        return _info(snapshot, catalog, entry.name, totals, None)


def segment_customer_ids(
    store: Store,
    name: str,
    as_of: date | None = None,
    *,
    marketing: bool = False,
    rfm_table: RfmTable | None = None,
) -> list[int]:
    """Ids of the segment's customers, in id order; `marketing=True` keeps only those with
    marketing consent. Raises SegmentError for an unknown name (with a did-you-mean)."""
    return segment_members(store, name, as_of, marketing=marketing, rfm_table=rfm_table)[2]


def segment_members(
    store: Store,
    name: str,
    as_of: date | None = None,
    *,
    marketing: bool = False,
    rfm_table: RfmTable | None = None,
) -> tuple[str, str, list[int]]:
    """`segment_customer_ids` with the segment's name as stored and its definition (what a
    campaign records about its audience)."""
    with opened_catalog(store, as_of, rfm_table) as (snapshot, catalog):
        entry = catalog.entry(name)
        condition = catalog.condition(entry.name)
        if marketing:
            condition = condition + f" AND {CONSENTED}"
        sql = f"SELECT c.id FROM {snapshot.source} WHERE " + condition + " ORDER BY c.id"
        ids = [row[0] for row in store.execute(sql.text, sql.params)]
        return entry.name, entry.definition, ids


def validate_expression(store: Store, text: str) -> FilterError | None:
    """The first problem in a filter expression, or None: for live checking as the owner types.

    The error is caught inside the read: one leaving it would drop the store's cached
    snapshot, and the next keystroke would rebuild it (~0.3 s at a million orders).
    """
    with opened_catalog(store, None, None) as (_snapshot, catalog):
        try:
            catalog.compile(text)
        except FilterError as exc:
            return exc
    return None


def count_matching(store: Store, text: str, as_of: date | None = None) -> int:
    """How many customers a filter expression matches (raises FilterError)."""
    with opened_catalog(store, as_of, None) as (snapshot, catalog):
        condition = catalog.compile(text)
        sql = f"SELECT count(*) FROM {snapshot.source} WHERE " + condition
        return int(store.execute(sql.text, sql.params).fetchone()[0])


def add_segment(store: Store, name: str, expr: str, *, replace: bool = False) -> str:
    """Save the owner's segment `name` (returns the name as stored).

    Refuses names of built-in segments, an existing name unless `replace`, and any expression
    that does not compile (including one that refers back to itself).
    """
    cleaned = clean_name(name)
    expression = expr.strip()
    with locked(store), store.write() as conn, opened_catalog(store) as (snapshot, catalog):
        existing = catalog.entries.get(cleaned.casefold())
        if existing is not None and existing.kind != CUSTOM:
            raise SegmentError(
                f"{existing.name!r} is a built-in {existing.kind} segment; choose another name"
            )
        if existing is not None and not replace:
            raise SegmentExistsError(f"segment {existing.name!r} already exists")
        custom = {n: e for n, e in catalog.custom.items() if n.casefold() != cleaned.casefold()}
        custom[cleaned] = expression
        Catalog(snapshot, custom).condition(cleaned)
        now = utc_now()
        if existing is not None:
            conn.execute(
                "UPDATE custom_segments SET name = ?, expression = ?, updated_at = ? "
                "WHERE name = ?",
                (cleaned, expression, now, existing.name),
            )
        else:
            conn.execute(
                "INSERT INTO custom_segments (name, expression, created_at, updated_at) "
                "VALUES (?, ?, ?, ?)",
                (cleaned, expression, now, now),
            )
    return cleaned


def remove_segment(store: Store, name: str) -> str:
    """Delete the owner's segment `name` (returns the name removed).

    Built-in segments cannot be removed, nor one that another saved segment refers to.
    """
    with locked(store), store.write() as conn, opened_catalog(store) as (_snapshot, catalog):
        entry = catalog.entry(name)
        if entry.kind != CUSTOM:
            raise SegmentError(f"{entry.name!r} is a built-in {entry.kind} segment; it cannot be "
                               "removed")  # fmt: skip
        users = [
            other
            for other, expression in catalog.custom.items()
            if other != entry.name and entry.name.casefold() in _referenced(expression)
        ]
        if users:
            raise SegmentError(
                f"segment {entry.name!r} is used by {', '.join(repr(u) for u in users)}; "
                "change or remove those first"
            )
        conn.execute("DELETE FROM custom_segments WHERE name = ?", (entry.name,))
    return entry.name


def save_rfm_table(store: Store, text: str) -> RfmTable:
    """Validate a TOML RFM table and store it as the one in force (replacing any file setting).

    Refused when a saved segment would stop working or its name would clash.
    """
    table = parse_rfm_table(text, "RFM table")
    check_rfm_names(table)
    with locked(store), store.write() as conn:
        _check_custom_under(store, table)
        conn.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (TABLE_TEXT_SETTING, text),
        )
        conn.execute("DELETE FROM settings WHERE key = ?", (TABLE_PATH_SETTING,))
    return table


def reset_rfm_table(store: Store) -> RfmTable:
    """Go back to the shipped RFM table."""
    with locked(store), store.write() as conn:
        _check_custom_under(store, DEFAULT_RFM_TABLE)
        conn.execute(
            "DELETE FROM settings WHERE key IN (?, ?)", (TABLE_TEXT_SETTING, TABLE_PATH_SETTING)
        )
    return DEFAULT_RFM_TABLE


def _check_custom_under(store: Store, table: RfmTable) -> None:
    with opened_catalog(store, None, table) as (_snapshot, catalog):
        for name, kind in catalog.clashing.items():
            raise SegmentError(f"RFM segment {name!r} has the name of your own segment; "
                               f"rename one of them first ({kind})")  # fmt: skip
        for name in catalog.custom:
            try:
                catalog.condition(name)
            except FilterError as exc:
                raise SegmentError(
                    f"your segment {name!r} would stop working with this RFM table: {exc}"
                ) from None


def _referenced(expression: str) -> set[str]:
    """Names (case-folded) an expression refers to through `segment = ...`."""
    try:
        tree = parse(expression)
    except FilterError:
        return set()
    names: set[str] = set()
    for node in walk(tree):
        if isinstance(node, Comparison | InList) and node.field.name.lower() == "segment":
            values = [node.value] if isinstance(node, Comparison) else list(node.values)
            names.update(str(v.value).casefold() for v in values if v.kind == "text")
    return names


def _rfm_counts(store: Store, snapshot: Snapshot) -> dict[str, _Totals]:
    """RFM segment -> its totals, in one pass grouped by score triple."""
    counts = {name: _Totals() for name in snapshot.rfm.names}
    if not snapshot.scored:
        return counts
    code = snapshot.code_sql()
    sql = (
        "SELECT " + code + f" AS code, count(*), sum({CONSENTED}), sum(s.revenue), "
        f"sum(s.orders) FROM {snapshot.stats} s JOIN customers c ON c.id = s.customer_id "
        "GROUP BY code"
    )
    for value, *sums in store.execute(sql.text, sql.params):
        name = snapshot.rfm.classify(*decode_score_code(int(value)))
        counts[name] = counts[name] + _Totals.of(*sums)
    return counts


def _counts(
    store: Store, snapshot: Snapshot, conditions: dict[str, Sql], errors: dict[str, str]
) -> dict[str, _Totals]:
    """The totals of each condition, all in one scan; a condition whose SQL fails (e.g. too
    complex for SQLite) is retried alone and reported in `errors`."""
    if not conditions:
        return {}
    try:
        return _count_scan(store, snapshot, conditions)
    except sqlite3.OperationalError:
        if len(conditions) == 1:
            raise
    results: dict[str, _Totals] = {}
    for name, condition in conditions.items():
        try:
            results.update(_count_scan(store, snapshot, {name: condition}))
        except sqlite3.OperationalError as exc:
            errors[name] = f"the query could not run: {exc}"
    return results


def _count_scan(store: Store, snapshot: Snapshot, conditions: dict[str, Sql]) -> dict[str, _Totals]:
    """One scan per 62 conditions, each evaluated once per customer: the customer's set of
    conditions met is a bit mask, and the customers are summed per mask (a few dozen masks),
    then each condition adds up the masks with its bit set."""
    names = list(conditions)
    results: dict[str, _Totals] = {}
    for start in range(0, len(names), MASK_BITS):
        chunk = names[start : start + MASK_BITS]
        bits = join(" + ", (conditions[name].wrap(f"(CASE WHEN {{}} THEN {1 << bit} ELSE 0 END)")
                            for bit, name in enumerate(chunk)))  # fmt: skip
        sql = bits.wrap(
            f"SELECT {{}} AS mask, count(*), sum({CONSENTED}), sum(s.revenue), sum(s.orders) "
            f"FROM {snapshot.source} GROUP BY mask"
        )
        totals = {name: _Totals() for name in chunk}
        for mask, *sums in store.execute(sql.text, sql.params):
            group = _Totals.of(*sums)
            for bit, name in enumerate(chunk):
                if mask >> bit & 1:
                    totals[name] += group
        results.update(totals)
    return results


@dataclass(frozen=True)
class _Totals:
    """A segment's members, those with consent, and their net revenue (cents) and orders."""

    count: int = 0
    reachable: int = 0
    revenue: int = 0
    orders: int = 0

    @classmethod
    def of(cls, count: object, reachable: object, revenue: object, orders: object) -> _Totals:
        """From SQL sums, which are NULL over no rows or only customers without orders."""
        return cls(*(int(value or 0) for value in (count, reachable, revenue, orders)))  # type: ignore[call-overload]

    def __add__(self, other: _Totals) -> _Totals:
        return _Totals(self.count + other.count, self.reachable + other.reachable,
                       self.revenue + other.revenue, self.orders + other.orders)  # fmt: skip


def _info(
    snapshot: Snapshot, catalog: Catalog, name: str, totals: _Totals, error: str | None
) -> SegmentInfo:
    entry = catalog.entry(name)
    count = totals.count
    share = round(100 * count / snapshot.customers, 2) if snapshot.customers else 0.0
    return SegmentInfo(
        name=entry.name,
        kind=entry.kind,
        definition=entry.definition,
        description=catalog.describe(entry),
        count=count,
        share=share,
        marketing=entry.marketing,
        marketing_count=totals.reachable if entry.marketing else 0,
        as_of=snapshot.as_of.isoformat(),
        error=error,
        revenue=rounded_exactly(totals.revenue, 100, 2),
        average_order_value=(
            rounded_exactly(totals.revenue, 100 * totals.orders, 2) if totals.orders else None
        ),
    )
