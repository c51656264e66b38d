"""Locale formatting, greetings, discounts and addresses: the small pieces drafts are built of."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.addresses import AddressError, check_address, header_text
from core.compose import DiscountError, parse_discount
from core.compose.discount import Discount
from core.compose.formatting import Money, format_day, format_money, greeting, locale_for

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de_DE", f"1.234,56{NBSP}€"),
        ("nl_NL", f"€{NBSP}1.234,56"),
        ("it_IT", f"1.234,56{NBSP}€"),
        ("nb_NO", f"1{NBSP}234,56{NBSP}€"),
        ("en_GB", "€1,234.56"),
    ],
)
def test_money_in_the_customers_locale(locale: str, expected: str) -> None:
    assert format_money(Money.from_cents(123456, "EUR"), "EUR", locale) == expected


def test_money_is_exact_from_cents() -> None:
    amount = Money.from_cents(1999, "EUR", "de_DE")
    assert amount == Decimal("19.99") and str(amount) == f"19,99{NBSP}€"
    assert Money.from_cents(-5, "NOK", "nb_NO") == Decimal("-0.05")


def test_money_refuses_what_is_not_a_number() -> None:
    with pytest.raises(ValueError, match="money expects a number"):
        format_money("12", "EUR", "de_DE")


@pytest.mark.parametrize(
    ("language", "country", "locale"),
    [("de", "AT", "de_AT"), ("de", None, "de_DE"), ("nl", "BE", "nl_BE"), ("nb", "NO", "nb_NO"),
     ("en", "US", "en_US"), ("en", None, "en_GB"), ("it", "XX", "it_IT"), ("xx", None, "en_GB")],
)  # fmt: skip
def test_locale_from_language_and_country(language: str, country: str | None, locale: str) -> None:
    assert locale_for(language, country) == locale


def test_dates_in_words_of_the_language() -> None:
    day = date(2026, 3, 5)
    assert format_day(day, "long", "de_DE") == "5. März 2026"
    assert format_day(day, "long", "nl_NL") == "5 maart 2026"
    assert format_day(day, "long", "nb_NO") == "5. mars 2026"
    assert format_day(day, "MMMM y", "it_IT") == "marzo 2026"


@pytest.mark.parametrize(
    ("lang", "form", "full_name", "first_name_only", "no_name"),
    [
        ("en", "informal", "Hi Ava,", "Hi Ava,", "Hello,"),
        ("en", "formal", "Dear Ava,", "Dear Ava,", "Hello,"),
        ("de", "informal", "Hallo Ava,", "Hallo Ava,", "Hallo,"),
        ("de", "formal", "Guten Tag Ava Rossi,", "Guten Tag Ava,", "Guten Tag,"),
        ("it", "informal", "Ciao Ava,", "Ciao Ava,", "Ciao,"),
        ("it", "formal", "Gentile Ava Rossi,", "Gentile Ava,", "Buongiorno,"),
        ("nl", "informal", "Hoi Ava,", "Hoi Ava,", "Hallo,"),
        ("nl", "formal", "Beste Ava Rossi,", "Beste Ava,", "Beste klant,"),
        ("nb", "informal", "Hei Ava,", "Hei Ava,", "Hei,"),
        ("nb", "formal", "Hei Ava,", "Hei Ava,", "Hei,"),
        ("xx", "informal", "Hi Ava,", "Hi Ava,", "Hello,"),
        ("xx", "formal", "Dear Ava,", "Dear Ava,", "Hello,"),
    ],
)  # fmt: skip
def test_greeting_by_language_and_form_with_and_without_a_name(
    lang: str, form: str, full_name: str, first_name_only: str, no_name: str
) -> None:
    assert greeting("Ava", lang, form, "Rossi") == full_name
    assert greeting("Ava", lang, form) == first_name_only
    assert greeting("", lang, form) == no_name
    # A last name alone is never used: it would need Herr/Frau, Signora/Signor, meneer/mevrouw.
    assert greeting("", lang, form, "Rossi") == no_name


@pytest.mark.parametrize(
    ("text", "percent", "cents"),
    [("10%", Decimal(10), None), ("12,5 %", Decimal("12.5"), None), ("5EUR", None, 500),
     ("5,50 €", None, 550), ("7.25eur", None, 725)],
)  # fmt: skip
def test_discount_options(text: str, percent: Decimal | None, cents: int | None) -> None:
    discount = parse_discount(text, currency="EUR", valid_days=14)
    assert (discount.percent, discount.amount_cents, discount.valid_days) == (percent, cents, 14)


@pytest.mark.parametrize(
    ("text", "message"),
    [("10", "write a percentage"), ("0%", "between 0 and 100"), ("150%", "between 0 and 100"),
     ("5USD", "currency is EUR, not USD"), ("0EUR", "more than zero"), ("ten%", "percentage")],
)  # fmt: skip
def test_bad_discount_options_say_why(text: str, message: str) -> None:
    with pytest.raises(DiscountError, match=message):
        parse_discount(text, currency="EUR")


def test_discount_validity_and_codes() -> None:
    with pytest.raises(DiscountError, match="--valid-days 0"):
        parse_discount("10%", currency="EUR", valid_days=0)
    with pytest.raises(DiscountError, match="capital letters"):
        parse_discount("10%", currency="EUR", code="a b")
    assert parse_discount("10%", currency="EUR", code="spring-10").code == "SPRING-10"
    assert Discount(percent=Decimal("12.5")).code_for("win-back") == "WINBACK12_5"
    assert Discount(amount_cents=550, currency="EUR").code_for("win-back") == "WINBACK5_50EUR"
    assert Discount(percent=Decimal(15)).code_for("come-back-bestsellers") == "COMEBACK15"


def test_addresses_are_checked_and_idna_encoded() -> None:
    assert check_address(" juergen@Müller.DE ") == "juergen@xn--mller-kva.de"
    assert check_address("a.b+tag@example.co.uk") == "a.b+tag@example.co.uk"
    bad_addresses = ("jürgen@example.de", "no-at-sign", "a@b", "a b@example.com",
                     "a@@example.com", ".a@example.com", "a..b@example.com",
                     "a@example.com\r\nBcc: x@example.com")  # fmt: skip
    for bad in bad_addresses:
        with pytest.raises(AddressError):
            check_address(bad)
    longest = "a" * 62 + "@" + ".".join(["b" * 62] * 3) + ".cd"  # 254 characters
    assert check_address(longest) == longest
    with pytest.raises(AddressError, match="longer than 254 characters"):
        check_address("a" + longest)


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_header_text_never_keeps_a_line_break_or_control(value: str) -> None:
    cleaned = header_text(value)
    assert cleaned == cleaned.strip()
    assert not any(ch in cleaned for ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x1b\x00")
