"""Turning the records of a CSV file into orders and customers, or row errors.

Rows are grouped into orders by consecutive order id (Shopify and WooCommerce write one row
per line item); the order-level fields come from the first row of each order. A problem in
any row of an order rejects that whole order, so no order is stored with lines missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from core.csvfile import CsvFile, CsvRecord
from core.importers.formats import Layout
from core.importers.records import (
    CustomerRecord,
    LineRecord,
    OrderRecord,
    RowError,
    RowProblem,
)
from core.values import (
    language_for_country,
    normalize_country,
    normalize_language,
    parse_cents,
    parse_quantity,
    parse_timestamp,
    parse_yes_no,
)

_T = TypeVar("_T")
Progress = Callable[[int, int], None]
_LINE_FIELDS = ("sku", "product", "quantity", "price")


class _Row:
    """Typed access to one record's fields, raising `RowProblem` named by the column header."""

    __slots__ = ("columns", "decimal_comma", "header", "values")

    def __init__(self, file: CsvFile, columns: dict[str, int]) -> None:
        self.columns = columns
        self.header = file.header
        self.decimal_comma = file.decimal_comma
        self.values: list[str] = []

    def text(self, name: str) -> str | None:
        index = self.columns.get(name)
        if index is None or index >= len(self.values):
            return None
        value = self.values[index].strip()
        return value or None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise RowProblem(self.column(name), "required value is missing")
        return value

    def column(self, name: str) -> str:
        index = self.columns.get(name)
        return self.header[index] if index is not None else name

    def cents(self, name: str, *, required: bool = False) -> int | None:
        value = self.required(name) if required else self.text(name)
        if value is None:
            return None
        try:
            return parse_cents(value, decimal_comma=self.decimal_comma)
        except ValueError as exc:
            raise RowProblem(self.column(name), str(exc)) from None

    def convert(self, name: str, parse: Callable[[str], _T]) -> _T | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise RowProblem(self.column(name), str(exc)) from None

    def customer(self, line: int) -> CustomerRecord:
        """The customer fields of a row (orders carry their buyer)."""
        external_id = self.text("customer_id")
        if external_id is not None:
            external_id = external_id.lstrip("'").strip() or None
            if external_id == "0":  # WooCommerce's guest checkout
                external_id = None
        first, last = self.text("first_name"), self.text("last_name")
        full = self.text("full_name")
        if full and not (first or last):
            first, _, rest = full.partition(" ")
            last = rest.strip() or None
        country = self.convert("country", normalize_country)
        language = self.convert("language", normalize_language) or language_for_country(country)
        return CustomerRecord(
            line=line,
            external_id=external_id,
            email=self.text("email"),
            first_name=first,
            last_name=last,
            country=country,
            language=language,
            accepts_marketing=self.convert("accepts_marketing", parse_yes_no),
            created_at=self.convert("created_at", lambda v: parse_timestamp(v)[0]),
            tags=self.text("tags"),
            note=self.text("note"),
        )


def read_orders(
    file: CsvFile, layout: Layout, columns: dict[str, int], progress: Progress | None = None
) -> Iterator[OrderRecord | RowError]:
    """Orders from the file, in file order, each followed by nothing or preceded by its errors."""
    row = _Row(file, columns)
    id_index = columns["order_id"]
    has_lines = any(name in columns for name in _LINE_FIELDS)
    group: list[CsvRecord] = []
    current: str | None = None
    for record in file.records(progress):
        values = record.values
        order_id = values[id_index].strip() if id_index < len(values) else ""
        if order_id != current and group:
            yield from _build_order(file, layout, row, group, has_lines)
            group = []
        current = order_id
        group.append(record)
    if group:
        yield from _build_order(file, layout, row, group, has_lines)


def _build_order(
    file: CsvFile, layout: Layout, row: _Row, group: list[CsvRecord], has_lines: bool
) -> Iterator[OrderRecord | RowError]:
    first = group[0]
    row.values = first.values
    try:
        order = _order_fields(row, layout, first.line)
    except RowProblem as problem:
        yield RowError(file.name, first.line, problem.column, problem.reason)
        yield from _rest_rejected(file, group[1:], first.line)
        return
    errors: list[RowError] = []
    for record in group:
        row.values = record.values
        if not has_lines:
            break
        try:
            line = _line_fields(row)
        except RowProblem as problem:
            errors.append(RowError(file.name, record.line, problem.column, problem.reason))
            continue
        if line is not None:
            order.lines.append(line)
    if errors:
        yield from errors
        return
    order.rows = len(group)
    yield order


def _rest_rejected(file: CsvFile, rest: list[CsvRecord], first_line: int) -> Iterator[RowError]:
    for record in rest:
        reason = f"belongs to the order rejected at line {first_line}"
        yield RowError(file.name, record.line, "row", reason)


def _order_fields(row: _Row, layout: Layout, line: int) -> OrderRecord:
    external_id = row.required("order_id")
    stamp = row.required("ordered_at")
    try:
        ordered_at, order_day = parse_timestamp(stamp)
    except ValueError as exc:
        raise RowProblem(row.column("ordered_at"), str(exc)) from None
    total = row.cents("total", required=True)
    assert total is not None
    customer = row.customer(line)
    if customer.key is None:
        if layout.needs_customer:
            raise RowProblem(row.column("email"), "no customer id or email: whose order is this?")
        customer = None
    status = row.text("status")
    cancelled_at = row.convert("cancelled_at", lambda v: parse_timestamp(v)[0])
    status_key = (status or "").lower().removeprefix("wc-")
    refunded = row.cents("refunded") or 0
    if refunded < 0:
        refunded = -refunded  # some exports write refunds as negative amounts
    return OrderRecord(
        line=line,
        external_id=external_id,
        ordered_at=ordered_at,
        order_day=order_day,
        total=total,
        customer=customer,
        source_id=(row.text("source_id") or "").lstrip("'") or None,
        currency=(row.text("currency") or "").upper() or None,
        subtotal=row.cents("subtotal"),
        discount_code=row.text("discount_code"),
        discount=abs(row.cents("discount") or 0),
        refunded=refunded,
        status=status,
        cancelled_at=cancelled_at,
        cancelled=cancelled_at is not None or status_key in layout.cancelled_statuses,
    )


def _line_fields(row: _Row) -> LineRecord | None:
    sku, product = row.text("sku"), row.text("product")
    quantity_text, price = row.text("quantity"), row.cents("price")
    if sku is None and product is None and quantity_text is None and price is None:
        return None
    quantity = row.convert("quantity", parse_quantity)
    return LineRecord(sku, product, 1 if quantity is None else quantity, price)


def read_customers(
    file: CsvFile, columns: dict[str, int], progress: Progress | None = None
) -> Iterator[CustomerRecord | RowError]:
    """Customers from a customers export; a row needs an id or an email."""
    row = _Row(file, columns)
    for record in file.records(progress):
        row.values = record.values
        try:
            customer = row.customer(record.line)
        except RowProblem as problem:
            yield RowError(file.name, record.line, problem.column, problem.reason)
            continue
        if customer.key is None:
            yield RowError(file.name, record.line, row.column("email"), "no customer id or email")
            continue
        yield customer
