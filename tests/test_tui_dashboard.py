"""The dashboard: the start screen, its figures, and drilling into the customers behind them."""

from __future__ import annotations

from textual.widgets import Static

from tests.tui_fixtures import SHOP_NAME, app_fixture, pilot_test, settle, shop_db_fixture  # noqa: F401
from tui.app import RetainApp
from tui.screens.customers import CustomersScreen
from tui.screens.dashboard import DashboardScreen
from tui.widgets.figure_tile import FigureTile


def tile_value(app: RetainApp, tile_id: str) -> str:
    tile = app.screen.query_one(f"#{tile_id}", FigureTile)
    return str(tile.query_one(".tile-value", Static).visual)


@pilot_test
async def test_dashboard_is_the_start_screen_with_the_store_totals(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert tile_value(app, "tile-customers") == "14"
        assert tile_value(app, "tile-orders") == "18"
        revenue = app.store.scalar("SELECT sum(total - refunded) FROM orders WHERE NOT cancelled")
        assert tile_value(app, "tile-revenue") == f"€{revenue // 100:,}.{revenue % 100:02d}"
        shop_line = str(app.screen.query_one("#shop-line", Static).visual)
        assert shop_line.startswith(SHOP_NAME)  # the markup in the shop's name stays text
        assert "last import 2024-11-30 12:00" in shop_line


@pilot_test
async def test_enter_on_a_figure_opens_the_customers_behind_it(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "tab")  # customers -> orders -> revenue
        assert app.focused is app.screen.query_one("#tile-revenue")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert (app.screen.list_query.sort, app.screen.list_query.descending) == ("spent", True)
        first = app.screen.table.window[0]
        assert first.name == "Bjørn Ødegård"  # the biggest spender first
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


@pilot_test
async def test_clicking_a_figure_opens_its_customers(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.click("#tile-orders")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert app.screen.list_query.sort == "orders"


@pilot_test
async def test_escape_on_the_dashboard_stays_and_back_is_not_offered(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        assert app.is_running
        assert "escape" not in app.screen.active_bindings  # hidden from the footer too
