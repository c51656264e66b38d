"""Shops with campaigns for the campaign-results tests: orders imported from CSV files, the
campaigns' recipients and codes written through the store, as a recorded export leaves them."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.importers import ImportResult, import_file
from core.store import Store

RUN_AT = "2024-03-01T09:00:00+00:00"


@dataclass(frozen=True)
class ShopOrder:
    order_id: str
    customer: int  # number n of customer Cn
    day: date
    cents: int
    refunded_cents: int = 0
    cancelled: bool = False
    discount_code: str = ""

    @property
    def counts(self) -> bool:
        """Neither cancelled nor refunded in full (docs/metrics.md, "What counts")."""
        return not self.cancelled and not 0 < self.cents <= self.refunded_cents


@dataclass
class Campaign:
    name: str
    as_of: date
    outcomes: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    """Customer number -> (outcome, left-out reason)."""
    codes: dict[str, int] = field(default_factory=dict)
    """Code -> customer number it was issued to."""
    template: str = "win-back"
    holdout_percent: float = 0.0


def load_customers_and_orders(
    store: Store, folder: Path, customers: int, orders: list[ShopOrder]
) -> dict[int, int]:
    """Import customers C1..C`customers` and `orders` (generic CSV); return number -> store id."""
    people = folder / "customers.csv"
    with people.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "email", "accepts_marketing"])
        for number in range(1, customers + 1):
            writer.writerow([f"C{number}", f"c{number}@example.com", "yes"])
    result = import_file(store, people, "customers", fmt="generic")
    assert result.rows_rejected == 0, result.errors
    if orders:
        import_orders(store, folder / "orders.csv", orders)
    return {
        int(external[1:]): customer_id
        for customer_id, external in store.execute("SELECT id, external_id FROM customers")
    }


def import_orders(store: Store, path: Path, orders: list[ShopOrder]) -> ImportResult:
    """One generic orders file with `orders` (new ones, or new states of imported ones)."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "ordered_at", "customer_id", "total", "refunded", "status",
                         "discount_code"])  # fmt: skip
        for o in orders:
            writer.writerow([
                o.order_id, o.day.isoformat(), f"C{o.customer}", f"{o.cents / 100:.2f}",
                f"{o.refunded_cents / 100:.2f}", "cancelled" if o.cancelled else "paid",
                o.discount_code,
            ])  # fmt: skip
    result = import_file(store, path, "orders", fmt="generic")
    assert result.rows_rejected == 0, result.errors
    return result


def add_campaign(store: Store, campaign: Campaign, ids: dict[int, int]) -> int:
    """Write the campaign, one recipient row per customer and its codes; return its id."""
    with store.write() as conn:
        campaign_id = conn.execute(
            "INSERT INTO campaigns (name, template, kind, audience, holdout_percent, created_at,"
            " as_of) VALUES (?, ?, 'marketing', 'lapsed', ?, ?, ?)",
            (campaign.name, campaign.template, campaign.holdout_percent, RUN_AT,
             campaign.as_of.isoformat()),
        ).lastrowid  # fmt: skip
        conn.executemany(
            "INSERT INTO campaign_recipients (campaign_id, customer_id, outcome, reason,"
            " language, recorded_at) VALUES (?, ?, ?, ?, 'en', ?)",
            [
                (campaign_id, ids[number], outcome, reason, RUN_AT)
                for number, (outcome, reason) in campaign.outcomes.items()
            ],
        )
        conn.executemany(
            "INSERT INTO discount_codes (code, campaign_id, customer_id, kind, value, currency,"
            " expires, min_order, created_at) VALUES (?, ?, ?, 'percent', 1000, NULL, NULL,"
            " NULL, ?)",
            [(code, campaign_id, ids[number], RUN_AT) for code, number in campaign.codes.items()],
        )
    assert campaign_id is not None
    return campaign_id
