"""Calendar periods: bounds, clipping, labels and the last complete period."""

from __future__ import annotations

from datetime import date

import pytest

from core.periods import (
    calendar_periods,
    last_complete_period,
    month_index,
    month_key,
    month_start,
    period_bounds,
    period_label,
)


@pytest.mark.parametrize(
    ("kind", "day", "bounds"),
    [
        ("month", date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
        ("month", date(2023, 12, 31), (date(2023, 12, 1), date(2023, 12, 31))),
        ("quarter", date(2024, 5, 20), (date(2024, 4, 1), date(2024, 6, 30))),
        ("quarter", date(2024, 12, 31), (date(2024, 10, 1), date(2024, 12, 31))),
        ("year", date(2024, 7, 1), (date(2024, 1, 1), date(2024, 12, 31))),
    ],
)
def test_period_bounds(kind: str, day: date, bounds: tuple[date, date]) -> None:
    assert period_bounds(kind, day) == bounds


def test_calendar_periods_are_clipped_by_the_range() -> None:
    periods = calendar_periods(
        "quarter", date(2024, 2, 3), date(2024, 11, 5), date(2024, 2, 1), date(2024, 8, 15)
    )
    assert periods == [
        (date(2024, 2, 1), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 6, 30)),
        (date(2024, 7, 1), date(2024, 8, 15)),
    ]


def test_calendar_periods_cover_first_to_last_without_range() -> None:
    months = calendar_periods("month", date(2023, 12, 30), date(2024, 2, 1))
    assert [start for start, _ in months] == [date(2023, 12, 1), date(2024, 1, 1),
                                              date(2024, 2, 1)]  # fmt: skip
    assert months[-1][1] == date(2024, 2, 29)


def test_labels_and_month_keys() -> None:
    assert period_label("quarter", date(2025, 7, 1)) == "2025-Q3"
    assert period_label("month", date(2025, 7, 9)) == "2025-07"
    assert period_label("year", date(2025, 1, 1)) == "2025"
    index = month_index(date(2025, 3, 9))
    assert month_key(index) == "2025-03"
    assert month_start(index + 10) == date(2026, 1, 1)


def test_last_complete_period() -> None:
    assert last_complete_period("quarter", date(2026, 11, 22)) == (date(2026, 7, 1),
                                                                   date(2026, 9, 30))  # fmt: skip
    assert last_complete_period("month", date(2026, 1, 1)) == (date(2025, 12, 1),
                                                               date(2025, 12, 31))  # fmt: skip


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown period 'week'"):
        period_bounds("week", date(2024, 1, 1))
