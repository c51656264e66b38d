"""Locale-aware money, dates and greetings, so templates need no formatting logic.

Babel does the work; results are cached because a bulk export formats the same few prices
and dates tens of thousands of times.
"""

from __future__ import annotations

from copy import copy
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale, localedata
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal, format_percent

# The country a language is written for when the customer's own country gives no locale.
_HOME_TERRITORY = {"de": "DE", "it": "IT", "nl": "NL", "nb": "NO", "en": "GB", "fr": "FR"}

# How a small shop opens an email, per address form and language: (with a first name,
# without one). `{first}` is the first name, `{full}` first and last name (the first alone
# when the last is unknown). A last name alone is never used: "Guten Tag Schmidt" needs
# Herr/Frau, and a salutation must not guess gender. docs/templates.md explains the choice.
GREETINGS: dict[str, dict[str, tuple[str, str]]] = {
    "informal": {
        "en": ("Hi {first},", "Hello,"),
        "de": ("Hallo {first},", "Hallo,"),
        "it": ("Ciao {first},", "Ciao,"),
        "nl": ("Hoi {first},", "Hallo,"),
        "nb": ("Hei {first},", "Hei,"),
    },
    "formal": {
        "en": ("Dear {first},", "Hello,"),
        "de": ("Guten Tag {full},", "Guten Tag,"),
        "it": ("Gentile {full},", "Buongiorno,"),
        "nl": ("Beste {full},", "Beste klant,"),
        "nb": ("Hei {first},", "Hei,"),
    },
}

DATE_FORMATS = ("short", "medium", "long", "full")


class Money(Decimal):
    """An amount in currency units that prints itself in the customer's locale.

    `{{ last_order.total }}` gives `39,80 €` for a German customer; arithmetic results are
    plain Decimals again (format those with `|money`).
    """

    currency: str
    locale: str

    def __new__(cls, value: Decimal | int | str, currency: str, locale: str = "en_GB") -> Money:
        money = super().__new__(cls, value)
        money.currency = currency
        money.locale = locale
        return money

    @classmethod
    def from_cents(cls, cents: int, currency: str, locale: str = "en_GB") -> Money:
        """Exact: 123456 cents -> 1234.56, never a binary float."""
        return cls(Decimal(cents).scaleb(-2), currency, locale)

    def __str__(self) -> str:
        return format_money(self, self.currency, self.locale)


@lru_cache(maxsize=256)
def locale_for(language: str, country: str | None) -> str:
    """The Babel locale to format for: `de` + `AT` -> `de_AT`; `nl` + unknown -> `nl_NL`."""
    lang = (language or "en").lower()
    if country and localedata.exists(f"{lang}_{country.upper()}"):
        return f"{lang}_{country.upper()}"
    home = _HOME_TERRITORY.get(lang)
    if home and localedata.exists(f"{lang}_{home}"):
        return f"{lang}_{home}"
    return lang if localedata.exists(lang) else "en_GB"


@lru_cache(maxsize=32)
def _locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


@lru_cache(maxsize=4096)
def _money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=_locale(locale))


def format_money(amount: object, currency: str, locale: str) -> str:
    """`1.234,56 €` (de), `€ 1.234,56` (nl), `€1,234.56` (en)."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
        raise ValueError(f"money expects a number, got {type(amount).__name__} {amount!r}")
    value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    return _money(value, currency, locale)


@lru_cache(maxsize=256)
def _whole_money(amount: Decimal, currency: str, locale: str) -> str:
    babel_locale = _locale(locale)
    pattern = copy(babel_locale.currency_formats["standard"])
    pattern.frac_prec = (0, 0)
    return pattern.apply(amount, babel_locale, currency=currency, currency_digits=False)


def format_whole_money(amount: object, currency: str, locale: str) -> str:
    """Like `format_money`, but a whole amount without its zero cents (`5 €`, not `5,00 €`),
    as running text writes it."""
    text = format_money(amount, currency, locale)
    value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)  # type: ignore[arg-type]
    if value == value.to_integral_value():
        return _whole_money(value.to_integral_value(), currency, locale)
    return text


@lru_cache(maxsize=4096)
def _date(day: date, style: str, locale: str) -> str:
    return babel_format_date(day, style, locale=_locale(locale))


def format_day(value: object, style: str, locale: str) -> str:
    """A date in the customer's language: `5. März 2026`, `5 maart 2026`, `5 March 2026`."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise ValueError(f"date expects a date, got {type(value).__name__} {value!r}")
    if style not in DATE_FORMATS and not style.strip():
        raise ValueError(f"date format {style!r}: use short, medium, long or full")
    return _date(value, style, locale)


def format_percent_value(value: object, locale: str) -> str:
    """10 -> `10 %` (de) / `10%` (en): templates hold percent as the number they read."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise ValueError(f"percent expects a number, got {type(value).__name__} {value!r}")
    return format_percent(
        Decimal(str(value)) / 100, locale=_locale(locale), decimal_quantization=False
    )


def format_number(value: object, locale: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise ValueError(f"number expects a number, got {type(value).__name__} {value!r}")
    return format_decimal(value, locale=_locale(locale))


def greeting(first_name: str, language: str, form: str = "informal", last_name: str = "") -> str:
    """`Hallo Jürgen,` (formal: `Guten Tag Jürgen Weber,`) or, without a first name, `Hallo,`
    (`Guten Tag,`). Languages without a greeting of their own get the English one."""
    by_language = GREETINGS.get(form, GREETINGS["informal"])
    with_name, without = by_language.get(language, by_language["en"])
    if not first_name:
        return without
    return with_name.format(first=first_name, full=f"{first_name} {last_name}".strip())


@lru_cache(maxsize=1024)
def country_name(country: str | None, locale: str) -> str:
    """`DE` in `it_IT` -> `Germania`; the code itself when Babel has no name for it."""
    if not country:
        return ""
    return str(_locale(locale).territories.get(country.upper(), country.upper()))
