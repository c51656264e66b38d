"""Small shops whose figures can be checked on paper (the worked example of docs/metrics.md).

tests/data/metrics_small.csv, counting orders only (order 6, Dora's 20 Feb, is cancelled;
Carla's 29 Feb 23:30 at UTC-2 is already 1 March in UTC but counts on its local date):

    Anna   5 Jan 100.00, 5 Jan 50.00, 10 Feb 40.00 - 10.00 refunded = 30.00
    Ben   20 Jan  80.00, 25 Mar 20.00
    Carla 29 Feb  60.00
    Dora  30 Mar  90.00
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.importers import import_file
from core.metrics import (
    compute_stats,
    data_span,
    last_complete_period,
    members,
    period_figures,
)
from core.store import Store, open_store

DATA = Path(__file__).parent / "data"
FEB = (date(2024, 2, 1), date(2024, 2, 29))
MAR = (date(2024, 3, 1), date(2024, 3, 31))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "shop.db", create=True)
    import_file(store, DATA / "metrics_small.csv", "orders")
    yield store
    store.close()


def ids(store: Store, *names: str) -> list[int]:
    marks = ", ".join("?" * len(names))
    rows = store.execute(f"SELECT id FROM customers WHERE external_id IN ({marks})", names)
    return sorted(row[0] for row in rows)


def test_shop_wide_figures(store: Store) -> None:
    stats = compute_stats(store, period="month", window_days=30)
    assert stats["customers"] == 4  # Dora counts: her 30 March order is not cancelled
    assert stats["orders"] == 7
    assert stats["revenue"] == 430.0  # 100 + 50 + 30 + 80 + 20 + 60 + 90
    assert stats["repeat_purchase_rate"] == 50.0  # Anna and Ben of 4
    assert stats["purchase_frequency"] == 1.75  # 7 / 4
    assert stats["average_order_value"] == 61.43  # 430 / 7 = 61.428...
    assert stats["revenue_per_customer"] == 107.5  # 430 / 4
    # Gaps: Anna 5 Jan -> 5 Jan = 0, 5 Jan -> 10 Feb = 36; Ben 20 Jan -> 25 Mar = 65.
    assert stats["avg_days_between_orders"] == 33.6667  # 101 / 3


def test_monthly_periods_with_a_30_day_window(store: Store) -> None:
    jan, feb, mar = compute_stats(store, period="month", window_days=30)["periods"]
    # January: nobody ordered in the 30 days before it, so B = 0 and the rates are null.
    assert (jan["B"], jan["E"], jan["N"], jan["crr"], jan["churn"]) == (0, 2, 2, None, None)
    assert jan["returning_customer_rate"] == 0.0
    assert (jan["orders"], jan["revenue"]) == (3, 230.0)
    # February: B = ordered 2-31 Jan = {Anna, Ben}; E = ordered 31 Jan-29 Feb = {Anna, Carla};
    # N = {Carla}. CRR = (2 - 1) / 2; Ben churned; Anna of {Anna, Carla} is returning.
    assert (feb["B"], feb["E"], feb["N"]) == (2, 2, 1)
    assert (feb["crr"], feb["churn"], feb["returning_customer_rate"]) == (50.0, 50.0, 50.0)
    assert (feb["orders"], feb["revenue"]) == (2, 90.0)
    # March: B = {Anna, Carla}, both gone by the end; E = ordered 2-31 Mar = {Ben, Dora};
    # N = {Dora}. CRR still counts Ben, who came back: (2 - 1) / 2 = 50 %, churn 100 %.
    assert (mar["B"], mar["E"], mar["N"]) == (2, 2, 1)
    assert (mar["crr"], mar["churn"], mar["returning_customer_rate"]) == (50.0, 100.0, 50.0)
    # The data ends on 30 March (Dora's order, the as-of date): March is not over.
    assert (mar["start"], mar["end"]) == ("2024-03-01", "2024-03-30")
    assert (jan["complete"], feb["complete"], mar["complete"]) == (True, True, False)


def test_quarter_with_the_default_window(store: Store) -> None:
    (q1,) = compute_stats(store)["periods"]
    assert (q1["start"], q1["end"], q1["B"], q1["E"], q1["N"]) == ("2024-01-01", "2024-03-30",
                                                                   0, 4, 4)  # fmt: skip
    assert q1["complete"] is False
    assert (q1["crr"], q1["churn"], q1["returning_customer_rate"]) == (None, None, 0.0)
    assert (q1["orders"], q1["revenue"]) == (7, 430.0)


def test_cohorts(store: Store) -> None:
    stats = compute_stats(store, period="month", window_days=30)
    # January cohort {Anna, Ben}: Anna ordered in February, Ben in March.
    assert stats["cohorts"] == {
        "2024-01": [100.0, 50.0, 50.0],
        "2024-02": [100.0, 0.0],  # Carla (29 February, local date)
        "2024-03": [100.0],  # Dora: her cancelled February order does not make her older
    }
    assert stats["cohort_sizes"] == {"2024-01": 2, "2024-02": 1, "2024-03": 1}


def test_an_earlier_as_of_date_ignores_later_orders_and_cuts_the_last_period(
    store: Store,
) -> None:
    stats = compute_stats(store, period="month", window_days=30, as_of=date(2024, 3, 20))
    assert stats["as_of"] == "2024-03-20" and stats["last_order"] == "2024-02-29"
    # Orders up to 20 March: Anna 100 + 50 + 30, Ben 80, Carla 60 (Ben's 25 March is later).
    assert (stats["customers"], stats["orders"], stats["revenue"]) == (3, 5, 320.0)
    mar = stats["periods"][-1]
    assert (mar["start"], mar["end"], mar["complete"]) == ("2024-03-01", "2024-03-20", False)
    # B = ordered 31 Jan-29 Feb = {Anna, Carla}; E = ordered 20 Feb-20 Mar = {Carla} (Dora's
    # 20 Feb order is cancelled); N = {}. CRR = (1 - 0) / 2; Anna churned.
    assert (mar["B"], mar["E"], mar["N"], mar["crr"], mar["churn"]) == (2, 1, 0, 50.0, 50.0)
    assert mar["orders"] == 0
    # Ben's March order is after the as-of date: the January cohort has nobody in March yet.
    assert stats["cohorts"] == {"2024-01": [100.0, 50.0, 0.0], "2024-02": [100.0, 0.0]}


def test_a_later_as_of_date_describes_a_quiet_shop(store: Store) -> None:
    stats = compute_stats(store, period="month", window_days=30, as_of=date(2024, 5, 15))
    assert stats["as_of"] == "2024-05-15" and stats["last_order"] == "2024-03-30"
    apr, may = stats["periods"][-2:]
    # April is over: B = ordered 2-31 Mar = {Ben, Dora}, E = ordered in April = {}.
    assert (apr["end"], apr["complete"], apr["B"], apr["E"], apr["churn"]) == (
        "2024-04-30", True, 2, 0, 100.0)  # fmt: skip
    assert (may["start"], may["end"], may["complete"], may["B"]) == (
        "2024-05-01", "2024-05-15", False, 0)  # fmt: skip
    assert stats["cohorts"]["2024-03"] == [100.0, 0.0, 0.0]


def test_members_behind_each_figure(store: Store) -> None:
    def who(figure: str, period: tuple[date, date]) -> list[int]:
        return members(store, figure, *period, 30)

    assert who("B", FEB) == ids(store, "A", "B")
    assert who("E", FEB) == ids(store, "A", "C")
    assert who("N", FEB) == ids(store, "C")
    assert who("churned", FEB) == ids(store, "B")
    assert who("retained", FEB) == ids(store, "A")
    assert who("returning", FEB) == ids(store, "A")
    assert who("active", FEB) == ids(store, "A", "C")
    assert who("churned", MAR) == ids(store, "A", "C")
    assert who("retained", MAR) == []
    assert who("N", MAR) == ids(store, "D")


def test_range_restricts_shop_wide_figures_and_clips_periods(store: Store) -> None:
    stats = compute_stats(
        store, period="month", window_days=30, start=date(2024, 1, 10), end=date(2024, 3, 26)
    )
    # Orders 10 Jan-26 Mar: Ben 20 Jan, Anna 10 Feb, Carla 29 Feb, Ben 25 Mar.
    assert (stats["customers"], stats["orders"], stats["revenue"]) == (3, 4, 190.0)
    assert stats["repeat_purchase_rate"] == 33.3333  # Ben of 3
    assert stats["avg_days_between_orders"] == 65.0
    assert [(p["start"], p["end"]) for p in stats["periods"]] == [
        ("2024-01-10", "2024-01-31"),
        ("2024-02-01", "2024-02-29"),
        ("2024-03-01", "2024-03-26"),
    ]
    # B still looks back before --from: on 9 Jan, Anna's 5 January orders are 5 days old.
    assert stats["periods"][0]["B"] == 1


def test_period_figures_for_any_range(store: Store) -> None:
    figures = period_figures(store, date(2024, 2, 1), date(2024, 3, 31), window_days=30)
    # 60 days with a 30-day window: B = ordered 2-31 Jan = {Anna, Ben}; E = ordered
    # 2-31 Mar = {Ben, Dora}; N = {Carla, Dora}.
    assert (figures["B"], figures["E"], figures["N"]) == (2, 2, 2)
    assert figures["churn"] == 50.0  # Anna left; Ben is in both
    assert figures["crr"] == 0.0  # (2 - 2) / 2


def test_guest_orders_do_not_count(tmp_path: Path) -> None:
    store = open_store(tmp_path / "shop.db", create=True)
    import_file(store, DATA / "metrics_guest_shopify.csv", "orders")
    stats = compute_stats(store, period="month")
    assert (stats["customers"], stats["orders"], stats["revenue"]) == (1, 2, 50.0)
    assert [p["orders"] for p in stats["periods"]] == [1, 1]
    # The guest's order is reported on its own, never mixed into revenue.
    assert (stats["orders_guests"], stats["revenue_guests"]) == (1, 500.0)
    in_february = compute_stats(store, start=date(2024, 2, 1))
    assert (in_february["orders_guests"], in_february["revenue_guests"]) == (0, 0.0)
    only_guest_day = compute_stats(store, start=date(2024, 1, 6), end=date(2024, 1, 6))
    assert (only_guest_day["orders"], only_guest_day["revenue"]) == (0, 0.0)
    assert (only_guest_day["orders_guests"], only_guest_day["revenue_guests"]) == (1, 500.0)
    store.close()


def test_empty_shop(tmp_path: Path) -> None:
    store = open_store(tmp_path / "shop.db", create=True)
    stats = compute_stats(store)
    assert stats["customers"] == stats["orders"] == 0
    assert stats["periods"] == [] and stats["cohorts"] == {}
    assert stats["avg_days_between_orders"] is None
    assert data_span(store) is None
    store.close()


def test_a_range_without_orders_is_empty(store: Store) -> None:
    stats = compute_stats(store, start=date(2030, 1, 1))
    assert (stats["orders"], stats["periods"], stats["cohorts"]) == (0, [], {})


def test_data_span_and_last_complete_period(store: Store) -> None:
    assert data_span(store) == (date(2024, 1, 5), date(2024, 3, 30))
    assert last_complete_period("quarter", date(2024, 4, 1)) == (date(2024, 1, 1),
                                                                 date(2024, 3, 31))  # fmt: skip
    assert last_complete_period("month", date(2024, 3, 31)) == FEB
    assert last_complete_period("year", date(2025, 1, 1)) == (date(2024, 1, 1),
                                                              date(2024, 12, 31))  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": "week"}, "unknown period"),
        ({"window_days": 0}, "window"),
        ({"window_days": True}, "window"),
        ({"start": date(2024, 2, 1), "end": date(2024, 1, 1)}, "after it ends"),
    ],
)
def test_bad_options_are_refused(store: Store, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_stats(store, **kwargs)


def test_unknown_figure_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown figure"):
        members(store, "X", *FEB, 30)


def test_money_is_rounded_half_to_even_from_exact_cents(tmp_path: Path) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "order_id,ordered_at,customer_id,total\n1,2024-01-02,A,0.02\n2,2024-01-03,A,0.03\n"
        "3,2024-01-04,B,0.01\n"
    )
    store = open_store(tmp_path / "shop.db", create=True)
    import_file(store, csv, "orders")
    stats = compute_stats(store)
    assert stats["revenue"] == 0.06
    assert stats["average_order_value"] == 0.02  # 0.06 / 3
    assert stats["revenue_per_customer"] == 0.03  # 0.06 / 2 = 0.03
    store.close()
    store = open_store(tmp_path / "two.db", create=True)
    csv.write_text("order_id,ordered_at,customer_id,total\n1,2024-01-02,A,0.02\n"
                   "2,2024-01-03,A,0.03\n")  # fmt: skip
    import_file(store, csv, "orders")
    assert compute_stats(store)["average_order_value"] == 0.02  # 0.025: the even neighbour
    store.close()
