"""Campaigns with issued codes, written as rows the way a recorded export leaves them, and
small order files of each shop layout that carry discount codes."""

from __future__ import annotations

import json
from pathlib import Path

from core.store import Store

CREATED_AT = "2024-11-30T12:00:00+00:00"


def add_campaign(
    store: Store,
    name: str,
    codes: dict[str, int],
    *,
    discount: dict[str, object] | None = None,
    created_at: str = CREATED_AT,
    as_of: str = "2024-11-30",
) -> int:
    """A marketing campaign `name` that drafted `codes` ({code: customer id}); its id."""
    discount = discount or {
        "kind": "percent", "value": 1000, "currency": None, "expires": "2024-12-31",
        "min_order": None, "prefix": "WINBACK",
    }  # fmt: skip
    with store.write() as conn:
        campaign = conn.execute(
            "INSERT INTO campaigns (name, template, kind, audience, language_rule, discount, "
            "options, created_at, as_of) VALUES (?, 'winback', 'marketing', 'at_risk', "
            "'customer', ?, '{}', ?, ?)",
            (name, json.dumps(discount), created_at, as_of),
        ).lastrowid
        for code, customer in codes.items():
            conn.execute(
                "INSERT INTO campaign_recipients (campaign_id, customer_id, outcome, language, "
                "recorded_at) VALUES (?, ?, 'drafted', 'en', ?)",
                (campaign, customer, created_at),
            )
            conn.execute(
                "INSERT INTO discount_codes (code, campaign_id, customer_id, kind, value, "
                "currency, expires, min_order, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (code, campaign, customer, discount["kind"], discount["value"],
                 discount.get("currency"), discount.get("expires"), discount.get("min_order"),
                 created_at),
            )  # fmt: skip
    assert isinstance(campaign, int)
    return campaign


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A small export file; cells are quoted so commas inside them survive."""
    lines = [",".join(header)] + [",".join(f'"{cell}"' for cell in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SHOPIFY_HEADER = ["Name", "Email", "Financial Status", "Created at", "Currency", "Total",
                  "Discount Code", "Discount Amount", "Lineitem quantity", "Lineitem name",
                  "Lineitem price", "Billing Name"]  # fmt: skip


def shopify_row(name: str, email: str, day: str, total: str, code: str, status: str = "paid"):
    """One Shopify order row (one line item)."""
    return [name, email, status, f"{day} 10:00:00 +0100", "EUR", total, code, "1.00", "1",
            "Tea", total, "Ann Example"]  # fmt: skip


WOO_HEADER = ["Order Number", "Order Status", "Order Date", "First Name (Billing)",
              "Last Name (Billing)", "Email (Billing)", "Order Total Amount", "Order Currency",
              "Coupon Code", "Discount Amount", "SKU", "Name", "Quantity", "Item Cost"]  # fmt: skip


def woo_row(number: str, email: str, day: str, total: str, coupons: str, status: str = "Completed"):
    """One WooCommerce order row (Advanced Order Export's layout, one line item)."""
    return [number, status, f"{day} 14:02", "Ann", "Example", email, total, "EUR", coupons,
            "1.00", "TEA", "Tea", "1", total]  # fmt: skip


GENERIC_HEADER = ["order_id", "date", "email", "total", "status", "discount_code"]


def generic_row(order: str, email: str, day: str, total: str, code: str, status: str = "paid"):
    return [order, day, email, total, status, code]
