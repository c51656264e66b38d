"""Turning the records of a CSV file into orders and customers, or row errors.

Rows are grouped into orders by consecutive order id (Shopify and WooCommerce write one row
per line item); the order-level fields come from the first row of each order. A problem in
any row of an order rejects that whole order, so no order is stored with lines missing.

This is the import's hot loop (a million rows a run), so column positions are resolved once
per file and each row is read with one `itemgetter` call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from hashlib import blake2b
from operator import itemgetter
from typing import TypeVar

from core.csvfile import CsvFile, CsvRecord
from core.importers.dates import FileDates
from core.importers.formats import Layout, fulfillment_of, fully_refunded
from core.importers.records import (
    CustomerRecord,
    LineRecord,
    OrderRecord,
    RowError,
    RowProblem,
)
from core.values import (
    clean_email,
    format_cents,
    language_for_country,
    normalize_country,
    normalize_language,
    parse_cents,
    parse_quantity,
    parse_yes_no,
)

_T = TypeVar("_T")
RULES = 3
"""The version of what cells mean, part of every order's fingerprint: raise it when a rule
changes (2: a fully refunded order never counts, on every platform; 3: fulfilment, shipping
and tax are read, Shopify's subtotal is stored before the discount), so that re-importing a
file updates the orders it already stored under the old rule."""
Progress = Callable[[int, int], None]
_REMEMBERED_VALUES = 100_000
"""Amount texts one file's reading keeps parsed (a bound on its memory)."""

_ORDER_FIELDS = (
    "order_id", "ordered_at", "total", "source_id", "currency", "subtotal", "discount_code",
    "discount", "refunded", "status", "cancelled_at", "fulfillment", "shipping", "tax",
    "tax_included",
)  # fmt: skip
_CUSTOMER_FIELDS = (
    "customer_id", "email", "first_name", "last_name", "full_name", "country", "language",
    "accepts_marketing", "created_at", "tags", "note",
)  # fmt: skip
_LINE_FIELDS = ("sku", "product", "quantity", "price")


class _Columns:
    """Field positions of one file; a field the file lacks reads an always-empty cell."""

    def __init__(
        self,
        file: CsvFile,
        columns: dict[str, int],
        dates: FileDates | None,
        today: date | None = None,
    ) -> None:
        self.file = file
        self.dates = dates or FileDates(file, columns, None)
        self.width = len(file.header)
        self.padding = [""] * (self.width + 1)
        self.columns = columns
        self.has_lines = any(name in columns for name in _LINE_FIELDS)
        # An order dated after tomorrow (by the real clock; time zones make "tomorrow"
        # possible) is a typo: accepted, it would become every figure's as-of date.
        self.latest_day = (today or date.today()) + timedelta(days=1)
        self.latest_ordinal = self.latest_day.toordinal()

        def getter(fields: tuple[str, ...]) -> Callable[[list[str]], tuple[str, ...]]:
            return itemgetter(*(columns.get(name, self.width) for name in fields))

        self.order = getter(_ORDER_FIELDS)
        self.customer = getter(_CUSTOMER_FIELDS)
        self.line = getter(_LINE_FIELDS)
        self._heads: dict[tuple[str, str], str] = {}
        self._cents: dict[str, int] = {}
        """Amounts already read (a shop's prices and totals repeat): text -> cents."""

    def pad(self, values: list[str]) -> list[str]:
        """Make every field index valid: short rows and absent fields read as ''."""
        missing = self.width + 1 - len(values)
        if missing > 0:
            values.extend(self.padding[:missing])
        return values

    def fingerprint(self, group: list[CsvRecord], layout: Layout) -> int:
        """A hash of every cell the import reads for one order: equal means nothing to update.

        The same cells can mean other values in another layout ('voided' cancels a Shopify
        order, not a WooCommerce one), delimiter ('1.234' with decimal commas) or version of
        the import rules (`RULES`), and a date like 03/11/2026 another day in another order.
        """
        parts = [self._fingerprint_head(layout.name, self.dates.applied),
                 "\x1f".join(self.order(group[0].values))]  # fmt: skip
        if self.has_lines:
            line = self.line
            parts.extend(["\x1f".join(line(record.values)) for record in group])
        digest = blake2b("\x1e".join(parts).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    def _fingerprint_head(self, layout: str, applied: str) -> str:
        """What every order's fingerprint starts with (it changes once, when a date first
        needs the file's date order)."""
        head = self._heads.get((layout, applied))
        if head is None:
            head = f"{RULES}\x1f{layout}\x1f{self.file.decimal_comma}\x1f{applied}"
            self._heads[(layout, applied)] = head
        return head

    def header(self, name: str) -> str:
        """The column a field came from, as the file names it (for error messages)."""
        index = self.columns.get(name)
        return self.file.header[index] if index is not None else name

    def cents(self, name: str, text: str) -> int:
        cents = self._cents.get(text)
        if cents is None:
            try:
                cents = parse_cents(text, decimal_comma=self.file.decimal_comma)
            except ValueError as exc:
                raise RowProblem(self.header(name), str(exc)) from None
            if len(self._cents) >= _REMEMBERED_VALUES:
                self._cents.clear()
            self._cents[text] = cents
        return cents

    def convert(self, name: str, text: str, parse: Callable[[str], _T]) -> _T | None:
        text = text.strip()
        if not text:
            return None
        try:
            return parse(text)
        except ValueError as exc:
            raise RowProblem(self.header(name), str(exc)) from None

    def timestamp_text(self, text: str) -> str:
        return self.dates.parse(text)[0]

    def read_customer(self, values: list[str], line: int) -> CustomerRecord:
        (external_id, email, first, last, full, country_text, language_text, accepts_text,
         created_text, tags, note) = map(str.strip, self.customer(values))  # fmt: skip
        external_id = external_id.lstrip("'").strip()
        if external_id == "0":  # WooCommerce's guest checkout
            external_id = ""
        if full and not (first or last):
            first, _, last = full.partition(" ")
            last = last.strip()
        # (Each `convert` below is skipped for an empty cell, which it reads as None: this
        # runs for every row of a file.)
        convert = self.convert
        country = convert("country", country_text, normalize_country) if country_text else None
        language = convert("language", language_text, normalize_language) if language_text else None
        return CustomerRecord(
            line,
            external_id or None,
            clean_email(email),
            first or None,
            last or None,
            country,
            language or language_for_country(country),
            convert("accepts_marketing", accepts_text, parse_yes_no) if accepts_text else None,
            convert("created_at", created_text, self.timestamp_text) if created_text else None,
            tags or None,
            note or None,
        )


def read_orders(
    file: CsvFile,
    layout: Layout,
    columns: dict[str, int],
    progress: Progress | None = None,
    dates: FileDates | None = None,
    today: date | None = None,
) -> Iterator[OrderRecord | RowError]:
    """Orders from the file in file order; a rejected order yields its row errors instead.

    `dates` reads the file's dates (by default deciding day or month first from the file);
    orders dated after the day after `today` (default the real date) are rejected.
    """
    fields = _Columns(file, columns, dates, today)
    id_index = columns["order_id"]
    group: list[CsvRecord] = []
    current: str | None = None
    for record in file.records(progress):
        values = fields.pad(record.values)
        order_id = values[id_index].strip()
        if order_id != current and group:
            yield from _build_order(fields, layout, group)
            group = []
        current = order_id
        group.append(record)
    if group:
        yield from _build_order(fields, layout, group)


def _build_order(
    fields: _Columns, layout: Layout, group: list[CsvRecord]
) -> Iterator[OrderRecord | RowError]:
    name = fields.file.name
    first = group[0]
    if len(group) == 1 and first.problem is None:  # most orders: one readable row
        try:
            order = _order_fields(fields, layout, first)
            line = _line_fields(fields, first.values) if fields.has_lines else None
        except RowProblem as problem:
            yield RowError(name, first.line, problem.column, problem.reason)
            return
        if line is not None:
            order.lines.append(line)
        order.fingerprint = fields.fingerprint(group, layout)
        yield order
        return
    ragged = [record for record in group if record.problem is not None]
    if ragged:
        # Its fields are shifted: no cell of the row, nor the order it seems to be part of,
        # can be trusted.
        reason = f"belongs to the order rejected at line {ragged[0].line}"
        for record in group:
            yield RowError(name, record.line, "row", record.problem or reason)
        return
    try:
        order = _order_fields(fields, layout, first)
    except RowProblem as problem:
        yield RowError(name, first.line, problem.column, problem.reason)
        for record in group[1:]:
            reason = f"belongs to the order rejected at line {first.line}"
            yield RowError(name, record.line, "row", reason)
        return
    if fields.has_lines:
        errors: list[RowError] = []
        for record in group:
            try:
                line = _line_fields(fields, record.values)
            except RowProblem as problem:
                errors.append(RowError(name, record.line, problem.column, problem.reason))
                continue
            if line is not None:
                order.lines.append(line)
        if errors:
            # The order's other rows are rejected with it, so every row is accounted for.
            own = {error.line: error for error in errors}
            reason = f"belongs to the order rejected at line {errors[0].line}"
            for record in group:
                yield own.get(record.line) or RowError(name, record.line, "row", reason)
            return
    order.rows = len(group)
    order.fingerprint = fields.fingerprint(group, layout)
    yield order


def _order_fields(fields: _Columns, layout: Layout, record: CsvRecord) -> OrderRecord:
    values = record.values
    (external_id, stamp, total_text, source_id, currency, subtotal_text, discount_code,
     discount_text, refunded_text, status, cancelled_text, fulfillment_text, shipping_text,
     tax_text, tax_included_text) = map(str.strip, fields.order(values))  # fmt: skip
    if not external_id:
        raise RowProblem(fields.header("order_id"), "required value is missing")
    if not stamp:
        raise RowProblem(fields.header("ordered_at"), "required value is missing")
    if not total_text:
        raise RowProblem(fields.header("total"), "required value is missing")
    try:
        ordered_at, order_day = fields.dates.parse(stamp)
    except ValueError as exc:
        raise RowProblem(fields.header("ordered_at"), str(exc)) from None
    if order_day > fields.latest_ordinal:
        reason = f"dated in the future: {stamp!r} (orders up to {fields.latest_day} are accepted)"
        raise RowProblem(fields.header("ordered_at"), reason)
    customer: CustomerRecord | None = fields.read_customer(values, record.line)
    if customer is not None and customer.key is None:
        if layout.needs_customer:
            reason = "no customer id or email: whose order is this?"
            raise RowProblem(fields.header("email"), reason)
        customer = None
    cancelled_at = (
        fields.convert("cancelled_at", cancelled_text, fields.timestamp_text)
        if cancelled_text
        else None
    )
    status_key = status.lower().removeprefix("wc-")
    total = fields.cents("total", total_text)
    if total < 0:
        reason = f"negative total: {format_cents(total)} (a refund belongs in its order's refunds)"
        raise RowProblem(fields.header("total"), reason)
    # Some exports write refunds as negative amounts.
    refunded = abs(fields.cents("refunded", refunded_text)) if refunded_text else 0
    discount = abs(fields.cents("discount", discount_text)) if discount_text else 0
    subtotal = fields.cents("subtotal", subtotal_text) if subtotal_text else None
    if subtotal is not None and layout.subtotal_after_discount:
        subtotal += discount  # stored before the discount, as the other layouts give it
    if fulfillment_text:
        fulfillment = fulfillment_of(fulfillment_text)
    else:
        fulfillment = layout.fulfillment_by_status.get(status_key)
    return OrderRecord(  # positional (a million a run): the fields' order in OrderRecord
        record.line,
        external_id,
        ordered_at,
        order_day,
        total,
        customer,
        source_id.lstrip("'") or None,
        currency.upper() or None,
        subtotal,
        discount_code or None,
        discount,
        refunded,
        status or None,
        cancelled_at,
        # A fully refunded order is not a purchase: it never counts, like a cancelled one.
        cancelled_at is not None
        or status_key in layout.cancelled_statuses
        or fully_refunded(status, total, refunded),
        fulfillment,
        _amount(fields, "shipping", shipping_text) if shipping_text else None,
        _amount(fields, "tax", tax_text) if tax_text else None,
        fields.convert("tax_included", tax_included_text, parse_yes_no)
        if tax_included_text
        else None,
    )


def _amount(fields: _Columns, name: str, text: str) -> int | None:
    """An optional amount that cannot be negative (shipping, tax); None when empty."""
    if not text:
        return None
    cents = fields.cents(name, text)
    if cents < 0:
        raise RowProblem(fields.header(name), f"negative amount: {format_cents(cents)}")
    return cents


def _line_fields(fields: _Columns, values: list[str]) -> LineRecord | None:
    sku, product, quantity_text, price_text = map(str.strip, fields.line(values))
    if not (sku or product or quantity_text or price_text):
        return None
    quantity = fields.convert("quantity", quantity_text, parse_quantity) if quantity_text else None
    price = fields.cents("price", price_text) if price_text else None
    return LineRecord(sku or None, product or None, 1 if quantity is None else quantity, price)


def read_customers(
    file: CsvFile,
    columns: dict[str, int],
    progress: Progress | None = None,
    dates: FileDates | None = None,
) -> Iterator[CustomerRecord | RowError]:
    """Customers from a customers export; a row needs an id or an email."""
    fields = _Columns(file, columns, dates)
    for record in file.records(progress):
        if record.problem is not None:
            yield RowError(file.name, record.line, "row", record.problem)
            continue
        try:
            customer = fields.read_customer(fields.pad(record.values), record.line)
        except RowProblem as problem:
            yield RowError(file.name, record.line, problem.column, problem.reason)
            continue
        if customer.key is None:
            reason = "no customer id or email"
            yield RowError(file.name, record.line, fields.header("email"), reason)
            continue
        yield customer
