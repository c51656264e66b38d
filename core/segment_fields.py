"""The customer fields a filter can use, with their kind and their SQL over a snapshot.

The table is open: loyalty (points, tier) will add its fields with `register_field`.
Every SQL here is fixed text written by us; values only ever arrive as parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.snapshot import Snapshot
from core.sqlparts import Sql

# What a field holds, which decides its operators and how literals are read:
#   count, days, score: whole numbers;  money: currency units (kept in cents);
#   date: a calendar date (kept as a day ordinal);  text: compared ignoring ASCII case;
#   country / language: codes, literals normalised ("Germany" -> "DE", "de-AT" -> "de");
#   bool: yes/no;  tags: a list;  rfm_segment / segment: segment names.
KINDS = (
    "count", "days", "score", "money", "date", "text", "country", "language", "bool", "tags",
    "rfm_segment", "segment",
)  # fmt: skip
NUMERIC_KINDS = frozenset({"count", "days", "score", "money", "date"})
TEXT_KINDS = frozenset({"text", "country", "language"})


@dataclass(frozen=True)
class Field:
    """A filter field: its SQL value over `customers c LEFT JOIN stats s` for a snapshot."""

    name: str
    kind: str
    doc: str
    value: Callable[[Snapshot], Sql]
    sortable: bool = True


FIELDS: dict[str, Field] = {}


def register_field(field: Field) -> None:
    """Add a field (e.g. loyalty's points and tier) to the filter language."""
    if field.kind not in KINDS:
        raise ValueError(f"unknown field kind {field.kind!r}")
    if field.name in FIELDS:
        raise ValueError(f"field {field.name!r} already exists")
    FIELDS[field.name] = field


def _column(sql: str) -> Callable[[Snapshot], Sql]:
    return lambda _snapshot: Sql(sql)


def _days_since(column: str) -> Callable[[Snapshot], Sql]:
    return lambda snapshot: Sql(f"(? - {column})", (snapshot.day,))


for _field in (
    Field("id", "count", "the customer's number in this store", _column("c.id")),
    Field("external_id", "text", "the customer's id in the shop export", _column("c.external_id")),
    Field("email", "text", "email address", _column("c.email")),
    Field("first_name", "text", "first name", _column("c.first_name")),
    Field("last_name", "text", "last name", _column("c.last_name")),
    Field("country", "country", "country code (ISO-2), e.g. \"DE\"", _column("c.country")),
    Field("language", "language", "language code, e.g. \"de\"", _column("c.language")),
    Field("accepts_marketing", "bool", "has given marketing consent (unknown counts as no)",
          _column("(c.accepts_marketing IS 1)")),
    Field("tags", "tags", "the customer's tags", _column("c.tags"), sortable=False),
    Field("orders", "count", "counting orders up to the as-of date (0 if none)",
          _column("coalesce(s.orders, 0)")),
    Field("spent", "money", "net revenue (total − refunds) up to the as-of date",
          _column("coalesce(s.revenue, 0)")),
    Field("aov", "money", "average order value: spent / orders (none without orders)",
          _column("(s.revenue * 1.0 / s.orders)")),
    Field("first_order", "date", "date of the first order", _column("s.first_day")),
    Field("last_order", "date", "date of the latest order", _column("s.last_day")),
    Field("days_since_first_order", "days", "days from the first order to the as-of date",
          _days_since("s.first_day")),
    Field("days_since_last_order", "days", "days from the latest order to the as-of date",
          _days_since("s.last_day")),
    Field("r", "score", "RFM recency score 1–5 (5 = most recent)", Snapshot.r_sql),
    Field("f", "score", "RFM frequency score 1–5 (5 = most orders)", Snapshot.f_sql),
    Field("m", "score", "RFM monetary score 1–5 (5 = most spent)", Snapshot.m_sql),
    Field("rfm_segment", "rfm_segment", "the named RFM segment, e.g. \"At Risk\"",
          Snapshot.code_sql, sortable=False),
    Field("segment", "segment", "membership of any segment: RFM, behaviour or your own",
          _column("NULL"), sortable=False),
):  # fmt: skip
    register_field(_field)


def _loyalty(name: str) -> Callable[[Snapshot], Sql]:
    """Loyalty's SQL (core/loyalty/segment_sql.py), loaded when a filter uses the field."""

    def value(snapshot: Snapshot) -> Sql:
        from core.loyalty import segment_sql

        return getattr(segment_sql, name)(snapshot)  # type: ignore[no-any-return]

    return value


register_field(
    Field("points", "count", "loyalty points balance as of the as-of date", _loyalty("points_sql"))
)
register_field(
    Field("tier", "text", "loyalty tier, by net spend over the 12 months up to the as-of date",
          _loyalty("tier_sql"))
)  # fmt: skip
