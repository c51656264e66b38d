"""What the dashboard says, without running the app: periods, tile texts, the heatmap's ramp."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.importers import import_file
from core.metrics import compute_stats
from core.shop_totals import shop_totals
from core.store import open_store
from tests.tui_fixtures import build_shop
from tui.dashboard_figures import (
    CHART_PERIODS,
    Period,
    chart_rows,
    figure_tiles,
    last_period,
    members_title,
    percent,
    reference_today,
    totals_tiles,
)
from tui.widgets.cohort_heatmap import RAMP, legend, share_style, share_text


@pytest.fixture(scope="module")
def stats_of(tmp_path_factory):
    path = build_shop(tmp_path_factory.mktemp("shop") / "shop.db")
    store = open_store(path, migrate=False)
    yield lambda period="quarter", window=365: compute_stats(store, period, window)
    store.close()


@pytest.mark.parametrize(
    ("kind", "as_of", "expected"),
    [
        ("quarter", date(2024, 10, 6), (date(2024, 7, 1), date(2024, 9, 30))),
        ("quarter", date(2024, 9, 30), (date(2024, 7, 1), date(2024, 9, 30))),  # Q3 is whole
        ("quarter", date(2024, 9, 29), (date(2024, 4, 1), date(2024, 6, 30))),
        ("month", date(2025, 1, 15), (date(2024, 12, 1), date(2024, 12, 31))),
        ("year", date(2025, 12, 31), (date(2025, 1, 1), date(2025, 12, 31))),
    ],
)
def test_the_last_complete_period_ends_on_or_before_the_as_of_date(kind, as_of, expected):
    stats = {"last_order": "2020-01-01", "as_of": as_of.isoformat(), "period": kind,
             "window_days": 90}  # fmt: skip
    period = last_period(stats)
    assert (period.start, period.end) == expected and period.window_days == 90
    assert reference_today(as_of) == date.fromordinal(as_of.toordinal() + 1)


def test_an_empty_shop_has_no_period_and_says_so():
    empty = {"last_order": None, "as_of": "2026-12-04", "period": "quarter", "window_days": 365,
             "customers": 0, "orders": 0, "revenue": 0.0, "average_order_value": 0.0,
             "revenue_per_customer": 0.0, "repeat_purchase_rate": 0.0, "periods": []}  # fmt: skip
    assert last_period(empty) is None
    tiles = figure_tiles(empty, "EUR")
    assert tiles["crr"].value == "—" and tiles["crr"].caption == "no orders yet"
    assert tiles["aov"].value == "€0.00"


def test_tiles_carry_compute_stats_figures_and_explain_them(stats_of):
    stats = stats_of("quarter", 90)
    tiles = figure_tiles(stats, "EUR")
    q3 = next(row for row in stats["periods"] if row["start"] == "2024-07-01")
    assert tiles["crr"].title == "CRR 2024-Q3" and tiles["crr"].value == percent(q3["crr"])
    assert (q3["B"], q3["E"], q3["N"], q3["churned"]) == (10, 1, 0, 9)
    assert "CRR = (E − N) / B × 100 = (1 − 0) / 10 × 100 = 10.0 %" in tiles["crr"].detail
    assert tiles["churn"].caption == "9 of B lost"
    assert "= 9 / 10 × 100 = 90.0 %" in tiles["churn"].detail
    assert tiles["orders"].value == "1" and tiles["orders"].caption == "1 customer"
    assert tiles["repeat"].value == "23.1 %"
    assert "€395.40 / 18 = €21.97" in tiles["aov"].detail


def test_a_period_before_the_first_order_is_not_invented(stats_of):
    tiles = figure_tiles(stats_of("year"), "EUR")
    assert tiles["crr"].title == "CRR 2023" and tiles["crr"].value == "—"
    assert "ended before the first order" in tiles["crr"].detail


def test_the_chart_shows_complete_periods_then_the_unfinished_one(stats_of):
    stats = stats_of("month")
    rows = chart_rows(stats, last_period(stats))
    assert stats["as_of"] == "2024-10-06"
    # October 2024 is not complete: last, ending on the as-of date, flagged.
    assert [(row["start"], row["end"], row["complete"]) for row in rows[-2:]] == [
        ("2024-09-01", "2024-09-30", True), ("2024-10-01", "2024-10-06", False)]  # fmt: skip
    assert [row["start"] for row in rows][:1] == ["2024-02-01"]
    assert sum(not row["complete"] for row in rows) == 1
    many = {"period": "month", "periods": [{"start": f"{y}-{m:02d}-01", "end": f"{y}-{m:02d}-28"}
            for y in (2021, 2022, 2023) for m in range(1, 13)]}  # fmt: skip
    period = Period("month", date(2023, 12, 1), date(2023, 12, 31), 365)
    assert len(chart_rows(many, period)) == CHART_PERIODS["month"] == 24
    many["periods"].append({"start": "2024-01-01", "end": "2024-01-09", "complete": False})
    shown = chart_rows(many, period)
    assert len(shown) == 25 and shown[-1]["end"] == "2024-01-09"


def test_member_titles_name_the_figure_period_and_count():
    q3 = Period("quarter", date(2026, 7, 1), date(2026, 9, 30), 365)
    assert members_title("churned", q3, 123) == "Churned in 2026-Q3 (B \\ E): 123 customers"
    assert members_title("N", q3, 1) == "New in 2026-Q3 (N): 1 customer"


def test_every_share_has_a_number_and_a_step_of_the_ramp():
    assert share_text(0) == "0" and share_text(0.4) == "<1" and share_text(33.3333) == "33"
    assert share_text(100) == "100"
    assert share_style(0) == RAMP[0][1] and share_style(0.9) == RAMP[0][1]
    assert share_style(1) == RAMP[1][1] and share_style(19.99) == RAMP[3][1]
    assert share_style(100) == RAMP[-1][1]
    assert "bold" in share_style(20) and "bold" not in share_style(19)  # a cue without colour
    assert legend().plain.split(": ", 1)[1].split() == [
        "<1", "1–4", "5–9", "10–19", "20–34", "35–49", "50–99", "100"
    ]  # fmt: skip


def test_the_revenue_tile_and_stats_agree_on_a_shop_with_guest_orders(tmp_path):
    # Anna's two orders (30.00 + 20.00) and a guest's 500.00: the tile once said 550.00
    # where `stats` said 50.00.
    data = Path(__file__).parent / "data" / "metrics_guest_shopify.csv"
    with open_store(tmp_path / "shop.db", create=True) as store:
        import_file(store, data, "orders")
        totals, stats = shop_totals(store), compute_stats(store)
    tile = totals_tiles(totals)["revenue"]
    assert tile.value == "50.00" and stats["revenue"] == 50.0
    assert tile.caption == "customers, net"
    assert (
        "2 orders" in tile.detail and "Guests" in tile.detail and "1 order, 500.00" in tile.detail
    )
    aov = figure_tiles(stats, totals.currency)["aov"]
    assert "50.00 / 2 = 25.00" in aov.detail  # the same revenue over the same orders
