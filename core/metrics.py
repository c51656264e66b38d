"""Retention figures: are customers coming back? Definitions and worked examples: docs/metrics.md.

Everything is computed by SQLite from the summaries an import keeps (core/summaries.py), never
by looping over orders in Python, so the figures stay instant for a million orders:

- "customers with an order in days [a, b]" is a count of `customer_days` rows with day in
  [a, b] whose `prev_day` (the customer's previous order day) is before a: exactly one row
  per such customer, read from one covering index;
- B and E (customers active at a day, i.e. with an order in the W days up to it) come from
  a sweep: a customer becomes active on their first order and on any order more than W days
  after the previous one, and lapses W days after an order not followed within W days;
- cohorts, and the revenue of each period's new customers, come from `cohort_months`.

Only counting orders of known customers enter: cancelled (and fully refunded) orders and
guest orders without a customer are not part of any figure; guests' orders and revenue are
reported on their own (`orders_guests`, `revenue_guests`). Money is summed in integer cents
and rounded once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, timedelta

from core.as_of import resolve_as_of
from core.periods import (
    PERIOD_KINDS,
    calendar_periods,
    last_complete_period,
    month_index,
    month_key,
    month_start,
    period_bounds,
    period_label,
)
from core.shop_totals import guest_totals
from core.store import Store
from core.values import day_to_date

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "FIGURES",
    "PERIOD_KINDS",
    "compute_stats",
    "data_span",
    "last_complete_period",
    "members",
    "percent_of",
    "period_bounds",
    "period_figures",
    "period_label",
    "rounded_exactly",
]

DEFAULT_WINDOW_DAYS = 365
MAX_WINDOW_DAYS = 36_525
"""The longest active window: a century, longer than any shop's history."""
FIGURES = ("B", "E", "N", "churned", "retained", "returning", "active")

# Customers with an order in days [?1, ?2]: each one's first row in the range.
_CUSTOMERS_IN = (
    "SELECT customer_id FROM customer_days "
    "WHERE day BETWEEN ?1 AND ?2 AND (prev_day IS NULL OR prev_day < ?1)"
)


def compute_stats(
    store: Store,
    period: str = "quarter",
    window_days: int = DEFAULT_WINDOW_DAYS,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
) -> dict[str, object]:
    """Every figure of `retain-tui stats --json`, as a JSON-ready dict (floats and None).

    The figures describe the shop as of `as_of` (default: the store's as-of date, the day of
    its latest order, see `core.as_of`): orders after it are ignored, and the last period ends
    on it, with E counted on that day and `"complete": false` when the calendar period goes on
    after it. `start`/`end` (inclusive) restrict the shop-wide figures to orders in that range
    and clip the periods; B and E still look back at the orders before `start`, as their
    definition says. Percentages are 0-100 rounded to 4 decimals, money to 2 (half to even,
    exactly).
    """
    if period not in PERIOD_KINDS:
        raise ValueError(f"unknown period {period!r}; choose one of {', '.join(PERIOD_KINDS)}")
    _check_window_and_range(window_days, start, end)
    as_of = resolve_as_of(store, as_of)
    stop = min(end, as_of) if end is not None else as_of
    lo = start.toordinal() if start else None
    hi = stop.toordinal()
    guests = guest_totals(store, lo, hi)
    guest_figures = {"orders_guests": guests.orders,
                     "revenue_guests": rounded_exactly(guests.revenue, 100, 2)}  # fmt: skip
    span = _span(store, lo, hi) if lo is None or lo <= hi else None
    if span is None:
        return {**_empty_stats(period, window_days, as_of), **guest_figures}
    first, last = span
    history = _History(store, window_days)
    totals = _totals(store, first, last, history if _covers_history(store, lo, hi) else None)
    periods = calendar_periods(period, day_to_date(first), stop, start, stop)
    rows = _period_rows(store, [(s.toordinal(), e.toordinal()) for s, e in periods], history)
    for (s, e), row in zip(periods, rows, strict=True):
        row["complete"] = period_bounds(period, s) == (s, e)
    first_month = month_index(day_to_date(first))
    cohorts, sizes = _cohorts(store, first_month, hi)
    return {
        **totals,
        **guest_figures,
        "period": period,
        "window_days": window_days,
        "as_of": as_of.isoformat(),
        "periods": rows,
        "cohorts": cohorts,
        "cohort_sizes": sizes,
        "first_order": day_to_date(first).isoformat(),
        "last_order": day_to_date(last).isoformat(),
    }


def period_figures(
    store: Store, start: date, end: date, window_days: int = DEFAULT_WINDOW_DAYS
) -> dict[str, object]:
    """The figures of one period [start, end] (any range of days), as in `periods[...]`.

    For the dashboard's "last quarter" and the like: B, E, N, crr, churn,
    returning_customer_rate, orders, revenue, customers, returning_customers, retained,
    churned.
    """
    _check_window_and_range(window_days, start, end)
    history = _History(store, window_days)
    return _period_row(store, start.toordinal(), end.toordinal(), history)


def members(
    store: Store, figure: str, start: date, end: date, window_days: int = DEFAULT_WINDOW_DAYS
) -> list[int]:
    """The ids (ascending) of the customers behind a figure of the period [start, end].

    figure: "B" (an order in the W days before start), "E" (an order in the W days up to
    end), "N" (first order ever in the period), "churned" (B but not E), "retained" (B and
    E), "returning" (ordered in the period, first order before it), "active" (ordered in
    the period). Written as plain set queries, independent of the counting in
    `period_figures`, so each can check the other.
    """
    _check_window_and_range(window_days, start, end)
    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}; choose one of {', '.join(FIGURES)}")
    s, e, w = start.toordinal(), end.toordinal(), window_days
    at_start, at_end = (s - w, s - 1), (e - w + 1, e)
    if figure == "N":
        sql = "SELECT customer_id FROM customer_stats WHERE first_day BETWEEN ?1 AND ?2"
        params: tuple[int, ...] = (s, e)
    elif figure == "returning":
        sql = "SELECT customer_id FROM customer_days WHERE day BETWEEN ?1 AND ?2 AND prev_day < ?1"
        params = (s, e)
    elif figure in ("churned", "retained"):
        operator = "EXCEPT" if figure == "churned" else "INTERSECT"
        sql = f"{_CUSTOMERS_IN} {operator} " + _CUSTOMERS_IN.replace("?1", "?3").replace("?2", "?4")
        params = (*at_start, *at_end)
    else:
        sql, params = _CUSTOMERS_IN, {"B": at_start, "E": at_end, "active": (s, e)}[figure]
    return [row[0] for row in store.execute(f"{sql} ORDER BY 1", params)]


def data_span(store: Store) -> tuple[date, date] | None:
    """Dates of the first and last counting customer order, or None for an empty shop."""
    span = _span(store, None, None)
    return None if span is None else (day_to_date(span[0]), day_to_date(span[1]))


def _check_window_and_range(window_days: int, start: date | None, end: date | None) -> None:
    if (
        isinstance(window_days, bool)
        or not isinstance(window_days, int)
        or not 1 <= window_days <= MAX_WINDOW_DAYS
    ):
        raise ValueError(
            f"the window must be a whole number of days from 1 to {MAX_WINDOW_DAYS:,}, "
            f"not {window_days!r}"
        )
    if start is not None and end is not None and start > end:
        raise ValueError(f"the range starts ({start}) after it ends ({end})")


def _span(store: Store, lo: int | None, hi: int | None) -> tuple[int, int] | None:
    """First and last day with a counting customer order within [lo, hi] (either open)."""
    conditions = [c for c, bound in (("day >= ?", lo), ("day <= ?", hi)) if bound is not None]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    bounds = [bound for bound in (lo, hi) if bound is not None]
    first = store.scalar(f"SELECT day FROM customer_days {where} ORDER BY day LIMIT 1", bounds)
    if first is None:
        return None
    last = store.scalar(f"SELECT day FROM customer_days {where} ORDER BY day DESC LIMIT 1", bounds)
    return int(first), int(last)  # type: ignore[arg-type]


def _covers_history(store: Store, lo: int | None, hi: int | None) -> bool:
    """True when [lo, hi] holds every counting order, so per-customer totals apply as they are."""
    whole = _span(store, None, None)
    return whole is not None and (lo is None or lo <= whole[0]) and (hi is None or hi >= whole[1])


def _totals(store: Store, first: int, last: int, history: _History | None) -> dict[str, object]:
    """Shop-wide figures over the orders dated in [first, last].

    With `history` (the range holds every order) they come from the per-customer summaries;
    otherwise from the customer days of the range, each customer's first one being the row
    whose prev_day is before the range.
    """
    if history is not None:
        customers = history.firsts.total
        # Each customer's gaps between consecutive orders add up to last day - first day.
        spread = history.lasts.weighted - history.firsts.weighted
        single = store.scalar("SELECT count(*) FROM customer_stats WHERE orders = 1")
        repeaters = customers - int(single)  # type: ignore[arg-type]
    else:
        in_range = "FROM customer_days WHERE day BETWEEN ?1 AND ?2"
        customers, spread = store.execute(
            f"SELECT count(*) FILTER (WHERE prev_day IS NULL OR prev_day < ?1), "
            f"coalesce(sum(day - prev_day) FILTER (WHERE prev_day >= ?1), 0) {in_range}",
            (first, last),
        ).fetchone()
        # Two orders in the range: on two days (a row whose prev_day is in it) or on one.
        repeaters = store.scalar(
            f"SELECT count(DISTINCT customer_id) {in_range} AND (prev_day >= ?1 OR orders >= 2)",
            (first, last),
        )
    orders, revenue = store.execute(
        "SELECT coalesce(sum(orders), 0), coalesce(sum(revenue), 0) FROM day_totals "
        "WHERE day BETWEEN ? AND ?",
        (first, last),
    ).fetchone()
    gaps = orders - customers  # pairs of consecutive orders of the same customer
    # Only called with at least one order, so no denominator below is 0.
    return {
        "customers": customers,
        "orders": orders,
        "revenue": rounded_exactly(revenue, 100, 2),
        "repeat_purchase_rate": rounded_exactly(100 * repeaters, customers, 4),
        "purchase_frequency": rounded_exactly(orders, customers, 4),
        "average_order_value": rounded_exactly(revenue, 100 * orders, 2),
        "revenue_per_customer": rounded_exactly(revenue, 100 * customers, 2),
        "avg_days_between_orders": rounded_exactly(spread, gaps, 4) if gaps else None,
    }


def _empty_stats(period: str, window_days: int, as_of: date) -> dict[str, object]:
    return {
        "customers": 0, "orders": 0, "revenue": 0.0, "repeat_purchase_rate": 0.0,
        "purchase_frequency": 0.0, "average_order_value": 0.0, "revenue_per_customer": 0.0,
        "avg_days_between_orders": None, "period": period, "window_days": window_days,
        "as_of": as_of.isoformat(), "periods": [], "cohorts": {}, "cohort_sizes": {},
        "first_order": None, "last_order": None,
    }  # fmt: skip


class _Cumulative:
    """Counts per day, from (day, count) rows, summed up to any day by bisection."""

    def __init__(self, rows: Iterable[tuple[int, int]]) -> None:
        merged: dict[int, int] = {}
        for day, count in rows:
            merged[day] = merged.get(day, 0) + count
        self.days = sorted(merged)
        self.running: list[int] = []
        total = weighted = 0
        for day in self.days:
            total += merged[day]
            weighted += day * merged[day]
            self.running.append(total)
        self.total, self.weighted = total, weighted

    def upto(self, day: int) -> int:
        index = bisect_right(self.days, day)
        return self.running[index - 1] if index else 0

    def between(self, first: int, last: int) -> int:
        return self.upto(last) - self.upto(first - 1)


class _History:
    """When customers started, stopped, and lapsed for more than W days: a few small reads.

    A customer is *active* at day t when they have an order in [t - W + 1, t]. Over time they
    become active at their first order and at any order more than W days after the one
    before (a *return*), and lapse W days after the order before such a gap, or after their
    last order. Counting these events up to t gives the number active at any day t.
    """

    def __init__(self, store: Store, window_days: int) -> None:
        self.window = window_days
        first_days = store.execute(
            "SELECT first_day, count(*) FROM customer_stats GROUP BY first_day"
        ).fetchall()
        last_days = store.execute(
            "SELECT last_day, count(*) FROM customer_stats GROUP BY last_day"
        ).fetchall()
        # (day, prev_day) of every return, in order of day.
        self.returns: list[tuple[int, int]] = sorted(
            store.execute(
                "SELECT day, prev_day FROM customer_days WHERE day - prev_day > ?",
                (window_days,),
            )
        )
        self.return_days = [day for day, _ in self.returns]
        self.firsts = _Cumulative(first_days)
        self.lasts = _Cumulative(last_days)
        self.starts = _Cumulative([*first_days, *((day, 1) for day in self.return_days)])
        self.lapses = _Cumulative([*last_days, *((prev, 1) for _, prev in self.returns)])

    def active_at(self, day: int) -> int:
        """Customers with an order in [day - W + 1, day]."""
        return self.starts.upto(day) - self.lapses.upto(day - self.window)

    def returns_after_lapse(self, s: int, e: int) -> int:
        """Customers whose first order in [s, e] comes after more than W days without one."""
        low = bisect_right(self.return_days, s - 1)
        high = bisect_right(self.return_days, e)
        return sum(1 for _, prev in self.returns[low:high] if prev < s - self.window)


def _period_rows(
    store: Store, periods: list[tuple[int, int]], history: _History
) -> list[dict[str, object]]:
    return [_period_row(store, s, e, history) for s, e in periods]


def _period_row(store: Store, s: int, e: int, history: _History) -> dict[str, object]:
    w = history.window
    returning = int(
        store.scalar(  # type: ignore[arg-type]
            "SELECT count(*) FROM customer_days WHERE day BETWEEN ? AND ? AND prev_day < ?",
            (s, e, s),
        )
    )
    orders, revenue = store.execute(
        "SELECT coalesce(sum(orders), 0), coalesce(sum(revenue), 0) FROM day_totals "
        "WHERE day BETWEEN ? AND ?",
        (s, e),
    ).fetchone()
    revenue_returning = revenue - _new_customers_revenue(store, s, e, history)
    new = history.firsts.between(s, e)
    b, e_count = history.active_at(s - 1), history.active_at(e)
    if e - s + 1 <= w:
        # The end window covers the whole period: the customers of E not in B are exactly
        # those whose first order in the period is their first ever or a return after a
        # lapse that began before the period.
        retained = e_count - new - history.returns_after_lapse(s, e)
    else:
        retained = _retained_over_long_period(store, s, e, w)
    ordering = new + returning
    return {
        "start": day_to_date(s).isoformat(),
        "end": day_to_date(e).isoformat(),
        "B": b,
        "E": e_count,
        "N": new,
        "crr": percent_of(e_count - new, b),
        "churn": percent_of(b - retained, b),
        "returning_customer_rate": percent_of(returning, ordering),
        "orders": orders,
        "revenue": rounded_exactly(revenue, 100, 2),
        "revenue_returning": rounded_exactly(revenue_returning, 100, 2),
        "revenue_returning_share": percent_of(revenue_returning, revenue),
        "customers": ordering,
        "returning_customers": returning,
        "retained": retained,
        "churned": b - retained,
    }


def _new_customers_revenue(store: Store, s: int, e: int, history: _History) -> int:
    """Net cents of the orders in [s, e] of customers whose first order is in [s, e].

    The period's revenue less this is `revenue_returning`. When [s, e] is whole months (the
    last one may end after the latest order) it is a sum of `cohort_months`: the cohorts of
    those months in those months. Otherwise (a period clipped by --from, --to or an earlier
    as-of date) it is read from each of those customers' days (at a million orders, 0.3 s
    for every quarter: twice what all the other figures of `stats` take).
    """
    first, last = day_to_date(s), day_to_date(e)
    data_ends = history.lasts.days[-1] if history.lasts.days else e
    ends_month = (last + timedelta(days=1)).day == 1 or e >= data_ends
    if first.day == 1 and ends_month:
        months = (month_index(first), month_index(last))
        sql = ("SELECT coalesce(sum(revenue), 0) FROM cohort_months "
               "WHERE cohort BETWEEN ?1 AND ?2 AND month BETWEEN ?1 AND ?2")  # fmt: skip
        return int(store.scalar(sql, months))  # type: ignore[arg-type]
    return int(
        store.scalar(  # type: ignore[arg-type]
            "SELECT coalesce(sum(d.revenue), 0) FROM customer_stats AS s "
            "CROSS JOIN customer_days AS d ON d.customer_id = s.customer_id "
            "AND d.day BETWEEN ?1 AND ?2 WHERE s.first_day BETWEEN ?1 AND ?2",
            (s, e),
        )
    )


def _retained_over_long_period(store: Store, s: int, e: int, w: int) -> int:
    """|B ∩ E| when the period is longer than W, so the start and end windows do not meet.

    A customer of B is in E when their first order in [s, e] (whose prev_day, in the start
    window, puts them in B) is in the end window, or is before it and followed by one in it.
    """
    return int(
        store.scalar(  # type: ignore[arg-type]
            """
            SELECT count(*) FROM customer_days AS first_in_period
            WHERE first_in_period.day BETWEEN :s AND :e
              AND first_in_period.prev_day BETWEEN :s - :w AND :s - 1
              AND (first_in_period.day > :e - :w
                   OR EXISTS (SELECT 1 FROM customer_days AS later
                              WHERE later.customer_id = first_in_period.customer_id
                                AND later.day BETWEEN :e - :w + 1 AND :e))
            """,
            {"s": s, "e": e, "w": w},
        )
    )


def _cohorts(
    store: Store, first_month: int, last_day: int
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """cohorts[YYYY-MM][k]: % of that cohort ordering in month cohort + k, up to `last_day`.

    `cohort_months` counts whole months: the month of `last_day` is counted again from the
    customer days when it goes on after that day, so no order after it enters.
    """
    stop = day_to_date(last_day)
    last_month = month_index(stop)
    whole = period_bounds("month", stop)[1] == stop
    counts: dict[int, dict[int, int]] = {}
    for cohort, month, customers in store.execute(
        "SELECT cohort, month, customers FROM cohort_months "
        "WHERE cohort BETWEEN ? AND ? AND month <= ? ORDER BY cohort, month",
        (first_month, last_month, last_month if whole else last_month - 1),
    ):
        counts.setdefault(cohort, {})[month] = customers
    if not whole:
        for cohort, customers in _month_so_far(store, last_month, last_day).items():
            if cohort >= first_month:
                counts.setdefault(cohort, {})[last_month] = customers
    cohorts: dict[str, list[float]] = {}
    sizes: dict[str, int] = {}
    for cohort, by_month in sorted(counts.items()):
        size = by_month.get(cohort, 0)
        if not size:
            continue
        key = month_key(cohort)
        sizes[key] = size
        cohorts[key] = [
            rounded_exactly(100 * by_month.get(month, 0), size, 4)
            for month in range(cohort, last_month + 1)
        ]
    return cohorts, sizes


def _month_so_far(store: Store, month: int, last_day: int) -> dict[int, int]:
    """Cohort (month index of the first order) -> customers ordering from the first day of
    `month` to `last_day`."""
    by_cohort: dict[int, int] = {}
    for (first_day,) in store.execute(
        "SELECT first_day FROM customer_stats WHERE customer_id IN "
        "(SELECT customer_id FROM customer_days WHERE day BETWEEN ? AND ?)",
        (month_start(month).toordinal(), last_day),
    ):
        cohort = month_index(day_to_date(first_day))
        by_cohort[cohort] = by_cohort.get(cohort, 0) + 1
    return by_cohort


def percent_of(part: int, whole: int) -> float | None:
    """part / whole as a percentage rounded to 4 decimals; None when whole is 0 (the rounding
    of every percentage in --json: metrics here, campaign results in core/campaigns)."""
    return rounded_exactly(100 * part, whole, 4) if whole else None


def rounded_exactly(numerator: int, denominator: int, decimals: int) -> float:
    """numerator / denominator (> 0) rounded half to even at `decimals`, exactly."""
    scale = 10**decimals
    quotient, remainder = divmod(numerator * scale, denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient / scale
