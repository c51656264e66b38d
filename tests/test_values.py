"""The value parsers: money exactly in cents, timestamps keeping their offset, flags, countries."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.values import (
    MAX_CENTS,
    day_to_date,
    email_key,
    format_cents,
    language_for_country,
    normalize_country,
    normalize_language,
    parse_cents,
    parse_date,
    parse_quantity,
    parse_timestamp,
    parse_yes_no,
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("0", 0),
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("0.10", 10),
        ("-0.50", -50),
        ("  49.70 ", 4970),
        ("1,234.56", 123456),
        ("1,234,567.89", 123456789),
        ("12,50", 1250),  # a lone decimal comma, even in a comma-delimited file
        ("1.234,56", 123456),
        ("€ 12.50", 1250),
        ("12.50 EUR", 1250),
        ("$1,000", 100000),
        ("(12.50)", -1250),  # accountants' negative
        ("\u221212.50", -1250),  # a typographic minus
        ("1 234,56", 123456),
        ("0.005", 1),  # half a cent rounds half up, exactly (a float would give 0)
        ("2.675", 268),
    ],
)
def test_parse_cents_reads_shop_amounts_exactly(text: str, cents: int) -> None:
    assert parse_cents(text) == cents


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1.234,56", 123456),
        ("1.234", 123400),  # a dot before exactly three digits is a thousands separator
        ("1.000.000", 100000000),
        ("12,5", 1250),
        ("€ 12,50", 1250),
        ("99,90 €", 9990),
        ("12.50", 1250),  # a plain dot decimal still works
        ("-2,50", -250),
    ],
)
def test_parse_cents_with_decimal_comma(text: str, cents: int) -> None:
    assert parse_cents(text, decimal_comma=True) == cents


@pytest.mark.parametrize(
    "text", ["", " ", "ten euros", "12.5.3", "1e5", "NaN", "inf", "12-50", ".", "-", "€", "12 50x"]
)
def test_parse_cents_rejects_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_cents(text)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
def test_cents_survive_formatting_and_parsing(cents: int) -> None:
    plain = format_cents(cents)
    assert parse_cents(plain) == cents
    whole, frac = plain.lstrip("-").split(".")
    sign = "-" if cents < 0 else ""
    english = f"{sign}{int(whole):,}.{frac}"
    german = english.replace(",", "_").replace(".", ",").replace("_", ".")
    assert parse_cents(english) == cents
    assert parse_cents(german, decimal_comma=True) == cents


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30))
def test_sums_of_parsed_amounts_are_exact(amounts: list[int]) -> None:
    # Summing '0.10'-style strings through floats drifts; cents never do.
    texts = [format_cents(amount) for amount in amounts]
    assert sum(parse_cents(text) for text in texts) == sum(amounts)


def test_format_cents() -> None:
    assert format_cents(0) == "0.00"
    assert format_cents(5) == "0.05"
    assert format_cents(-5) == "-0.05"
    assert format_cents(123456) == "1234.56"


@pytest.mark.parametrize(
    ("text", "iso", "local_day"),
    [
        ("2024-03-05 14:02:11 +0100", "2024-03-05T14:02:11+01:00", date(2024, 3, 5)),
        ("2024-03-05T14:02:11+01:00", "2024-03-05T14:02:11+01:00", date(2024, 3, 5)),
        ("2024-03-05T14:02:11Z", "2024-03-05T14:02:11+00:00", date(2024, 3, 5)),
        ("2024-03-05T14:02:11", "2024-03-05T14:02:11", date(2024, 3, 5)),
        ("2024-03-05 14:02", "2024-03-05T14:02:00", date(2024, 3, 5)),
        ("2024-03-05", "2024-03-05", date(2024, 3, 5)),
        # The day is the customer's local date, not the UTC one (that would be 1 January).
        ("2024-12-31 23:59:59 -0500", "2024-12-31T23:59:59-05:00", date(2024, 12, 31)),
        ("2024-01-01 00:30:00 +0100", "2024-01-01T00:30:00+01:00", date(2024, 1, 1)),
    ],
)
def test_parse_timestamp_keeps_offset_and_local_day(text: str, iso: str, local_day: date) -> None:
    ordered_at, day = parse_timestamp(text)
    assert ordered_at == iso
    assert day == local_day.toordinal()
    assert day_to_date(day) == local_day


@pytest.mark.parametrize(
    "text",
    ["yesterday", "", "2024-13-01", "2024-02-30 10:00", "31.02.2024", "05/03/24", "5.3.24",
     "2024/13/01", "05.03.2024 25:00", "05.03.2024 13:00 PM", "05.03.2024 10:00 +1"],
)  # fmt: skip
def test_parse_timestamp_rejects_other_dates(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_timestamp(text)


def test_parse_timestamp_rejects_absurd_years() -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_timestamp("1900-01-01")


def test_parse_date() -> None:
    assert parse_date(" 2024-03-05 ") == date(2024, 3, 5)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date("5.3.2024")


@pytest.mark.parametrize(
    ("text", "value"),
    [("yes", True), ("YES", True), ("true", True), ("1", True), ("subscribed", True),
     ("ja", True), ("no", False), ("False", False), ("0", False), ("unsubscribed", False),
     ("nein", False), ("not_subscribed", False), ("", None), ("  ", None)],
)  # fmt: skip
def test_parse_yes_no(text: str, value: bool | None) -> None:
    assert parse_yes_no(text) is value


def test_parse_yes_no_rejects_other_words() -> None:
    with pytest.raises(ValueError, match="not yes or no"):
        parse_yes_no("maybe")


@pytest.mark.parametrize(("text", "value"), [("2", 2), ("", 1), ("3.0", 3), ("4,0", 4), ("0", 0)])
def test_parse_quantity(text: str, value: int) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["1.5", "-1", "two"])
def test_parse_quantity_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="quantity"):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("text", "code"),
    [("DE", "DE"), ("de", "DE"), ("Germany", "DE"), ("Deutschland", "DE"), ("Österreich", "AT"),
     ("Niederlande", "NL"), ("Italia", "IT"), ("Norge", "NO"), ("United Kingdom", "GB"),
     ("", None), ("Atlantis", None)],
)  # fmt: skip
def test_normalize_country(text: str, code: str | None) -> None:
    assert normalize_country(text) == code


def test_language_follows_country() -> None:
    assert [language_for_country(c) for c in ("DE", "at", "IT", "NL", "NO", "GB", "US")] == [
        "de", "de", "it", "nl", "nb", "en", "en",
    ]  # fmt: skip
    assert language_for_country("FR") is None
    assert language_for_country(None) is None


@pytest.mark.parametrize(
    ("text", "code"), [("de-DE", "de"), ("de_AT", "de"), ("DE", "de"), ("no", "nb"), ("nn", "nb")]
)
def test_normalize_language(text: str, code: str) -> None:
    assert normalize_language(text) == code


def test_normalize_language_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="language"):
        normalize_language("d3")


def test_email_key_is_trimmed_and_case_insensitive() -> None:
    assert email_key("  Anna@Example.COM ") == "anna@example.com"
    assert email_key("") is None
    assert email_key("   ") is None
    assert email_key(None) is None
