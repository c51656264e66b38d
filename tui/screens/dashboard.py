"""The start screen: how the shop is doing, at a glance, and a way into every number.

Phase 1 shows the all-time totals the store keeps (customers, orders, revenue). The
retention figures (repeat rate, CRR and churn of the last complete period, average order
value, revenue per customer), the CRR chart and the cohort heatmap come from core.metrics:
add their tiles to `_tiles()` and their widgets in `compose()` under `#figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static

from core.customer_pages import ListQuery
from core.shop_totals import ShopTotals, shop_totals
from tui import display
from tui.safe_text import clean, content
from tui.screens.base import RetainScreen
from tui.widgets.figure_tile import FigureTile


class DashboardScreen(RetainScreen):
    SCREEN_NAME = "dashboard"
    TITLE_TEXT = "Dashboard"
    PURPOSE = "How the shop is doing: totals and retention figures; Enter opens the customers."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "app.go('customers')", "Customers", tooltip="All customers"),
        Binding("i", "app.go('import')", "Import", tooltip="Import a shop export"),
        Binding("s", "app.go('segments')", "Segments", tooltip="Every segment with its size"),
    ]

    @dataclass
    class TotalsLoaded(Message):
        totals: ShopTotals
        shop_name: str | None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="dashboard"):
            yield Static("", id="shop-line", markup=False)
            with Grid(id="tiles"):
                yield from self._tiles()
            # Phase 2: the CRR / returning-rate chart and the cohort heatmap go here.
        yield Footer()

    def _tiles(self) -> list[FigureTile]:
        return [
            FigureTile("Customers", ListQuery(), id="tile-customers"),
            FigureTile("Orders", ListQuery(sort="orders", descending=True), id="tile-orders"),
            FigureTile("Revenue", ListQuery(sort="spent", descending=True), id="tile-revenue"),
        ]

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#tile-customers").focus()

    def reload(self) -> None:
        self.load_totals()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="dashboard",
        description="Reading the shop's totals",
    )
    def load_totals(self) -> None:
        with self.retain_app.pool.borrow() as store:
            totals = shop_totals(store)
            shop_name = store.get_setting("shop.name")
        self.post_message(self.TotalsLoaded(totals, shop_name))

    def on_dashboard_screen_totals_loaded(self, message: DashboardScreen.TotalsLoaded) -> None:
        totals = message.totals
        currency = totals.currency
        self.query_one("#tile-customers", FigureTile).show(
            display.count(totals.customers),
            f"{display.count(totals.customers_with_orders)} have ordered",
        )
        span = f"{display.day(totals.first_day)} – {display.day(totals.last_day)}"
        self.query_one("#tile-orders", FigureTile).show(
            display.count(totals.orders), span if totals.orders else "no orders yet"
        )
        self.query_one("#tile-revenue", FigureTile).show(
            display.money(totals.revenue, currency), "net of refunds, cancelled excluded"
        )
        name = message.shop_name
        last = display.timestamp(totals.last_import) if totals.last_import else "never"
        line = f"{clean(name)} · " if name else ""
        self.query_one("#shop-line", Static).update(
            content(f"{line}last import {last} · {self.retain_app.db_path.name}")
        )

    def on_figure_tile_selected(self, message: FigureTile.Selected) -> None:
        from tui.screens.customers import CustomersScreen

        if message.tile.drill is not None:
            self.app.push_screen(CustomersScreen(message.tile.drill))
