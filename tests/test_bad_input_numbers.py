"""Numbers out of range outside import files: filter literals, saved segments, command
options and discount amounts. Each is a clear error naming the value, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from core.compose import DiscountError, parse_discount
from core.customer_list import MAX_ROWS
from core.filterlang import MAX_NUMBER, FilterError
from core.metrics import MAX_WINDOW_DAYS, compute_stats
from core.segment_fields import FIELDS
from core.segments import (
    SegmentError,
    add_segment,
    count_matching,
    customer_rows,
    list_segments,
)
from core.store import Store
from tests.segment_shop import fixture_store
from tui.cli import build_app

app = build_app()
HUGE = "99999999999999999999"
NUMERIC_FIELDS = sorted(name for name, f in FIELDS.items()
                        if f.kind in ("count", "money", "days", "score"))  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = fixture_store(tmp_path_factory.mktemp("shop"))
    yield store
    store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    fixture_store(tmp_path).close()
    return tmp_path / "shop.db"


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--db", str(db)], env={"COLUMNS": "200"})


def refused(result: Result, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    )
    for part in parts:
        assert part in " ".join(result.output.split()), result.output


def test_a_huge_filter_number_is_a_parse_error_with_its_position(store: Store) -> None:
    with pytest.raises(FilterError) as caught:
        count_matching(store, f"orders > {HUGE}")
    assert caught.value.position == len("orders > ")
    assert str(caught.value) == (
        f"number out of range: {HUGE} at column 10; at most {MAX_NUMBER:,}"
    )


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(NUMERIC_FIELDS), number=st.integers(), op=st.sampled_from("<>="))
def test_any_integer_in_a_filter_is_a_count_or_a_positioned_error(
    store: Store, field: str, number: int, op: str
) -> None:
    expression = f"{field} {op} {number}"
    try:
        assert 0 <= count_matching(store, expression) <= 7
    except FilterError as exc:
        assert 0 <= exc.position < len(expression)
        assert abs(number) > MAX_NUMBER or "score" in str(exc) or field in "rfm", str(exc)


@pytest.mark.parametrize("number", [str(MAX_NUMBER), f"-{MAX_NUMBER}", f"{MAX_NUMBER - 1}.99"])
def test_the_largest_filter_numbers_still_run(store: Store, number: str) -> None:
    assert count_matching(store, f"spent < {number}") == (0 if number.startswith("-") else 7)
    assert count_matching(store, f"days_since_last_order < {MAX_NUMBER}") == 5  # with orders


def test_a_segment_with_a_huge_number_is_refused_at_save(db: Path) -> None:
    refused(invoke(db, "segment", "add", "Big", f"spent > {HUGE}"), "number out of range")
    assert "Big" not in invoke(db, "segments").output


def test_an_old_saved_segment_with_a_huge_number_breaks_only_itself(tmp_path: Path) -> None:
    """Saved before numbers were checked: reported for that segment, the rest still works."""
    with fixture_store(tmp_path) as store:
        add_segment(store, "Fans", "orders > 1")
        with store.write() as conn:
            conn.execute(
                "INSERT INTO custom_segments VALUES ('Big', ?, 'x', 'x')", (f"spent > {HUGE}",)
            )
        infos = {info.name: info for info in list_segments(store)}
        assert "number out of range" in (infos["Big"].error or "")
        assert infos["Fans"].error is None and infos["Fans"].count == 2
        assert len(customer_rows(store)) == 7
    listed = invoke(tmp_path / "shop.db", "segments", "--json")
    assert listed.exit_code == 0, listed.output
    assert {item["name"] for item in json.loads(listed.stdout)} >= {"Big", "Fans"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("customers", "--limit", HUGE), f"--limit': {HUGE} is not in the range 0<=x<={MAX_ROWS}"),
        (("customers", "--offset", HUGE), f"--offset': {HUGE} is not in the range"),
        (("stats", "--window", HUGE), f"--window': {HUGE} is not in the range 1<=x<=36525"),
        (("stats", "--as-of", "9999-12-31"), "--as-of: 9999-12-31 is after today"),
        (("customers", "--where", f"orders > {HUGE}"), "number out of range"),
    ],
)
def test_options_out_of_range_are_refused(db: Path, args: tuple[str, ...], message: str) -> None:
    refused(invoke(db, *args), message)


def test_the_largest_options_still_work(db: Path) -> None:
    for args in (("customers", "--limit", str(MAX_ROWS), "--offset", str(MAX_ROWS)),
                 ("stats", "--window", str(MAX_WINDOW_DAYS))):  # fmt: skip
        result = invoke(db, *args)
        assert result.exit_code == 0, result.output


def test_core_refuses_the_same_bounds(store: Store) -> None:
    with pytest.raises(SegmentError, match=f"limit must be from 0 to {MAX_ROWS:,}"):
        customer_rows(store, limit=MAX_ROWS + 1)
    with pytest.raises(ValueError, match="window must be a whole number of days from 1"):
        compute_stats(store, window_days=MAX_WINDOW_DAYS + 1)


def test_an_amount_discount_of_ten_to_the_twenty_is_a_clear_error() -> None:
    with pytest.raises(DiscountError) as caught:
        parse_discount("100000000000000000000EUR", currency="EUR")
    assert str(caught.value) == (
        "--discount '100000000000000000000EUR': amount out of range: "
        "'100000000000000000000' (at most 10000000000.00)"
    )
    assert parse_discount("10000000000EUR", currency="EUR").amount_cents == 10**12


def test_a_customer_id_of_twenty_digits_is_refused(db: Path) -> None:
    result = invoke(db, "export", "-t", "winback", "-c", HUGE, "-o", "x.mbox", "--dry-run")
    refused(result, "no customer has so long an id")
