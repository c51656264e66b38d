"""What the format readers produce: format-free orders and customers, or row errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.values import email_key


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row, said as `file:line: column: reason`."""

    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


class RowProblem(ValueError):
    """Raised inside a reader for a bad value; carries the column it came from."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass(slots=True)
class CustomerRecord:
    """A customer as one export describes them; None means the file does not say."""

    line: int
    external_id: str | None
    email: str | None
    first_name: str | None = None
    last_name: str | None = None
    country: str | None = None
    language: str | None = None
    accepts_marketing: bool | None = None
    created_at: str | None = None
    tags: str | None = None
    note: str | None = None

    @property
    def key(self) -> str | None:
        """Within one file, a customer is their external id, else their email."""
        if self.external_id:
            return "id:" + self.external_id
        key = email_key(self.email)
        return "email:" + key if key else None


@dataclass(frozen=True, slots=True)
class LineRecord:
    sku: str | None
    product: str | None
    quantity: int
    unit_price: int | None


@dataclass(slots=True)
class OrderRecord:
    """One order with its lines. Money in cents; `order_day` is the local date's ordinal."""

    line: int
    external_id: str
    ordered_at: str
    order_day: int
    total: int
    customer: CustomerRecord | None
    source_id: str | None = None
    currency: str | None = None
    subtotal: int | None = None
    discount_code: str | None = None
    discount: int = 0
    refunded: int = 0
    status: str | None = None
    cancelled_at: str | None = None
    cancelled: bool = False
    fulfillment: str | None = None
    shipping: int | None = None
    tax: int | None = None
    tax_included: bool | None = None
    lines: list[LineRecord] = field(default_factory=list)
    rows: int = 1
    fingerprint: int = 0
