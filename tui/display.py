"""How numbers, money and days read on screen (CSV and JSON use core.values' plain forms)."""

from __future__ import annotations

from core.values import day_to_date
from tui.safe_text import EMPTY, clean

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def money(cents: int | None, currency: str | None = None) -> str:
    """12345678 -> '€123,456.78'; an unknown currency code goes after: '1,000.00 NOK'."""
    if cents is None:
        return EMPTY
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    amount = f"{units:,}.{rest:02d}"
    code = clean(currency or "")[:3].upper()
    if not code:
        return f"{sign}{amount}"
    symbol = _SYMBOLS.get(code)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {code}"


def count(value: int | None) -> str:
    return EMPTY if value is None else f"{value:,}"


def plural(value: int, noun: str, nouns: str | None = None) -> str:
    """`1 customer`, `2 customers`, `1,024 customers` (`nouns`: an irregular plural)."""
    return f"{value:,} {noun if value == 1 else nouns or noun + 's'}"


def day(value: int | None) -> str:
    """A date ordinal as ISO 'YYYY-MM-DD' (unambiguous in every country)."""
    return EMPTY if not value else day_to_date(value).isoformat()


def timestamp(value: str | None) -> str:
    """'2024-03-05T14:02:11+01:00' -> '2024-03-05 14:02' (the shop's local time as stored)."""
    if not value:
        return EMPTY
    text = clean(value)
    return text[:16].replace("T", " ") if len(text) >= 16 else text


def consent(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]
