"""What a template knows about a customer, read from the store in batches.

Everything a draft can say comes from here: the customer's names and figures, the recent
orders with their lines, the products recommended to them (core/recommend: due reorder
reminders, complements of what they bought, bestsellers they lack), and RFM and segment names
from the segments engine. A bulk export asks for a few hundred customers at a
time (one query per kind of data, never one per customer) and only for the data the template
actually prints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from core.addresses import inline_text
from core.compose.discount import Discount
from core.compose.formatting import (
    Money,
    country_name,
    format_percent_value,
    format_whole_money,
)
from core.compose.order_summary import OrderFigures, reconcile
from core.compose.reorder import (
    DEFAULT_MIN_BUYERS,
    DEFAULT_MIN_PERCENT,
    ReorderProduct,
    reorder_products,
    suggestions,
)
from core.compose.sandbox import (
    LOYALTY_MONEY_FIELDS,
    SEGMENT_FIELDS,
    LazyNamespace,
    Namespace,
)
from core.compose.templates import TemplateInfo
from core.recommend import DEFAULT_COUNT, Recommendation, Recommender
from core.shop_settings import ShopSettings, format_mailbox
from core.store import Store
from core.values import day_to_date

RECENT_ORDERS = 5  # `orders` holds the customer's last five orders, newest first
RECOMMENDATIONS = DEFAULT_COUNT  # `recommendations` holds up to three products

ReorderRule = tuple[int, int]
"""(min percent of buyers who reorder, min buyers): a template's rule for `reorder`."""
DEFAULT_REORDER_RULE: ReorderRule = (DEFAULT_MIN_PERCENT, DEFAULT_MIN_BUYERS)

FEEDBACK_SUBJECT = {
    "en": "My score: {score}",
    "de": "Meine Bewertung: {score}",
    "it": "Il mio voto: {score}",
    "nl": "Mijn score: {score}",
    "nb": "Min vurdering: {score}",
}


@dataclass(slots=True)
class CustomerRecord:
    """One customer row plus their summary figures (None/0 when they never ordered)."""

    id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    country: str | None
    language: str | None
    accepts_marketing: int | None
    tags: str | None
    orders: int
    revenue: int
    first_day: int | None
    last_day: int | None

    def days_since_last_order(self, as_of: date) -> int | None:
        return None if self.last_day is None else as_of.toordinal() - self.last_day


@dataclass(slots=True)
class OrderLine:
    sku: str | None
    product: str | None
    quantity: int
    unit_price: int | None


@dataclass(slots=True)
class OrderRecord:
    id: int
    number: str
    day: int
    currency: str | None
    total: int
    refunded: int
    discount_code: str | None
    subtotal: int | None = None
    discount: int = 0
    shipping: int | None = None
    tax: int | None = None
    tax_included: int | None = None
    fulfillment: str | None = None
    lines: list[OrderLine] = field(default_factory=list)

    def figures(self) -> OrderFigures:
        """The money figures a summary reconciles (core/compose/order_summary.py)."""
        return OrderFigures(
            total=self.total,
            line_totals=[
                None if line.unit_price is None else line.unit_price * line.quantity
                for line in self.lines
            ],
            subtotal=self.subtotal,
            discount=self.discount or None,
            shipping=self.shipping,
            tax=self.tax,
            tax_included=None if self.tax_included is None else bool(self.tax_included),
        )


@dataclass(frozen=True)
class Needs:
    """Which expensive parts of the context a template prints: how many recent orders
    (0, 1 for `last_order` alone, or RECENT_ORDERS), recommendations, segment fields."""

    orders: int = RECENT_ORDERS
    recommendations: bool = True
    segments: bool = True
    reorder: bool = True

    @classmethod
    def from_used(cls, used: set[str] | None) -> Needs:
        if used is None:
            return cls()
        orders = RECENT_ORDERS if "orders" in used else 1 if "last_order" in used else 0
        return cls(
            orders=orders,
            recommendations="recommendations" in used,
            segments=any(f"customer.{name}" in used for name in SEGMENT_FIELDS),
            reorder="reorder" in used,
        )

    def __or__(self, other: Needs) -> Needs:
        return Needs(
            max(self.orders, other.orders),
            self.recommendations or other.recommendations,
            self.segments or other.segments,
            self.reorder or other.reorder,
        )


@dataclass
class CustomerData:
    """Raw data for one customer, before it is shaped into template variables."""

    record: CustomerRecord
    orders: list[OrderRecord] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    segment_fields: dict[str, Any] | None = None
    reorder: ReorderProduct | None = None


def worst_case_customer() -> CustomerData:
    """A customer with every optional field empty: no names, country, language or orders."""
    record = CustomerRecord(0, "nobody@example.invalid", None, None, None, None, None, None,
                            0, 0, None, None)  # fmt: skip
    empty = dict.fromkeys(SEGMENT_FIELDS) | {"segments": [], "points": 0, "points_value": 0.0}
    return CustomerData(record, segment_fields=empty)


# Customers with their figures, from the summaries kept by every import...
_CUSTOMERS_SQL = """
    SELECT c.id, c.email, c.first_name, c.last_name, c.country, c.language,
           c.accepts_marketing, c.tags, coalesce(s.orders, 0), coalesce(s.revenue, 0),
           s.first_day, s.last_day
    FROM customers c LEFT JOIN customer_stats s ON s.customer_id = c.id
    WHERE c.id IN (SELECT value FROM json_each(:ids))
"""
# ... or, as of a day before someone's latest order, summed from their days up to :day. (Not
# as `customer_id IN (json_each) AND day <= :day GROUP BY customer_id` in a subquery: SQLite
# 3.40 answers max(day) wrongly there, with days after :day; tests/test_as_of.py checks it.)
_CUSTOMERS_AS_OF_SQL = """
    SELECT c.id, c.email, c.first_name, c.last_name, c.country, c.language,
           c.accepts_marketing, c.tags, coalesce(sum(d.orders), 0), coalesce(sum(d.revenue), 0),
           min(d.day), max(d.day)
    FROM customers c LEFT JOIN customer_days d ON d.customer_id = c.id AND d.day <= :day
    WHERE c.id IN (SELECT value FROM json_each(:ids))
    GROUP BY c.id
"""
_ORDERS_SQL = """
    SELECT o.id, o.customer_id, o.external_id, o.order_day, o.currency, o.total, o.refunded,
           o.discount_code, o.subtotal, o.discount, o.shipping, o.tax, o.tax_included,
           o.fulfillment
    FROM json_each(?) AS c
    JOIN orders o ON o.id IN (
        SELECT r.id FROM orders r
        WHERE r.customer_id = c.value AND NOT r.cancelled AND r.order_day <= ?
        ORDER BY r.order_day DESC, r.ordered_at DESC, r.id DESC LIMIT ?
    )
    ORDER BY c.key, o.order_day DESC, o.ordered_at DESC, o.id DESC
"""
_LINES_SQL = """
    SELECT order_id, sku, product, quantity, unit_price FROM order_lines
    WHERE order_id IN (SELECT value FROM json_each(?))
    ORDER BY order_id, position
"""


class ContextLoader:
    """Reads customers and what templates say about them; the shop-wide evidence of the
    recommendations is read once."""

    def __init__(self, store: Store, as_of: date) -> None:
        """Everything as of `as_of` (core.as_of): the customers' figures and orders, their
        segments and the bestsellers leave out the orders after it."""
        self.store = store
        self.as_of = as_of
        self._recommender: Recommender | None = None
        self._reorder_products: dict[ReorderRule, dict[str, ReorderProduct]] = {}
        self._customers_sql: str | None = None

    def records(self, ids: Sequence[int]) -> dict[int, CustomerRecord]:
        if self._customers_sql is None:
            latest = self.store.scalar("SELECT max(last_day) FROM customer_stats")
            current = latest is None or self.as_of.toordinal() >= int(latest)  # type: ignore[call-overload]
            self._customers_sql = _CUSTOMERS_SQL if current else _CUSTOMERS_AS_OF_SQL
        params = {"ids": json.dumps(list(ids)), "day": self.as_of.toordinal()}
        rows = self.store.execute(self._customers_sql, params)
        return {row[0]: CustomerRecord(*row) for row in rows}

    def load(
        self,
        records: Sequence[CustomerRecord],
        needs: Needs,
        reorder_rule: ReorderRule = DEFAULT_REORDER_RULE,
    ) -> dict[int, CustomerData]:
        """The data for these customers, fetched with a handful of queries; `reorder_rule`
        is the template's (min percent, min buyers) for a reorder suggestion."""
        data = {record.id: CustomerData(record) for record in records}
        ids = json.dumps(list(data))
        if needs.orders and data:
            self._add_orders(data, ids, needs.orders)
        if needs.recommendations and data:
            self._add_recommendations(data)
        if needs.segments and data:
            self._add_segment_fields(data)
        if needs.reorder and data:
            products = self.reorder_products(reorder_rule)
            for cid, product in suggestions(self.store, self.as_of, products, list(data)).items():
                data[cid].reorder = product
        return data

    def seed_reorder(self, products: dict[ReorderRule, dict[str, ReorderProduct]]) -> None:
        """Take reorder evidence read elsewhere (an export's helper gets its parent's)."""
        self._reorder_products.update(products)

    def reorder_products(self, rule: ReorderRule) -> dict[str, ReorderProduct]:
        """The products customers reorder under `rule`, read once (core/compose/reorder.py)."""
        if rule not in self._reorder_products:
            self._reorder_products[rule] = reorder_products(self.store, self.as_of, *rule)
        return self._reorder_products[rule]

    def _add_orders(self, data: dict[int, CustomerData], ids: str, limit: int) -> None:
        by_id: dict[int, OrderRecord] = {}
        for oid, cid, *fields in self.store.execute(
            _ORDERS_SQL, (ids, self.as_of.toordinal(), limit)
        ):
            order = OrderRecord(oid, *fields)
            by_id[oid] = order
            data[cid].orders.append(order)
        if not by_id:
            return
        for oid, sku, product, quantity, price in self.store.execute(
            _LINES_SQL, (json.dumps(list(by_id)),)
        ):
            by_id[oid].lines.append(OrderLine(sku, product, quantity, price))

    def recommender(self) -> Recommender:
        """The recommendations as of the loader's date (core/recommend)."""
        if self._recommender is None:
            self._recommender = Recommender(self.store, self.as_of)
        return self._recommender

    def forget(self) -> None:
        """Read the recommendations' evidence again when next asked (the orders may have
        changed)."""
        self._recommender = self._customers_sql = None
        self._reorder_products = {}

    def _add_recommendations(self, data: dict[int, CustomerData]) -> None:
        found = self.recommender().for_customers(list(data), RECOMMENDATIONS)
        for cid, item in data.items():
            item.recommendations = found[cid]

    def nothing_to_recommend(self, ids: Sequence[int]) -> set[int]:
        """Those of `ids` `load` would give no recommendations, decided for a whole list at
        once (core/recommend: only who bought every bestseller is looked at closely)."""
        return self.recommender().nothing_to_recommend(ids)

    def _add_segment_fields(self, data: dict[int, CustomerData]) -> None:
        rows = segment_rows(self.store, list(data), self.as_of)
        for cid, item in data.items():
            item.segment_fields = _segment_fields(rows.get(cid))

    def segment_fields(self, customer_id: int) -> dict[str, Any]:
        """One customer's segment fields (for the rare template the pre-scan misjudged)."""
        rows = segment_rows(self.store, [customer_id], self.as_of)
        return _segment_fields(rows.get(customer_id))


def _segment_fields(row: dict[str, Any] | None) -> dict[str, Any]:
    fields = {key: (row or {}).get(key) for key in SEGMENT_FIELDS}
    fields["segments"] = list(fields["segments"] or [])
    return fields


def segment_rows(store: Store, ids: list[int], as_of: date | None) -> dict[int, dict[str, Any]]:
    """RFM scores and segment names from the segments engine."""
    from core.segments import customer_rows

    return {int(row["id"]): row for row in customer_rows(store, ids=ids, as_of=as_of)}


def customer_variables(
    item: CustomerData,
    *,
    locale: str,
    currency: str,
    as_of: date,
    fetch_segment_fields: Callable[[], dict[str, Any]] | None = None,
) -> Namespace:
    """`customer`; segment fields come from `item` or, failing that, `fetch_segment_fields`."""
    record = item.record
    first = inline_text(record.first_name)
    last = inline_text(record.last_name)

    def shaped(fields: dict[str, Any]) -> dict[str, Any]:
        """Loyalty's money (currency units in the rows) as Money in the draft's locale."""
        return fields | {
            key: Money.from_cents(round(fields[key] * 100), currency, locale)
            for key in LOYALTY_MONEY_FIELDS
            if fields.get(key) is not None
        }

    fetch = fetch_segment_fields
    customer = LazyNamespace(
        "customer",
        (lambda: shaped(fetch())) if fetch is not None and item.segment_fields is None else None,
        SEGMENT_FIELDS,
        id=record.id,
        first_name=first,
        last_name=last,
        name=f"{first} {last}".strip(),
        email=inline_text(record.email),
        country=record.country or "",
        country_name=country_name(record.country, locale),
        language=record.language or "",
        accepts_marketing=None
        if record.accepts_marketing is None
        else bool(record.accepts_marketing),
        tags=[inline_text(tag) for tag in (record.tags or "").split(",") if tag.strip()],
        orders=record.orders,
        spent=Money.from_cents(record.revenue, currency, locale),
        first_order=None if record.first_day is None else day_to_date(record.first_day),
        last_order=None if record.last_day is None else day_to_date(record.last_day),
        days_since_last_order=record.days_since_last_order(as_of),
    )
    if item.segment_fields is not None:
        customer.update(shaped(item.segment_fields))
    return customer


def order_variables(order: OrderRecord, shop_currency: str, locale: str) -> Namespace:
    currency = order.currency or shop_currency
    lines = [
        Namespace(
            "order line",
            product=inline_text(line.product or line.sku),
            sku=line.sku or "",
            quantity=line.quantity,
            price=None
            if line.unit_price is None
            else Money.from_cents(line.unit_price, currency, locale),
            total=None
            if line.unit_price is None
            else Money.from_cents(line.unit_price * line.quantity, currency, locale),
        )
        for line in order.lines
    ]

    def money(cents: int | None) -> Money | None:
        return None if cents is None else Money.from_cents(cents, currency, locale)

    sums = reconcile(order.figures())
    summary = Namespace(
        "order summary",
        items=money(sums.items),
        discount=money(sums.discount),
        shipping=money(sums.shipping),
        tax=money(sums.tax),
        total=money(sums.total),
        lines_priced=sums.lines_priced,
    )
    return Namespace(
        "order",
        number=inline_text(order.number),
        date=day_to_date(order.day),
        total=Money.from_cents(order.total, currency, locale),
        refunded=Money.from_cents(order.refunded, currency, locale),
        currency=currency,
        discount_code=inline_text(order.discount_code),
        lines=lines,
        items=sum(line.quantity for line in order.lines),
        fulfillment=order.fulfillment,
        items_total=money(order.subtotal),
        discount=money(order.discount),
        shipping=money(order.shipping),
        tax=money(order.tax),
        tax_included=None if order.tax_included is None else bool(order.tax_included),
        summary=summary,
    )


def reorder_variables(product: ReorderProduct | None) -> Namespace | None:
    """`reorder`: a product the customer bought that the shop's customers do reorder."""
    if product is None:
        return None
    return Namespace("reorder", name=product.name, sku=product.sku or "")


def product_variables(product: Recommendation, currency: str, locale: str) -> Namespace:
    return Namespace(
        "recommendation",
        name=product.name,
        sku=product.sku or "",
        reason=product.reason,
        kind=product.kind,
        price=None if product.price is None else Money.from_cents(product.price, currency, locale),
    )


@dataclass(frozen=True)
class ShopVariables:
    """The `shop` variables shared by every draft; only the unsubscribe link is personal."""

    shop: ShopSettings

    def base(self) -> dict[str, Any]:
        s = self.shop
        return {
            "name": s.name,
            "from": format_mailbox(s.from_name, s.from_address) if s.from_address else "",
            "from_name": s.from_name,
            "from_address": s.from_address,
            "reply_to": s.reply_to or s.from_address,
            "postal_address": s.postal_address,
            "unsubscribe_mailto": s.unsubscribe_mailto,
            "website": s.website,
            "currency": s.currency,
            "default_language": s.default_language,
        }

    def unsubscribe_url(self, customer_id: int) -> str:
        url = self.shop.unsubscribe_url
        return url.replace("{customer_id}", str(customer_id)) if url else ""

    def unsubscribe_mailto_uri(self) -> str:
        address = self.shop.unsubscribe_mailto
        return f"mailto:{address}?subject=unsubscribe" if address else ""

    def for_customer(self, base: dict[str, Any], customer_id: int) -> Namespace:
        url = self.unsubscribe_url(customer_id)
        return Namespace(
            "shop", base, unsubscribe_url=url, unsubscribe=url or self.unsubscribe_mailto_uri()
        )

    def feedback(self, customer_id: int, lang: str) -> Namespace:
        """Links for scores 0-10: the feedback page if set, else a reply with the score."""
        page = self.shop.feedback_url
        reply_to = self.shop.reply_to or self.shop.from_address
        subject = FEEDBACK_SUBJECT.get(lang, FEEDBACK_SUBJECT["en"])
        scores = []
        for score in range(11):
            if page:
                url = page.replace("{customer_id}", str(customer_id)).replace("{score}", str(score))
            else:
                url = f"mailto:{reply_to}?subject={quote(subject.format(score=score))}"
            scores.append(Namespace("feedback score", score=score, url=url))
        return Namespace("feedback", web=bool(page), scores=scores, reply_to=reply_to)


def discount_variables(discount: Discount, *, template: str, locale: str, today: date) -> Namespace:
    amount = (
        None
        if discount.amount_cents is None
        else Money.from_cents(discount.amount_cents, discount.currency or "EUR", locale)
    )
    if discount.percent is not None:
        value = format_percent_value(discount.percent, locale)
    else:
        assert amount is not None
        value = format_whole_money(amount, amount.currency, locale)
    return Namespace(
        "discount",
        code=discount.code_for(template),
        percent=discount.percent,
        amount=amount,
        value=value,
        valid_days=discount.valid_days,
        expires=discount.expires(today),
        points=discount.points,
        min_order=None
        if discount.min_order_cents is None
        else format_whole_money(
            Money.from_cents(discount.min_order_cents, discount.currency or "EUR", locale),
            discount.currency or "EUR",
            locale,
        ),
    )


def with_code(discount: Namespace, code: str) -> Namespace:
    """The `discount` variables with one recipient's own code (the rest is shared)."""
    return Namespace("discount", discount, code=code)


def template_variables(info: TemplateInfo, lang: str) -> Namespace:
    return Namespace("template", name=info.name, kind=info.kind, language=lang)
