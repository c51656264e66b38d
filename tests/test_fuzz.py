"""Fuzzing the three parsers of untrusted text: only their documented errors may come out.

- the CSV importers: `FatalImportError` for a file they refuse, rejected rows in the result;
- the filter parser (and the compiler behind the live check): `FilterError` with a column;
- the template renderer: `TemplateError` (file, line) or `ComposeError`.

Anything else (an IndexError, a UnicodeError, sqlite3's errors...) is a bug. The suite runs a
few examples per target; a longer run by hand:

    RETAIN_FUZZ_EXAMPLES=5000 .venv/bin/pytest -n 0 -p no:randomly tests/test_fuzz.py

Random bytes and text find the decoder's and tokenizer's corners; the near-valid inputs
(a real header with mangled cells, filter and template fragments put together) get past
the first check and reach the code behind it. Not fuzzed here: how long a template may run
(`{{ 'a' * 10**9 }}` is a runaway template, a fault of its own).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.compose import ComposeError, TemplateError
from core.csvfile import FatalImportError
from core.filterlang import FilterError, parse
from core.importers import import_file
from core.segments import validate_expression
from core.store import MEMORY, Store, open_store
from tests.compose_support import FOOTER_EN, TODAY, build_shop
from tests.conftest import data_path

EXAMPLES = int(os.environ.get("RETAIN_FUZZ_EXAMPLES", "30"))
fuzz = settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    deadline=None,
)

# -- CSV importers ---------------------------------------------------------------------------

SHOP_TABLES = ("customers", "orders", "order_lines", "consent_events", "customer_stats")
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "0", "-1", "1e309", "12,50", "1.234,56", "NaN", "∞", "2026-02-30", "31/12/2025",
         "12/31/2025", "yes", "no", "=HYPERLINK(\"x\")", '"', '""', "\r", "\x00", "€", "#1001",
         "anna@example.com", "ANNA@EXAMPLE.COM ", "9" * 40, "paid", "refunded", "cancelled"]
    ),
)  # fmt: skip


@contextmanager
def shop() -> Iterator[tuple[Store, Path]]:
    """A fresh in-memory shop and a private folder for the file under test."""
    with tempfile.TemporaryDirectory() as folder, open_store(MEMORY) as store:
        yield store, Path(folder)


def counts(store: Store) -> tuple[int, ...]:
    return tuple(int(store.scalar(f"SELECT count(*) FROM {table}") or 0) for table in SHOP_TABLES)


def import_fuzzed(content: bytes, kind: str) -> None:
    """Import `content` into an empty shop: a refusal changes nothing, anything else is a bug."""
    with shop() as (store, folder):
        path = folder / "fuzz.csv"
        path.write_bytes(content)
        try:
            result = import_file(store, path, kind)
        except FatalImportError as exc:
            assert str(exc), "a refusal says why"
            assert counts(store) == (0,) * len(SHOP_TABLES), "a refused file changed the shop"
            return
        assert result.rows_rejected == len(result.errors) or len(result.errors) == 100
        assert all(isinstance(error, str) and error for error in result.errors)


@fuzz
@given(content=st.binary(max_size=2000), kind=st.sampled_from(["orders", "customers"]))
def test_importers_survive_random_bytes(content: bytes, kind: str) -> None:
    import_fuzzed(content, kind)


def _header(name: str) -> list[str]:
    return data_path(name).read_text(encoding="utf-8").splitlines()[0].split(",")


@fuzz
@given(
    data=st.data(),
    template=st.sampled_from(
        [("shopify_orders.csv", "orders"), ("woocommerce_orders.csv", "orders"),
         ("generic_orders.csv", "orders"), ("shopify_customers.csv", "customers"),
         ("generic_customers.csv", "customers")]
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)  # fmt: skip
def test_importers_survive_near_valid_files(
    data: st.DataObject, template: tuple[str, str], delimiter: str, encoding: str
) -> None:
    name, kind = template
    header = _header(name)
    width = st.integers(min_value=max(1, len(header) - 2), max_value=len(header) + 2)
    rows = data.draw(st.lists(width.flatmap(lambda n: st.lists(CELLS, min_size=n, max_size=n)),
                              max_size=6))  # fmt: skip
    text = "\n".join(delimiter.join(row) for row in [header, *rows])
    import_fuzzed(text.encode(encoding, errors="replace"), kind)


# -- the filter language ---------------------------------------------------------------------

FILTER_WORDS = st.sampled_from(
    ["orders", "spent", "country", "tags", "segment", "rfm_segment", "last_order", "email",
     "accepts_marketing", "days_since_last_order", "and", "or", "not", "in", "has", "contains",
     "starts", "with", "between", "is", "true", "false", "null", ">=", "<=", "!=", "=", "<",
     ">", "(", ")", ",", '"DE"', '"', "'", "2024-01-01", "2024-13-45", "10.5", "-3", "1e999",
     "9" * 30, "€", "\\", "\x00", "vip", '"At Risk"', "today", "days", "ago", "[", "]"]
)  # fmt: skip
FILTERS = st.one_of(
    st.text(max_size=60),
    st.lists(FILTER_WORDS, max_size=14).map(" ".join),
    st.lists(FILTER_WORDS, max_size=14).map("".join),
)


def check_filter_error(error: FilterError, text: str) -> None:
    assert str(error), "a filter error says what is wrong"
    assert 0 <= error.position <= len(text), (error.position, len(text))


@fuzz
@given(text=FILTERS)
def test_the_filter_parser_raises_only_filter_errors_with_a_column(text: str) -> None:
    try:
        parse(text)
    except FilterError as error:
        check_filter_error(error, text)


@pytest.fixture(scope="module")
def filter_shop() -> Iterator[Store]:
    with shop() as (store, _folder):
        import_file(store, data_path("segments_orders.csv"), "orders")
        yield store


@fuzz
@given(text=FILTERS)
def test_the_live_check_returns_a_filter_error_or_none(filter_shop: Store, text: str) -> None:
    error = validate_expression(filter_shop, text)
    if error is not None:
        check_filter_error(error, text)


# -- the template renderer -------------------------------------------------------------------

TEMPLATE_PIECES = st.sampled_from(
    ["{{", "}}", "{%", "%}", "{#", "#}", " customer.first_name ", " customer ", " shop.name ",
     " last_order.total ", "|money", "|date", "|date('short')", "|greeting", "|first_name_or('x')",
     "|percent", "|number", "|upper", "|attr('__class__')", " if ", " else ", " endif ",
     " for o in orders ", " endfor ", " include 'x' ", " range(10**9) ", ".__class__", "()",
     "[0]", "'", '"', "\n", "\r\n", "\x00", "{{ unsubscribe_url }}", "{{ discount.code }}",
     "Hallo ", "ü", "{% raw %}", "{% endraw %}", "{{ 1/0 }}", "{{ 10**10**10 }}"]
)  # fmt: skip
TEMPLATES = st.one_of(st.text(max_size=80), st.lists(TEMPLATE_PIECES, max_size=12).map("".join))


@pytest.fixture(scope="module")
def composer() -> Iterator[object]:
    from core.compose import Composer

    store = build_shop()
    try:
        yield Composer(store, None, today=TODAY)
    finally:
        store.close()


@fuzz
@given(text=TEMPLATES, part=st.sampled_from(["subject", "text"]))
def test_the_renderer_raises_only_template_or_compose_errors(
    composer: object, text: str, part: str
) -> None:
    from core.compose import Composer

    assert isinstance(composer, Composer)
    source = text + FOOTER_EN if part == "text" else text  # past the static footer check
    try:
        composer.render(1, "thank-you", lang="en", sources={part: source})
    except TemplateError as error:
        assert str(error)
    except ComposeError as error:
        assert str(error)
