"""Shops for the segment tests: the small fixture in tests/data and random shops written as CSV.

The random shops also come with a plain-Python reference of every customer's figures, worked
out from the generated rows alone (never from the store), for the independent checks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.importers import import_file
from core.store import Store, open_store

DATA = Path(__file__).resolve().parent / "data"
CUSTOMERS_CSV = DATA / "segments_customers.csv"
ORDERS_CSV = DATA / "segments_orders.csv"


def fixture_store(folder: Path) -> Store:
    """The 7-customer fixture shop (see tests/data/segments_*.csv), in a file under `folder`."""
    store = open_store(folder / "shop.db", create=True)
    for path, kind in ((CUSTOMERS_CSV, "customers"), (ORDERS_CSV, "orders")):
        result = import_file(store, path, kind, fmt="generic")
        assert result.rows_rejected == 0, result.errors
    return store


@dataclass
class ShopOrder:
    customer: int
    day: date
    cents: int
    refunded_cents: int = 0
    cancelled: bool = False

    @property
    def counts(self) -> bool:
        """Neither cancelled nor refunded in full (docs/metrics.md, "What counts")."""
        return not self.cancelled and not 0 < self.cents <= self.refunded_cents


@dataclass
class RandomShop:
    """Customers 1..n (external ids C1..Cn), their consent and tags, and orders."""

    consent: dict[int, bool | None]
    tags: dict[int, str] = field(default_factory=dict)
    countries: dict[int, str] = field(default_factory=dict)
    orders: list[ShopOrder] = field(default_factory=list)

    def write(self, folder: Path) -> tuple[Path, Path]:
        customers = folder / "customers.csv"
        with customers.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["customer_id", "email", "accepts_marketing", "tags", "country"])
            for number, consent in sorted(self.consent.items()):
                flag = "" if consent is None else ("yes" if consent else "no")
                tags, country = self.tags.get(number, ""), self.countries.get(number, "")
                writer.writerow([f"C{number}", f"c{number}@example.com", flag, tags, country])
        orders = folder / "orders.csv"
        with orders.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["order_id", "ordered_at", "total", "refunded", "status",
                             "customer_id"])  # fmt: skip
            for index, order in enumerate(self.orders, start=1):
                writer.writerow([
                    f"O{index}", order.day.isoformat(), _amount(order.cents),
                    _amount(order.refunded_cents), "cancelled" if order.cancelled else "paid",
                    f"C{order.customer}",
                ])  # fmt: skip
        return customers, orders

    def load(self, folder: Path) -> Store:
        customers, orders = self.write(folder)
        store = open_store(folder / "shop.db", create=True)
        for path, kind in ((customers, "customers"), (orders, "orders")):
            result = import_file(store, path, kind, fmt="generic")
            assert result.rows_rejected == 0, result.errors
        return store

    def figures(self, as_of: date) -> dict[int, tuple[int, int, date, date]]:
        """Customer -> (orders, net cents, first day, last day) over counting orders to as_of."""
        out: dict[int, tuple[int, int, date, date]] = {}
        for order in self.orders:
            if not order.counts or order.day > as_of:
                continue
            count, cents, first, last = out.get(order.customer, (0, 0, order.day, order.day))
            out[order.customer] = (
                count + 1, cents + order.cents - order.refunded_cents,
                min(first, order.day), max(last, order.day),
            )  # fmt: skip
        return out

    def latest_day(self) -> date | None:
        days = [order.day for order in self.orders if order.counts]
        return max(days) if days else None


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
