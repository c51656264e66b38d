"""The dashboard: its figures are compute_stats', period and window switch, figures drill down.

The test shop's orders run from 2024-02-01 to 2024-10-06, so its last complete quarter is
2024-Q3 and its last complete month 2024-09, whatever the day the tests run.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Static

import tui.screens.dashboard
from core.metrics import compute_stats, members
from core.store import open_store
from tests.tui_fixtures import (  # noqa: F401
    SHOP_NAME,
    TEST_THEME,
    WAIT_LIMIT,
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
)
from tui.app import RetainApp
from tui.dashboard_figures import percent
from tui.screens.customers import CustomersScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.dialogs import PickScreen
from tui.widgets.cohort_heatmap import CohortHeatmap
from tui.widgets.figure_tile import FigureTile
from tui.widgets.retention_chart import RetentionChart

Q3 = (date(2024, 7, 1), date(2024, 9, 30))


def tile_text(app: RetainApp, name: str, part: str = "value") -> str:
    tile = app.screen.query_one(f"#tile-{name}", FigureTile)
    return str(tile.query_one(f".tile-{part}", Static).visual)


def shown(app: RetainApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).visual)


def euros(units: float) -> str:
    return f"€{units:,.2f}"


async def focus_tile(pilot, name: str) -> FigureTile:
    tile = pilot.app.screen.query_one(f"#tile-{name}", FigureTile)
    tile.focus()
    await pilot.pause()
    return tile


@pilot_test
async def test_dashboard_is_the_start_screen_with_the_store_totals(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert tile_text(app, "customers") == "14"
        assert tile_text(app, "customers", "caption") == "13 ordered"
        revenue = app.store.scalar(
            "SELECT sum(total - refunded) FROM orders WHERE NOT cancelled AND customer_id NOT NULL"
        )
        assert tile_text(app, "revenue") == f"€{revenue // 100:,}.{revenue % 100:02d}"
        shop_line = shown(app, "#shop-line")
        assert shop_line.startswith(SHOP_NAME)  # the markup in the shop's name stays text
        assert "last import 2024-11-30 12:00" in shop_line


@pilot_test
async def test_the_figures_are_those_of_compute_stats_for_the_last_complete_quarter(
    app: RetainApp,
):
    stats = compute_stats(app.store, "quarter", 365)
    q3 = next(row for row in stats["periods"] if row["start"] == "2024-07-01")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert tile_text(app, "repeat") == percent(stats["repeat_purchase_rate"]) == "23.1 %"
        assert tile_text(app, "aov") == euros(stats["average_order_value"]) == "€21.97"
        assert tile_text(app, "per-customer") == euros(stats["revenue_per_customer"])
        assert tile_text(app, "orders", "title") == "Orders 2024-Q3"
        assert tile_text(app, "orders") == str(q3["orders"])
        assert tile_text(app, "crr", "title") == "CRR 2024-Q3"
        assert tile_text(app, "crr") == percent(q3["crr"])
        assert tile_text(app, "crr", "caption") == f"B {q3['B']}  E {q3['E']}  N {q3['N']}"
        assert tile_text(app, "churn") == percent(q3["churn"])
        assert "last complete quarter: 2024-Q3" in shown(app, "#period-line")
        assert "data to 2024-10-06" in shown(app, "#period-line")
        heatmap = app.screen.query_one(CohortHeatmap)
        assert heatmap.cohorts == stats["cohorts"] and heatmap.sizes == stats["cohort_sizes"]
        assert heatmap.row_count == len(stats["cohorts"])
        chart = app.screen.query_one(RetentionChart)
        # The complete quarters, then 2024-Q4 so far: E on the as-of date, marked unfinished.
        assert [(row["start"], row["complete"]) for row in chart.rows] == [
            ("2024-01-01", True), ("2024-04-01", True), ("2024-07-01", True),
            ("2024-10-01", False)]  # fmt: skip
        assert chart.rows[-1] == stats["periods"][-1] and chart.rows[-1]["end"] == "2024-10-06"


@pilot_test
async def test_a_focused_figure_explains_itself_with_its_numbers(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w", "w", "w")  # 365 -> 730 -> 30 -> 90 days
        await settle(pilot)
        await focus_tile(pilot, "crr")
        explained = shown(app, "#explain")
        assert "B 10 · E 1 · N 0" in explained
        assert "CRR = (E − N) / B × 100 = (1 − 0) / 10 × 100 = 10.0 %" in explained
        await focus_tile(pilot, "churn")
        assert "= 9 / 10 × 100 = 90.0 %" in shown(app, "#explain")


@pilot_test
async def test_p_cycles_the_period_and_w_the_window_shown_in_footer_and_header(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.active_bindings["p"].binding.description == "Quarter"
        assert screen.active_bindings["w"].binding.description == "W 365 d"
        await pilot.press("p")  # quarter -> year
        await settle(pilot)
        assert screen.period == "year"
        assert screen.active_bindings["p"].binding.description == "Year"
        assert tile_text(app, "crr", "title") == "CRR 2023"  # no whole year 2024 yet
        assert tile_text(app, "crr") == "—"
        await pilot.press("p")  # year -> month
        await settle(pilot)
        assert shown(app, "#period-line").startswith("Month · W 365 days")
        assert tile_text(app, "crr", "title") == "CRR 2024-09"
        september = compute_stats(app.store, "month", 365)["periods"][-2]
        assert september["start"] == "2024-09-01"
        assert tile_text(app, "crr") == percent(september["crr"])
        await pilot.press("p", "w")  # month -> quarter, 365 -> 730 days
        await settle(pilot)
        assert (screen.period, screen.window_days) == ("quarter", 730)
        assert screen.active_bindings["w"].binding.description == "W 730 d"
        assert shown(app, "#period-line").startswith("Quarter · W 730 days")
        q3 = compute_stats(app.store, "quarter", 730)["periods"][2]
        assert tile_text(app, "crr") == percent(q3["crr"])


@pilot_test
async def test_previous_figures_stay_while_new_ones_are_computed(
    app: RetainApp, monkeypatch: pytest.MonkeyPatch
):
    release = threading.Event()

    def slow_stats(*args, **kwargs):
        release.wait(WAIT_LIMIT)
        return compute_stats(*args, **kwargs)

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = tile_text(app, "crr", "title")
        monkeypatch.setattr(tui.screens.dashboard, "compute_stats", slow_stats)
        await pilot.press("p")
        await pilot.pause()
        assert app.screen.query_one("#busy").display
        assert tile_text(app, "crr", "title") == before == "CRR 2024-Q3"
        assert "computing…" in shown(app, "#period-line")
        await pilot.press("down")  # still interactive
        release.set()
        await settle(pilot)
        assert not app.screen.query_one("#busy").display
        assert tile_text(app, "crr", "title") == "CRR 2023"


@pilot_test
async def test_churn_opens_the_churned_customers_and_escape_comes_back(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w", "w", "w")  # W = 90 days: 9 of the 10 customers of B churned
        await settle(pilot)
        await focus_tile(pilot, "churn")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        churned = members(app.store, "churned", *Q3, 90)
        assert len(churned) == 9
        assert sorted(row.customer_id for row in screen.table.window) == churned
        assert screen.sub_title == "Churned in 2024-Q3 (B \\ E): 9 customers"
        assert "only: Churned in 2024-Q3" in str(screen.query_one("#restriction").visual)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.window_days == 90  # the dashboard kept its choice


@pilot_test
async def test_crr_offers_b_e_n_retained_and_returning(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w", "w", "w")
        await settle(pilot)
        await focus_tile(pilot, "crr")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)
        assert app.screen.labels[0] == "B: active before 2024-Q3 (10)"
        await pilot.press("enter")  # B
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        expected = members(app.store, "B", *Q3, 90)
        assert sorted(row.customer_id for row in screen.table.window) == expected
        assert screen.sub_title == "Active before 2024-Q3 (B): 10 customers"


@pilot_test
async def test_orders_open_who_ordered_in_the_period_and_repeat_the_repeat_customers(
    app: RetainApp,
):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.click("#tile-orders")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        assert [row.name for row in screen.table.window] == ["Bjørn Ødegård"]
        assert screen.sub_title == "Ordered in 2024-Q3: 1 customer"
        await pilot.press("escape")
        await settle(pilot)
        await focus_tile(pilot, "repeat")
        await pilot.press("enter")
        await settle(pilot)
        repeaters = app.store.execute(
            "SELECT customer_id FROM customer_stats WHERE orders >= 2 ORDER BY 1"
        ).fetchall()
        assert sorted(row.customer_id for row in app.screen.table.window) == [
            r[0] for r in repeaters
        ]


@pilot_test
async def test_customers_and_revenue_open_every_customer(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the customers tile has the focus
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert app.screen.table.total == 14 and app.screen.list_query.restriction is None
        await pilot.press("escape")
        await settle(pilot)
        await focus_tile(pilot, "revenue")
        await pilot.press("enter")
        await settle(pilot)
        assert (app.screen.list_query.sort, app.screen.list_query.descending) == ("spent", True)
        assert app.screen.table.window[0].name == "Bjørn Ødegård"  # the biggest spender first


@pilot_test
async def test_a_heatmap_cell_says_what_it_means(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        heatmap = app.screen.query_one(CohortHeatmap)
        assert app.focused is heatmap
        heatmap.move_cursor(row=0, column=3)  # the 2024-02 cohort, one month later
        await pilot.pause()
        assert shown(app, "#cohort-title") == (
            "Cohort 2024-02 (3 customers): 33.3 % ordered again in month +1"
        )
        assert heatmap.get_cell_at((0, 3)).plain == "33"
        await pilot.press("tab")  # leaving the table names it again
        assert shown(app, "#cohort-title").startswith("Cohort retention")


@pilot_test
async def test_the_dashboard_follows_a_change_by_another_process(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        loads = app.screen.figure_loads
        with open_store(app.db_path) as other:
            other.set_setting("shop.name", "Renamed")
        assert app.check_store()
        await settle(pilot)
        assert shown(app, "#shop-line").startswith("Renamed · ")
        assert app.screen.figure_loads == loads + 1


@pilot_test
async def test_an_empty_shop_shows_no_figures_and_no_errors(tmp_path: Path):
    open_store(tmp_path / "empty.db", create=True).close()  # as an import that added nothing
    app = RetainApp(tmp_path / "empty.db", theme=TEST_THEME)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert tile_text(app, "customers") == "0"
        assert tile_text(app, "crr") == "—"
        assert tile_text(app, "crr", "caption") == "no orders yet"
        assert "no orders yet" in shown(app, "#period-line")
        await focus_tile(pilot, "churn")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)  # nobody to show: it says so instead


@pilot_test
async def test_escape_on_the_dashboard_stays_and_back_is_not_offered(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        assert app.is_running
        assert "escape" not in app.screen.active_bindings  # hidden from the footer too


@pilot_test
async def test_a_failed_computation_is_one_notice_and_the_dashboard_stays(
    app: RetainApp, monkeypatch: pytest.MonkeyPatch
):
    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("database disk image is malformed")

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(tui.screens.dashboard, "compute_stats", broken)
        await pilot.press("w")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, DashboardScreen)
        assert not app.screen.query_one("#busy").display
        assert [n.message for n in shown_notices(app)] == [
            "Computing the retention figures failed: database disk image is malformed"
        ]
        assert tile_text(app, "crr", "title") == "CRR 2024-Q3"  # the last figures stay


@pilot_test
async def test_the_chart_keeps_its_labels_in_the_16_colour_theme(shop_db: Path):
    app = RetainApp(shop_db, theme="ansi-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        chart = app.screen.query_one(RetentionChart)
        assert chart.theme == "clear"  # terminal colours, not black on black
        app.theme = TEST_THEME
        await pilot.pause()
        assert chart.theme == "auto"


@pilot_test
async def test_on_a_shop_with_guest_orders_the_revenue_tile_agrees_with_stats(tmp_path: Path):
    """Anna's 30.00 + 20.00 and a guest's 500.00: the tile once said 550.00, stats 50.00."""
    from core.importers import import_file

    db = tmp_path / "guests.db"
    with open_store(db, create=True) as store:
        import_file(store, Path(__file__).parent / "data" / "metrics_guest_shopify.csv", "orders")
        stats = compute_stats(store)
    app = RetainApp(db, theme=TEST_THEME)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert stats["revenue"] == 50.0 and stats["revenue_guests"] == 500.0
        assert tile_text(app, "revenue") == "50.00"
        assert tile_text(app, "revenue", "caption") == "customers, net"
        assert tile_text(app, "aov") == "25.00"  # 50.00 over the same 2 orders
