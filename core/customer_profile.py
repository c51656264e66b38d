"""One customer in full: profile, consent history, figures, orders and their line items."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from core.importers.formats import fully_refunded
from core.store import Store

ORDERS_SHOWN = 500


@dataclass(frozen=True)
class ConsentEvent:
    at: str
    accepts_marketing: bool
    source: str


@dataclass(frozen=True)
class CustomerProfile:
    """What the store knows about one customer. Money in cents, days as date ordinals."""

    id: int
    external_id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    country: str | None
    language: str | None
    accepts_marketing: bool | None
    created_at: str | None
    tags: str | None
    note: str | None
    source: str | None
    orders: int
    revenue: int
    first_day: int | None
    last_day: int | None
    consent_history: list[ConsentEvent] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True)
class OrderSummary:
    """One order as the customer detail lists it; cancelled orders are shown but never count."""

    id: int
    external_id: str
    ordered_at: str
    order_day: int
    currency: str | None
    total: int
    refunded: int
    discount_code: str | None
    discount: int
    status: str | None
    cancelled: bool
    items: int

    @property
    def net(self) -> int:
        return self.total - self.refunded

    @property
    def fully_refunded(self) -> bool:
        """Refunded in full (never counts, like a cancelled order: docs/metrics.md)."""
        return fully_refunded(self.status, self.total, self.refunded)


@dataclass(frozen=True)
class OrderLine:
    position: int
    sku: str | None
    product: str | None
    quantity: int
    unit_price: int | None

    @property
    def amount(self) -> int | None:
        return None if self.unit_price is None else self.unit_price * self.quantity


def load_profile(store: Store, customer_id: int) -> CustomerProfile | None:
    """The customer's profile and figures, or None when no such customer exists (any more)."""
    row = store.execute(
        """
        SELECT c.id, c.external_id, c.email, c.first_name, c.last_name, c.country, c.language,
               c.accepts_marketing, c.created_at, c.tags, c.note, c.source,
               coalesce(s.orders, 0), coalesce(s.revenue, 0), s.first_day, s.last_day
        FROM customers c LEFT JOIN customer_stats s ON s.customer_id = c.id
        WHERE c.id = ?
        """,
        (customer_id,),
    ).fetchone()
    if row is None:
        return None
    history = [
        ConsentEvent(at, bool(accepts), source)
        for at, accepts, source in store.execute(
            "SELECT at, accepts_marketing, source FROM consent_events "
            "WHERE customer_id = ? ORDER BY at, id",
            (customer_id,),
        )
    ]
    return CustomerProfile(
        *row[:7], None if row[7] is None else bool(row[7]), *row[8:], consent_history=history
    )


def load_orders(store: Store, customer_id: int, limit: int = ORDERS_SHOWN) -> list[OrderSummary]:
    """The customer's most recent orders first, cancelled ones included."""
    rows = store.execute(
        """
        SELECT o.id, o.external_id, o.ordered_at, o.order_day, o.currency, o.total, o.refunded,
               o.discount_code, o.discount, o.status, o.cancelled,
               (SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE order_id = o.id)
        FROM orders o WHERE o.customer_id = ?
        ORDER BY o.order_day DESC, o.ordered_at DESC, o.id DESC
        LIMIT ?
        """,
        (customer_id, limit),
    ).fetchall()
    return [OrderSummary(*row[:10], bool(row[10]), row[11]) for row in rows]


def count_orders(store: Store, customer_id: int) -> int:
    """All the customer's stored orders, cancelled ones included."""
    return int(
        store.scalar("SELECT count(*) FROM orders WHERE customer_id = ?", (customer_id,)) or 0
    )


def load_lines(store: Store, order_id: int) -> list[OrderLine]:
    rows = store.execute(
        "SELECT position, sku, product, quantity, unit_price FROM order_lines "
        "WHERE order_id = ? ORDER BY position",
        (order_id,),
    ).fetchall()
    return [OrderLine(*row) for row in rows]


def unknown_customer_ids(store: Store, customer_ids: list[int]) -> list[int]:
    """The ids among `customer_ids` that name no customer, in the order given: an export
    for a mistyped id is refused before anything is written."""
    rows = store.execute(
        "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM customers) ORDER BY key",
        (json.dumps(customer_ids),),
    )
    return list(dict.fromkeys(value for (value,) in rows))
