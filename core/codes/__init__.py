"""Campaign discount codes after the drafts: which orders redeemed them (the view
`code_redemptions`, core/schema.py), and the files the owner imports into the shop."""

from __future__ import annotations

from decimal import Decimal

from core.values import format_cents


def code_value(kind: str, value: int) -> str:
    """A stored code's value as plain text: 10 % (1000 basis points) -> '10', 12.5 % ->
    '12.5', an amount of 500 cents -> '5.00'."""
    if kind == "percent":
        return format((Decimal(value) / 100).normalize(), "f")
    return format_cents(value)
