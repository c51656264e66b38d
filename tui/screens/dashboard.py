"""The start screen: how the shop is doing, at a glance, and a way into every number.

Tiles for the store's totals come first (two cheap queries); the retention figures of the
last complete period, the CRR chart and the cohort heatmap follow from `compute_stats` in a
worker (about 0.2-0.4 s at a million orders), while the previous figures stay on screen.
`p` cycles the period (month, quarter, year), `w` the active window W; both show in the
footer and the line above the tiles. Enter on a tile opens the customers behind its figure;
the arrow keys move between tiles. The tiles keep every figure whole at 80 columns
(tui/tile_layout.py); the chart takes the height left under them, the cohort heatmap the
same again below (scroll, or `h`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Header, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from core.customer_pages import ListQuery, Restriction
from core.metrics import DEFAULT_WINDOW_DAYS, PERIOD_KINDS, compute_stats, members
from core.predict.stored import StoredFit, latest_fit
from core.shop_totals import ShopTotals, shop_totals
from tui import display
from tui.dashboard_figures import (
    WINDOWS,
    Period,
    chart_rows,
    figure_tiles,
    last_period,
    member_choices,
    members_title,
    people,
    period_row,
    prediction_tile,
    totals_tiles,
)
from tui.safe_text import clean, content
from tui.screens.base import RetainScreen
from tui.tile_layout import TILE_ORDER, tile_layout
from tui.widgets.cohort_heatmap import CohortCell, CohortHeatmap, HeatLegend
from tui.widgets.figure_tile import FigureTile
from tui.widgets.footer import RetainFooter
from tui.widgets.retention_chart import RetentionChart

FIGURES_GROUP = "dashboard-figures"
BY_SPEND = ListQuery(sort="spent", descending=True)
COHORT_TITLE = "Cohort retention (h): customers by the month of their first order"
TILES_HINT = "Arrow keys move between the figures; Enter opens the customers behind one."


@dataclass(frozen=True)
class PeriodMembers:
    """Drill into the customers behind figures of the tiles' period (a choice if several)."""

    figures: tuple[str, ...]


@dataclass(frozen=True)
class SegmentMembers:
    name: str


def cohort_cell_text(cell: CohortCell | None) -> str:
    """'Cohort 2024-02 (3 customers): 33.3 % ordered again in month +1'."""
    if cell is None:
        return COHORT_TITLE
    who = f"Cohort {cell.cohort} ({people(cell.size)})"
    if cell.months_after == 0:
        return f"{who}: their first orders, in {cell.cohort}"
    return f"{who}: {cell.share:.1f} % ordered again in month +{cell.months_after}"


def _next(values: tuple, current: object) -> object:
    return values[(values.index(current) + 1) % len(values)] if current in values else values[0]


def _period_bindings() -> list[BindingType]:
    """`p` once per period: only the binding leading on from the current one is active, so
    the footer names the period shown."""
    return [
        Binding("p", f"period('{_next(PERIOD_KINDS, kind)}')", kind.capitalize(),
                tooltip=f"Period: {kind}; p switches to {_next(PERIOD_KINDS, kind)}")
        for kind in PERIOD_KINDS
    ]  # fmt: skip


def _window_bindings() -> list[BindingType]:
    return [
        Binding("w", f"window({_next(WINDOWS, days)})", f"W {days} d",
                tooltip=f"Window W: {days} days; w switches to {_next(WINDOWS, days)}")
        for days in WINDOWS
    ]  # fmt: skip


SCREEN_KEYS = (
    ("c", "customers", "Customers", "All customers"),
    ("i", "import", "Import", "Import a shop export"),
    ("s", "segments", "Segments", "Every segment with its size"),
    ("m", "campaigns", "Campaigns", "What each campaign brought back"),
    ("f", "flows", "Flows", "Automated emails: on or off, whom each would reach"),
)
NAMED_SCREENS_WIDTH = 116
"""From this width on the footer names each screen's key; below it, one "Screens" entry holds
them all, so that Help and Quit stay in view at 80 columns."""
_SCREENS = Binding.Group("Screens")


def _screen_bindings() -> list[BindingType]:
    """Each key to another screen twice, named and grouped: `check_action` lets one set live."""
    return [
        Binding(key, f"screen('{name}', {named})", title, tooltip=tooltip,
                group=None if named else _SCREENS)
        for named in (True, False)
        for key, name, title, tooltip in SCREEN_KEYS
    ]  # fmt: skip


class DashboardScreen(RetainScreen):
    SCREEN_NAME = "dashboard"
    TITLE_TEXT = "Dashboard"
    PURPOSE = "How the shop is doing: totals and retention figures; Enter opens the customers."

    BINDINGS: ClassVar[list[BindingType]] = [
        *_period_bindings(),
        *_window_bindings(),
        Binding("h", "focus_heatmap", "Cohorts", show=False, tooltip="Move to the cohort table"),
        *_screen_bindings(),
    ]

    @dataclass
    class TotalsLoaded(Message):
        totals: ShopTotals
        shop_name: str | None
        fit: StoredFit | None = None
        """The stored predictions' fit (core/predict), for the "Next 90 days" tile."""

    @dataclass
    class FiguresLoaded(Message):
        generation: int
        stats: dict[str, object]

    @dataclass
    class MembersFound(Message):
        restriction: Restriction

    def __init__(self) -> None:
        super().__init__()
        self.period = "quarter"
        self.window_days = DEFAULT_WINDOW_DAYS
        self.totals: ShopTotals | None = None
        self.stats: dict[str, object] | None = None
        self.shown: Period | None = None
        """The period the tiles show (the last figures computed), for drilling down."""
        self.generation = 0
        self.figure_loads = 0
        """How many figure sets were shown: lets tests and benchmarks wait for fresh ones."""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="dashboard"):
            yield Static("", id="shop-line", markup=False)
            with Horizontal(id="period-bar"):
                yield Static("", id="period-line", markup=False)
                yield LoadingIndicator(id="busy")
            with Grid(id="tiles"):
                yield from self._tiles()
            yield Static(content(TILES_HINT), id="explain")
            yield RetentionChart(id="trend")
            with Vertical(id="cohorts"):
                yield Static(content(COHORT_TITLE), id="cohort-title", classes="section-title")
                yield CohortHeatmap(id="heatmap")
                yield HeatLegend(id="heat-legend")
        yield RetainFooter()

    def _tiles(self) -> list[FigureTile]:
        """The tiles in TILE_ORDER (reading and Tab order)."""
        tiles = {
            "customers": ("Customers", ListQuery()),
            "orders": ("Orders", PeriodMembers(("active",))),
            "revenue": ("Revenue", BY_SPEND),
            "repeat": ("Repeat rate", SegmentMembers("repeat")),
            "crr": ("CRR", PeriodMembers(("B", "E", "N", "retained", "returning"))),
            "churn": ("Churn", PeriodMembers(("churned",))),
            "aov": ("Avg order", BY_SPEND),
            "per-customer": ("Per customer", BY_SPEND),
            "predicted": ("Next 90 days", ListQuery()),
            "nps": ("NPS", SegmentMembers("detractors")),
        }
        return [FigureTile(*tiles[name], id=f"tile-{name}") for name in TILE_ORDER]

    def _lay_out_tiles(self) -> None:
        """Columns and two-column tiles for the screen's width (tui/tile_layout.py)."""
        layout = tile_layout(self.size.width)
        self.query_one("#tiles", Grid).styles.grid_size_columns = layout.columns
        for name in TILE_ORDER:
            self.tile(name).styles.column_span = 2 if name in layout.wide else 1

    def tile(self, name: str) -> FigureTile:
        return self.query_one(f"#tile-{name}", FigureTile)

    def on_mount(self) -> None:
        self.period, self.window_days = self.retain_app.remembered_figures(
            self.period, self.window_days
        )
        self._lay_out_tiles()
        self._show_period_line()
        self.reload()
        self.set_focus(self.tile("customers"))

    def reload(self) -> None:
        self.load_totals()
        self._start_figures()

    # -- loading ------------------------------------------------------------------------------

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
            fit = latest_fit(store)
        self.post_message(self.TotalsLoaded(totals, shop_name, fit))

    def _start_figures(self) -> None:
        self.generation += 1
        self.query_one("#busy").display = True
        self.load_figures(self.generation, self.period, self.window_days)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group=FIGURES_GROUP,
        description="Computing the retention figures",
    )
    def load_figures(self, generation: int, period: str, window_days: int) -> None:
        with self.retain_app.pool.borrow() as store:
            stats = compute_stats(store, period, window_days)
        self.post_message(self.FiguresLoaded(generation, stats))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # RetainScreen's handler (Textual calls it too) turns the failure into a notice.
        if event.state is WorkerState.ERROR and event.worker.group == FIGURES_GROUP:
            self.query_one("#busy").display = False

    # -- showing ------------------------------------------------------------------------------

    @property
    def currency(self) -> str | None:
        return self.totals.currency if self.totals else None

    def on_dashboard_screen_totals_loaded(self, message: DashboardScreen.TotalsLoaded) -> None:
        totals = self.totals = message.totals
        for name, text in totals_tiles(totals).items():
            self.tile(name).show(text.value, text.caption, text.detail, text.title)
        predicted = prediction_tile(message.fit, totals.currency)
        self.tile("predicted").show(predicted.value, predicted.caption, predicted.detail)
        name = message.shop_name
        last = display.timestamp(totals.last_import) if totals.last_import else "never"
        line = f"{clean(name)} · " if name else ""
        self.query_one("#shop-line", Static).update(
            content(f"{line}last import {last} · {self.retain_app.db_path.name}")
        )
        if self.stats is not None:  # the figures came first: money needs the currency
            self._show_figures(self.stats)
        self._explain_focused()

    def on_dashboard_screen_figures_loaded(self, message: DashboardScreen.FiguresLoaded) -> None:
        if message.generation != self.generation:
            return  # an older period or window: a newer computation is on its way
        self.query_one("#busy").display = False
        self.stats = message.stats
        self._show_figures(message.stats)
        self.figure_loads += 1

    def _show_figures(self, stats: dict[str, object]) -> None:
        period = self.shown = last_period(stats)
        for name, text in figure_tiles(stats, self.currency).items():
            self.tile(name).show(text.value, text.caption, text.detail, text.title)
        self.query_one(RetentionChart).show(
            str(stats["period"]),
            int(stats["window_days"]),
            chart_rows(stats, period),  # type: ignore[call-overload]
        )
        self.query_one(CohortHeatmap).show(stats["cohorts"], stats["cohort_sizes"])  # type: ignore[arg-type]
        self._show_period_line()
        self._explain_focused()

    def _show_period_line(self) -> None:
        """What the figures are of: period, W, the last complete period and the data's end."""
        parts = [self.period.capitalize(), f"W {self.window_days} days"]
        stats, period = self.stats, self.shown
        fresh = stats is not None and (stats["period"], stats["window_days"]) == (
            self.period,
            self.window_days,
        )
        if stats is not None and not stats["last_order"]:
            parts.append("no orders yet")
        elif fresh and period is not None:
            parts.append(f"last complete {period.kind}: {period.label}")
            parts.append(f"data to {stats['as_of']}")  # type: ignore[index]
        else:
            parts.append("computing…")
        self.query_one("#period-line", Static).update(content(" · ".join(parts)))

    # -- explaining ---------------------------------------------------------------------------

    def on_descendant_focus(self) -> None:
        self._explain_focused()

    def on_descendant_blur(self) -> None:
        self._explain_focused()

    def _explain_focused(self) -> None:
        """The focused tile's detail under the tiles; the heatmap's cell in its title line."""
        focused = self.focused
        if isinstance(focused, FigureTile):
            self.query_one("#explain", Static).update(content(focused.detail or TILES_HINT))
        heatmap = self.query_one(CohortHeatmap)
        cell = heatmap.cell_at(*heatmap.cursor_coordinate) if focused is heatmap else None
        self._show_cell(cell, focused is heatmap)

    @on(CohortHeatmap.CellShown)
    def _cell_shown(self, message: CohortHeatmap.CellShown) -> None:
        self._show_cell(message.cell, self.focused is self.query_one(CohortHeatmap))

    def _show_cell(self, cell: CohortCell | None, focused: bool) -> None:
        title = self.query_one("#cohort-title", Static)
        title.update(content(cohort_cell_text(cell) if focused else COHORT_TITLE))

    def action_focus_heatmap(self) -> None:
        self.query_one(CohortHeatmap).focus()

    # -- period and window --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "period":
            return parameters[0] == _next(PERIOD_KINDS, self.period)
        if action == "window":
            return parameters[0] == _next(WINDOWS, self.window_days)
        if action == "screen":
            return parameters[1] == (self.size.width >= NAMED_SCREENS_WIDTH)
        return True

    async def action_screen(self, name: str, _named: bool) -> None:
        await self.retain_app.action_go(name)

    def on_resize(self) -> None:
        self.refresh_bindings()  # the footer names the screens' keys only where they fit
        self._lay_out_tiles()

    def action_period(self, kind: str) -> None:
        self.set_figures(kind, self.window_days)

    def action_window(self, days: int) -> None:
        self.set_figures(self.period, days)

    def set_figures(self, period: str, window_days: int) -> None:
        """Show the figures for another period kind or window (recomputed in a worker)."""
        if (period, window_days) == (self.period, self.window_days):
            return
        self.period, self.window_days = period, window_days
        self.retain_app.remember(period=period, window_days=window_days)
        self.refresh_bindings()
        self._show_period_line()
        self._start_figures()

    def extra_commands(self) -> Iterable[SystemCommand]:
        for kind in PERIOD_KINDS:
            yield SystemCommand(
                f"Dashboard: figures per {kind}",
                f"CRR, churn and the chart by calendar {kind}",
                partial(self.set_figures, kind, self.window_days),
            )
        for days in WINDOWS:
            yield SystemCommand(
                f"Dashboard: active window {days} days",
                f"A customer counts as active for {days} days after an order",
                partial(self.set_figures, self.period, days),
            )

    # -- drilling down ------------------------------------------------------------------------

    def on_figure_tile_selected(self, message: FigureTile.Selected) -> None:
        drill = message.tile.drill
        if isinstance(drill, ListQuery):
            self._open(drill)
        elif isinstance(drill, SegmentMembers):
            self.find_segment(drill.name)
        elif isinstance(drill, PeriodMembers):
            self._drill_period(drill)

    def _open(self, query: ListQuery) -> None:
        from tui.screens.customers import CustomersScreen

        self.app.push_screen(CustomersScreen(query))

    def _drill_period(self, drill: PeriodMembers) -> None:
        period = self.shown
        row = period_row(self.stats, period) if self.stats is not None else None
        if period is None or row is None:
            self.notify("There is no complete period to show customers of yet.", markup=False)
        elif len(drill.figures) == 1:
            self.find_members(drill.figures[0], period)
        else:
            self._pick_members(drill, row, period)

    @work(exclusive=True, group="members-picker")
    async def _pick_members(
        self, drill: PeriodMembers, row: dict[str, object], period: Period
    ) -> None:
        from tui.screens.dialogs import PickScreen

        choices = [choice for choice in member_choices(row, period) if choice[0] in drill.figures]
        picked = await self.app.push_screen_wait(
            PickScreen(f"Which customers of {period.label}?", [text for _f, text in choices])
        )
        if picked is not None:
            self.find_members(choices[picked][0], period)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="dashboard-members",
        description="Finding the customers behind the figure",
    )
    def find_members(self, figure: str, period: Period) -> None:
        with self.retain_app.pool.borrow() as store:
            ids = members(store, figure, period.start, period.end, period.window_days)
        title = members_title(figure, period, len(ids))
        self.post_message(self.MembersFound(Restriction.of_ids(title, ids)))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="dashboard-members",
        description="Reading the segment",
    )
    def find_segment(self, name: str) -> None:
        with self.retain_app.pool.borrow() as store:
            restriction = self.retain_app.segments.restriction(store, name)
        self.post_message(self.MembersFound(restriction))

    def on_dashboard_screen_members_found(self, message: DashboardScreen.MembersFound) -> None:
        if self.app.screen is self:  # the owner may have moved on meanwhile
            self._open(ListQuery(sort="spent", descending=True, restriction=message.restriction))
