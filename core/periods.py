"""Calendar periods (month, quarter, year) as inclusive ranges of days, and month indexes.

Pure date arithmetic shared by the metrics, the CLI and the dashboard: no database here.
"""

from __future__ import annotations

from datetime import date, timedelta

PERIOD_KINDS = ("month", "quarter", "year")
_MONTHS_PER_PERIOD = {"month": 1, "quarter": 3, "year": 12}


def _check_kind(kind: str) -> int:
    try:
        return _MONTHS_PER_PERIOD[kind]
    except KeyError:
        raise ValueError(
            f"unknown period {kind!r}; choose one of {', '.join(PERIOD_KINDS)}"
        ) from None


def month_index(day: date) -> int:
    """Months since January of year 0: consecutive months are consecutive integers."""
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_key(index: int) -> str:
    """'2025-03': how cohorts are named in JSON."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_bounds(kind: str, day: date) -> tuple[date, date]:
    """The whole calendar month, quarter or year holding `day`."""
    size = _check_kind(kind)
    first = month_index(day) // size * size
    return month_start(first), month_start(first + size) - timedelta(days=1)


def calendar_periods(
    kind: str,
    first: date,
    last: date,
    clip_start: date | None = None,
    clip_end: date | None = None,
) -> list[tuple[date, date]]:
    """The periods from the one holding `first` to the one holding `last`, clipped.

    Clipping only trims the first and last range to `clip_start`/`clip_end`; a period
    entirely outside the clip is dropped.
    """
    size = _check_kind(kind)
    periods: list[tuple[date, date]] = []
    index = month_index(period_bounds(kind, first)[0])
    stop = month_index(last)
    while index <= stop:
        start, end = month_start(index), month_start(index + size) - timedelta(days=1)
        if clip_start is not None:
            start = max(start, clip_start)
        if clip_end is not None:
            end = min(end, clip_end)
        if start <= end:
            periods.append((start, end))
        index += size
    return periods


def last_complete_period(kind: str, today: date) -> tuple[date, date]:
    """The latest whole calendar period that ended before `today` (e.g. last quarter)."""
    start, _ = period_bounds(kind, today)
    return period_bounds(kind, start - timedelta(days=1))


def period_label(kind: str, start: date) -> str:
    """'2025-07', '2025-Q3' or '2025' for the period starting at (or clipped to) `start`."""
    _check_kind(kind)
    if kind == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if kind == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def clipped_period_label(kind: str, start: date, end: date) -> str:
    """The label of a period row: '2026-Q4' when whole, '2026-Q4 so far' when it is cut at
    its end (the data ends on the as-of date, or `--to`), '2026-Q4 from 11-15' when cut only
    at its start (`--from`)."""
    label = period_label(kind, start)
    first, last = period_bounds(kind, start)
    if end < last:
        return f"{label} so far"
    if start > first:
        return f"{label} from {start.month:02d}-{start.day:02d}"
    return label
