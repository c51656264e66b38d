"""Customers as rows with their figures, scores and segments: `retain-tui customers` and the app.

Listing runs in two steps so a page stays cheap at 350,000 customers: first the ids of the
page (filter, sort, limit: one scan, stopping early when sorted by id), then the full rows
with every segment membership for just those ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from core.filterlang import FilterError
from core.filtersql import did_you_mean
from core.rfm import RfmTable
from core.segment_catalog import BEHAVIOUR, CUSTOM, Catalog, opened_catalog
from core.segment_errors import SegmentError
from core.segment_fields import FIELDS, Field
from core.snapshot import Snapshot
from core.sqlfunctions import split_tags
from core.sqlparts import Sql, join
from core.store import Store
from core.values import day_to_date

MAX_ROWS = 1_000_000_000
"""The largest `limit` or `offset` of a customer listing: more than any shop has customers,
well inside the 64-bit integers SQLite takes."""
CONSENTED = "(c.accepts_marketing IS 1)"
ROW_COLUMNS = (
    "c.id, c.external_id, c.email, c.first_name, c.last_name, c.country, c.language, "
    "c.accepts_marketing, c.tags, s.orders, s.revenue, s.first_day, s.last_day"
)

LOYALTY_COLUMNS = (
    "points", "tier", "points_value", "next_tier", "points_to_next_tier", "spend_to_next_tier",
)  # fmt: skip
"""What each row says of the customer's loyalty status (money in currency units)."""

ROW_FIELDS = (
    "id", "external_id", "email", "first_name", "last_name", "country", "language",
    "accepts_marketing", "tags", "orders", "spent", "aov", "first_order", "last_order",
    "days_since_first_order", "days_since_last_order", "as_of", "r", "f", "m", "rfm_segment",
    "segments", "p_alive", "clv", *LOYALTY_COLUMNS,
)  # fmt: skip
"""The keys of every row `customer_rows` returns, in order: the header of `customers --csv`
even when no customer matches."""


def sortable_fields() -> list[str]:
    return [name for name, field in FIELDS.items() if field.sortable]


def customer_rows(
    store: Store,
    *,
    ids: Iterable[int] | None = None,
    segment: str | None = None,
    where: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
    as_of: date | None = None,
    marketing: bool = False,
    rfm_table: RfmTable | None = None,
) -> list[dict[str, object]]:
    """Customers matching all the given restrictions, one dict each (see docs/segments.md).

    `ids` limits to those customers, `segment` to a segment's members, `where` to a filter
    expression, `marketing` to customers with consent. Money is in currency units (float,
    2 decimals), dates are ISO text. Raises SegmentError / FilterError.
    """
    for option, value in (("limit", limit), ("offset", offset)):
        if value is not None and not 0 <= value <= MAX_ROWS:
            raise SegmentError(f"{option} must be from 0 to {MAX_ROWS:,}, not {value}")
    with opened_catalog(store, as_of, rfm_table) as (snapshot, catalog):
        conditions: list[Sql] = []
        if ids is not None:
            wanted = json.dumps([int(i) for i in ids])
            conditions.append(Sql("c.id IN (SELECT value FROM json_each(?))", (wanted,)))
        if segment is not None:
            conditions.append(catalog.condition(catalog.entry(segment).name))
        if where is not None and where.strip():
            conditions.append(catalog.compile(where))
        if marketing:
            conditions.append(Sql(CONSENTED))
        sql = Sql(f"SELECT c.id FROM {snapshot.source}")
        if conditions:
            sql = sql + " WHERE " + join(" AND ", conditions)
        sql = sql + " ORDER BY " + _order_by(snapshot, sort, descending)
        sql = sql + Sql(" LIMIT ? OFFSET ?", (-1 if limit is None else limit, offset))
        page = [row[0] for row in store.execute(sql.text, sql.params)]
        return _rows(store, snapshot, catalog, page)


def _order_by(snapshot: Snapshot, sort: str | None, descending: bool) -> Sql:
    direction = " DESC" if descending else ""
    if sort is None or sort.lower() == "id":
        return Sql(f"c.id{direction}")
    field = sort_field(sort)
    value = field.value(snapshot)
    collate = " COLLATE NOCASE" if field.kind in ("text",) else ""
    return value.wrap("({}) IS NULL, ") + value + f"{collate}{direction}, c.id"


def sort_field(name: str) -> Field:
    """The field `name` sorts by (any case), or a `SegmentError` listing the sortable ones."""
    field = FIELDS.get(name.lower())
    if field is None:
        hint = did_you_mean(name, sortable_fields())
        raise SegmentError(
            f"cannot sort by unknown field {name!r}"
            + (f"; {hint}" if hint else f"; sort by one of {', '.join(sortable_fields())}")
        )
    if not field.sortable:
        raise SegmentError(
            f"cannot sort by {field.name!r}; sort by one of {', '.join(sortable_fields())}"
        )
    return field


def _rows(
    store: Store, snapshot: Snapshot, catalog: Catalog, page: list[int]
) -> list[dict[str, object]]:
    if not page:
        return []
    memberships: list[tuple[str, Sql]] = []
    for entry in catalog.entries.values():
        if entry.kind in (BEHAVIOUR, CUSTOM):
            try:
                memberships.append((entry.name, catalog.condition(entry.name)))
            except FilterError:
                continue  # a saved filter that cannot run is reported by `segments`
    columns = [Sql(ROW_COLUMNS), snapshot.r_sql(), snapshot.f_sql(), snapshot.m_sql()]
    columns += [FIELDS["p_alive"].value(snapshot), FIELDS["clv"].value(snapshot)]
    columns += [condition for _name, condition in memberships]
    sql = (
        "SELECT " + join(", ", columns) + f" FROM {snapshot.source} "
        "WHERE c.id IN (SELECT value FROM json_each(?))"
    ) + Sql("", (json.dumps(page),))
    by_id = {}
    for row in store.execute(sql.text, sql.params):
        by_id[row[0]] = _row_dict(snapshot, row, [name for name, _sql in memberships])
    _add_loyalty(store, snapshot, by_id)
    return [by_id[customer_id] for customer_id in page if customer_id in by_id]


def _add_loyalty(store: Store, snapshot: Snapshot, rows: dict[int, dict[str, object]]) -> None:
    """Each row's loyalty status as of the snapshot's date (core/loyalty): `points`, `tier`,
    `points_value`, `next_tier`, `points_to_next_tier`, `spend_to_next_tier`; all None when
    a stored loyalty rule is refused (`retain-tui loyalty` names it)."""
    from core.loyalty import balances

    statuses = (
        {} if snapshot.loyalty is None
        else balances(store, snapshot.as_of, list(rows), rules=snapshot.loyalty)
    )  # fmt: skip
    for customer_id, row in rows.items():
        status = statuses.get(customer_id)
        row.update(dict.fromkeys(LOYALTY_COLUMNS))
        if status is None:
            continue
        row["points"] = status.points
        row["tier"] = status.tier
        row["points_value"] = _money(status.points_value)
        row["next_tier"] = status.next_tier
        row["points_to_next_tier"] = status.points_to_next_tier
        if status.spend_to_next_tier is not None:
            row["spend_to_next_tier"] = _money(status.spend_to_next_tier)


def _row_dict(snapshot: Snapshot, row: tuple[object, ...], names: list[str]) -> dict[str, object]:
    (customer_id, external_id, email, first_name, last_name, country, language, consent, tags,
     orders, revenue, first_day, last_day, r, f, m, p_alive, clv) = row[:18]  # fmt: skip
    flags = row[18:]
    rfm_segment = None if r is None else snapshot.rfm.classify(int(r), int(f), int(m))  # type: ignore[call-overload]
    segments = [] if rfm_segment is None else [rfm_segment]
    segments += [name for name, flag in zip(names, flags, strict=True) if flag]
    has_orders = orders is not None
    return {
        "id": customer_id,
        "external_id": external_id,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "country": country,
        "language": language,
        "accepts_marketing": None if consent is None else bool(consent),
        "tags": split_tags(tags),  # type: ignore[arg-type]
        "orders": int(orders) if has_orders else 0,  # type: ignore[call-overload]
        "spent": _money(revenue if has_orders else 0),
        "aov": _money(int(revenue) / int(orders)) if has_orders else None,  # type: ignore[call-overload]
        "first_order": _iso(first_day),
        "last_order": _iso(last_day),
        "days_since_first_order": None if first_day is None else snapshot.day - int(first_day),  # type: ignore[call-overload]
        "days_since_last_order": None if last_day is None else snapshot.day - int(last_day),  # type: ignore[call-overload]
        "as_of": snapshot.as_of.isoformat(),
        "r": r,
        "f": f,
        "m": m,
        "rfm_segment": rfm_segment,
        "segments": segments,
        "p_alive": None if p_alive is None else round(float(p_alive), 6),  # type: ignore[arg-type]
        "clv": None if clv is None else _money(clv),
    }


def _money(cents: object) -> float:
    return round(float(cents) / 100, 2)  # type: ignore[arg-type]


def _iso(day: object) -> str | None:
    return None if day is None else day_to_date(int(day)).isoformat()  # type: ignore[call-overload]
