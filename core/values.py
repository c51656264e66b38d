"""Parsing the values found in shop exports: money, dates, yes/no, countries.

Each parser raises `ValueError` with a short reason; the importers add file, line and column.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from core.addresses import ellipsized

MAX_CENTS = 10**12
"""The largest amount, in hundredths, any cell, figure or discount may hold (10 billion in
the shop's currency): far above any real order, far below what sums of a million orders need
to stay within SQLite's 64-bit integers."""
MAX_QUANTITY = 1_000_000
"""The largest quantity of one order line."""

_AMOUNT_CHARS = re.compile(r"-?[\d.,]+")
_CURRENCY_NOISE = re.compile(r"[\s€$£¥]|\b(?:EUR|USD|GBP|NOK|SEK|DKK|CHF|kr)\b", re.IGNORECASE)

_TRUE = frozenset({"yes", "y", "true", "t", "1", "subscribed", "ja", "si", "sì", "opted_in", "x"})
_FALSE = frozenset(
    {"no", "n", "false", "f", "0", "unsubscribed", "nein", "nee", "nei", "not_subscribed"}
)

_COUNTRY_LANGUAGE = {
    "DE": "de", "AT": "de", "CH": "de", "LI": "de",
    "IT": "it", "SM": "it", "VA": "it",
    "NL": "nl", "BE": "nl", "SR": "nl",
    "NO": "nb",
    "GB": "en", "US": "en", "IE": "en", "AU": "en", "NZ": "en", "CA": "en",
}  # fmt: skip


def parse_cents(text: str, *, decimal_comma: bool = False) -> int:
    """An amount as integer hundredths, exactly: '1.234,56' (decimal comma) -> 123456.

    In decimal-comma files a dot followed by exactly three digits is a thousands separator.
    Amounts beyond `MAX_CENTS` either way raise `ValueError` naming the limit.
    """
    cents = _parse_cents(text, decimal_comma)
    if abs(cents) > MAX_CENTS:
        raise ValueError(
            f"amount out of range: {_shorten(text)} (at most {format_cents(MAX_CENTS)})"
        )
    return cents


def _shorten(text: str, limit: int = 40) -> str:
    """`repr` of a value for an error message, cut so a huge cell makes a short line."""
    return repr(ellipsized(text.strip(), limit))


def _parse_cents(text: str, decimal_comma: bool) -> int:
    raw = text.strip()
    if "_" not in raw:
        # Fast path for the common '52.85' / '-3.50' / '12': exact integer arithmetic.
        try:
            if len(raw) > 2 and raw[-3] == "." and not (decimal_comma and raw.count(".") > 1):
                return int(raw[:-3] + raw[-2:])
            return int(raw) * 100
        except ValueError:
            pass
    cleaned = _CURRENCY_NOISE.sub("", raw).replace("\u2212", "-")
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    if not _AMOUNT_CHARS.fullmatch(cleaned):
        raise ValueError(f"not an amount: {_shorten(text)}")
    last_dot, last_comma = cleaned.rfind("."), cleaned.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_sep = "." if last_dot > last_comma else ","
    elif last_comma >= 0:
        # '12,50' is a decimal comma; '1,234' in a comma-decimal file is still a decimal.
        decimal_sep = "," if decimal_comma or len(cleaned) - last_comma - 1 != 3 else ""
    elif last_dot >= 0:
        decimal_sep = "" if decimal_comma and _is_thousands_dot(cleaned) else "."
    else:
        decimal_sep = "."
    thousands = {".": ",", ",": ".", "": ".,"}[decimal_sep]
    for sep in thousands:
        cleaned = cleaned.replace(sep, "")
    if decimal_sep == ",":
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {_shorten(text)}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {_shorten(text)}")
    if value.adjusted() > 20:  # far out of range: no exact arithmetic on a googol
        return MAX_CENTS * 10 * (-1 if value < 0 else 1)
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _is_thousands_dot(text: str) -> bool:
    head, _, tail = text.rpartition(".")
    return len(tail) == 3 and tail.isdigit() and head.lstrip("-").replace(".", "").isdigit()


DATE_ORDERS = ("DMY", "MDY")
"""How `--date-format` reads a date like 03/11/2026: day first (3 November) or month first."""

_CLOCK = (
    r"(?:(?:[ T]|, ?)(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<sec>\d{2})(?P<fraction>\.\d{1,6})?)?"
    r" ?(?P<half>[AaPp][Mm])? ?(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?"
)
# 03/11/2026, 3-11-2026 (which of the first two is the day is decided per file), 03.11.2026 ...
_DAY_MONTH = re.compile(
    r"(?P<first>\d{1,2})(?P<sep>[./-])(?P<second>\d{1,2})(?P=sep)(?P<year>\d{4})" + _CLOCK
)
# ... and 2026/11/03 or 2026.11.03, year first like ISO.
_YEAR_FIRST = re.compile(
    r"(?P<year>\d{4})(?P<sep>[./])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})" + _CLOCK
)
_EXPECTED = "expected e.g. 2024-03-05 14:02:11 +0100, 05.03.2024 or 05/03/2024 14:02"


class NeedsDateOrder(ValueError):
    """A date like 03/11/2026 read without knowing whether the day or the month comes first."""


def parse_timestamp(text: str, date_order: str | None = None) -> tuple[str, int]:
    """An order timestamp -> (ISO 8601 text keeping its offset, ordinal of its local date).

    Accepts ISO 8601 with or without time and offset, Shopify's '2024-03-05 14:02:11 +0100',
    and dates as spreadsheets write them, with or without a time: '05.03.2024' (dots are day
    first, as everywhere they are written so), '2024/03/05', and '05/03/2024' or '05-03-2024',
    read by `date_order` ('DMY' or 'MDY'; without it they raise `NeedsDateOrder`).
    """
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment, has_clock = _written_date(raw, text, date_order)
        raw = moment.isoformat() if has_clock else moment.date().isoformat()
    if moment.year < 1970 or moment.year > 2200:
        raise ValueError(f"date out of range: {text!r}")
    if len(raw) == 10:
        return moment.date().isoformat(), moment.toordinal()
    if len(raw) == 25 and raw[10] == "T" and raw[22] == ":":
        return raw, moment.toordinal()  # already 'YYYY-MM-DDTHH:MM:SS+HH:MM'
    return moment.isoformat(), moment.toordinal()


def date_order_evidence(text: str) -> str | None:
    """What one value says about its file's date order: 'DMY' (25/03/2026 can only be day
    first), 'MDY' (03/25/2026), 'either' (03/11/2026), or None (no day-month order to decide:
    ISO, dotted, year first, or not a date at all)."""
    match = _DAY_MONTH.fullmatch(text.strip())
    if match is None or match["sep"] == ".":
        return None
    first, second = int(match["first"]), int(match["second"])
    if not (1 <= first <= 31 and 1 <= second <= 31):
        return None
    if first > 12 and second <= 12:
        return "DMY"
    if second > 12 and first <= 12:
        return "MDY"
    return "either" if first <= 12 and second <= 12 else None


def _written_date(raw: str, text: str, date_order: str | None) -> tuple[datetime, bool]:
    """A date as spreadsheets write it (see `parse_timestamp`) and whether it has a time."""
    match = _DAY_MONTH.fullmatch(raw)
    how = ""
    if match is not None:
        first, second = int(match["first"]), int(match["second"])
        if match["sep"] == ".":
            day, month, how = first, second, "dotted dates are day first"
        elif date_order is None:
            raise NeedsDateOrder(
                f"{text!r}: is the day or the month first? choose with --date-format "
                f"{' or '.join(DATE_ORDERS)}"
            )
        elif date_order == "DMY":
            day, month, how = first, second, "read day first, DMY"
        else:
            day, month, how = second, first, "read month first, MDY"
    else:
        match = _YEAR_FIRST.fullmatch(raw)
        if match is None:
            raise ValueError(f"not a date: {text!r} ({_EXPECTED})")
        day, month = int(match["day"]), int(match["month"])
    try:
        moment = datetime(int(match["year"]), month, day, *_clock(match))
    except ValueError:
        raise ValueError(f"not a date: {text!r} ({how or _EXPECTED})") from None
    return moment, match["hour"] is not None


def _clock(match: re.Match[str]) -> tuple[int, int, int, int, timezone | None]:
    """(hour, minute, second, microsecond, offset) of a written date; midnight if none."""
    if match["hour"] is None:
        return 0, 0, 0, 0, None
    hour = int(match["hour"])
    if match["half"]:
        if not 1 <= hour <= 12:
            raise ValueError("not a 12-hour clock")
        hour = hour % 12 + (12 if match["half"].lower() == "pm" else 0)
    micro = int((match["fraction"] or ".0")[1:].ljust(6, "0"))
    zone = match["zone"]
    offset = None
    if zone in ("Z", "UTC", "GMT"):
        offset = UTC
    elif zone:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return hour, int(match["minute"]), int(match["sec"] or 0), micro, offset


def parse_date(text: str) -> date:
    """A calendar date such as a `--from` option: '2024-03-05'."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def parse_yes_no(text: str) -> bool | None:
    """Consent-style flags; empty means unknown (None), not no."""
    value = text.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"not yes or no: {text!r}")


def parse_quantity(text: str) -> int:
    value = text.strip()
    try:
        number = int(value) if value else 1
    except ValueError:
        try:
            as_decimal = Decimal(value.replace(",", "."))
        except InvalidOperation:
            raise ValueError(f"not a quantity: {_shorten(text)}") from None
        if not as_decimal.is_finite():
            raise ValueError(f"not a quantity: {_shorten(text)}") from None
        if as_decimal.adjusted() > 20:
            raise ValueError(
                f"quantity out of range: {_shorten(text)} (at most {MAX_QUANTITY:,})"
            ) from None
        if as_decimal != as_decimal.to_integral_value():
            raise ValueError(f"not a whole quantity: {text!r}") from None
        number = int(as_decimal)
    if number < 0:
        raise ValueError(f"negative quantity: {text!r}")
    if number > MAX_QUANTITY:
        raise ValueError(f"quantity out of range: {_shorten(text)} (at most {MAX_QUANTITY:,})")
    return number


def normalize_country(text: str) -> str | None:
    """ISO 3166 alpha-2 code from a code or a country name in en/de/it/nl/nb."""
    value = text.strip()
    if not value:
        return None
    if len(value) == 2 and value.isalpha():
        return value.upper()
    return _country_names().get(value.casefold())


@cache
def _country_names() -> dict[str, str]:
    from babel import Locale

    names: dict[str, str] = {}
    for lang in ("en", "de", "it", "nl", "nb", "fr"):
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(name.casefold(), code)
    return names


def language_for_country(country: str | None) -> str | None:
    """The language a shop would write to a customer in `country`, if it is clear."""
    return _COUNTRY_LANGUAGE.get((country or "").upper())


def normalize_language(text: str) -> str | None:
    """'de-DE', 'de_AT', 'DE' -> 'de'; Norwegian 'no'/'nn' -> 'nb'."""
    value = text.strip().replace("_", "-").split("-")[0].lower()
    if not value:
        return None
    if not value.isalpha() or len(value) not in (2, 3):
        raise ValueError(f"not a language code: {text!r}")
    return "nb" if value in ("no", "nn") else value


def clean_email(email: str | None) -> str | None:
    """An address as a file gave it, minus what no mail system sees: Unicode NFKC (full-width
    letters become ASCII), invisible format characters (zero-width space, joiners, BOM, soft
    hyphen) removed, surrounding space stripped. Case is kept for display and for drafts."""
    if not email:
        return None
    if email.isascii():  # NFKC leaves ASCII as it is: the common case, 5x quicker
        return email.strip() or None
    text = unicodedata.normalize("NFKC", email)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.strip() or None


def email_key(email: str | None) -> str | None:
    """How addresses are compared everywhere (import matching, consent, suppression, drafts):
    `clean_email`, then case-folded. The only such function: never compare `.lower()`s."""
    cleaned = clean_email(email)
    return cleaned.casefold() if cleaned else None


def day_to_date(day: int) -> date:
    return date.fromordinal(day)


def format_cents(cents: int) -> str:
    """Plain '1234.56' for CSV/JSON; locale formatting belongs to the composer."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
