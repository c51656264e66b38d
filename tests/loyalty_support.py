"""Loyalty test shops and the brute-force reference: docs/loyalty.md read as plain Python
over the generated orders and ledger rows, never through core.loyalty."""

from __future__ import annotations

import calendar
import itertools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.store import Store
from tests.campaign_shop import ShopOrder, load_customers_and_orders


@dataclass(frozen=True)
class Rules:
    rate: int = 10
    bonus2: int = 0
    bonus5: int = 0
    expiry_months: int | None = None
    point_value: int = 100
    tiers: tuple[tuple[str, int], ...] = (("Bronze", 0), ("Silver", 25_000), ("Gold", 100_000))

    def settings(self) -> dict[str, str]:
        """The rules as `loyalty.*` settings values."""
        return {
            "loyalty.points_per_unit": str(self.rate),
            "loyalty.bonus_2nd_order": str(self.bonus2),
            "loyalty.bonus_5th_order": str(self.bonus5),
            "loyalty.expiry_months": str(self.expiry_months or "off"),
            "loyalty.point_value": str(self.point_value),
            "loyalty.tiers": ",".join(f"{name}:{cents / 100:.2f}" for name, cents in self.tiers),
        }


@dataclass(frozen=True)
class Expected:
    points: int
    spend: int
    tier: str | None
    next_tier: str | None


def months_later(day: date, months: int) -> date:
    """The same day `months` calendar months on, or that month's last day."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expected_status(
    orders: list[ShopOrder],
    adjustments: list[tuple[int, int, date]],
    rules: Rules,
    customer: int,
    as_of: date,
) -> Expected:
    """`orders` in import order (ties on a day ranked by it); adjustments (customer, points,
    dated)."""
    counting = sorted(
        (o.day, index, o)
        for index, o in enumerate(orders)
        if o.customer == customer and o.counts and o.day <= as_of
    )
    cut = date.min
    if rules.expiry_months:
        days = sorted({day for day, _, _ in counting})
        for before, after in itertools.pairwise(days):
            expires = months_later(before, rules.expiry_months)
            if after > expires:
                cut = expires
        if days and as_of > months_later(days[-1], rules.expiry_months):
            cut = months_later(days[-1], rules.expiry_months)
    points = 0
    for rank, (day, _, order) in enumerate(counting, start=1):
        earned = (order.cents - order.refunded_cents) * rules.rate // 100
        earned += {2: rules.bonus2, 5: rules.bonus5}.get(rank, 0)
        if day > cut:
            points += earned
    points += sum(p for c, p, day in adjustments if c == customer and cut < day <= as_of)
    year_before = months_later(as_of, -12)
    spend = sum(o.cents - o.refunded_cents for day, _, o in counting if day > year_before)
    reached = [name for name, threshold in rules.tiers if spend >= threshold]
    above = [name for name, threshold in rules.tiers if spend < threshold]
    return Expected(points, spend, reached[-1] if reached else None, above[0] if above else None)


def write_customers(store: Store, folder: Path, customers: int) -> dict[int, int]:
    """Import customers C1..C`customers` (no orders yet); return number -> store id."""
    return load_customers_and_orders(store, folder, customers, [])
