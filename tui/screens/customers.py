"""All customers: search as you type, sort by any column, open one with Enter.

Typing in the search box waits `SEARCH_DEBOUNCE` seconds for the next key, then the table
re-reads its first page in a worker; a newer search always replaces an older one. The
Segment column (each customer's RFM segment) and the `f` filter come from the app's
`SegmentProvider`. A restriction (a segment, or the customers behind a dashboard figure) is
named in the title line; `x` clears it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from core.customer_pages import SORTS, ListQuery, Restriction
from tui import display
from tui.safe_text import clean, content
from tui.screens.base import RetainScreen
from tui.widgets.customer_table import CLV, CustomerTable
from tui.widgets.footer import RetainFooter

SEARCH_DEBOUNCE = 0.025
SORT_ORDER = list(SORTS)


class CustomersScreen(RetainScreen):
    SCREEN_NAME = "customers"
    TITLE_TEXT = "Customers"
    PURPOSE = "Every customer: search by name or email, sort by any column, open one."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "focus_search",
            "Search",
            key_display="/",
            tooltip="Search names and email as you type",
            # Priority: handled as the key arrives, so letters typed right after "/" land in
            # the search box instead of racing the focus change to the list.
            priority=True,
        ),
        Binding("s", "next_sort", "Sort", tooltip="Sort by the next column"),
        Binding("S", "reverse_sort", "Reverse", key_display="S", tooltip="Reverse the sort order"),
        Binding("f", "filter_segment", "Segment", tooltip="Show one segment only"),
        Binding("x", "clear_filters", "Clear", tooltip="Clear the search and the filter"),
        Binding("escape", "back", "Back", tooltip="Leave the search, then go back"),
    ]

    @dataclass
    class Restricted(Message):
        restriction: Restriction

    def __init__(self, query: ListQuery | None = None) -> None:
        super().__init__()
        self.initial_query = query or ListQuery()
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-bar"):
            yield Input(
                value=self.initial_query.search,
                placeholder="Search name or email  ( / )",
                id="search",
                compact=True,
            )
            yield Static("", id="restriction", markup=False)
        yield CustomerTable(
            self.initial_query,
            currency=self.retain_app.store.get_setting("shop.currency"),
            id="customers",
        )
        yield Static("", id="list-status", markup=False)
        yield RetainFooter()

    @property
    def table(self) -> CustomerTable:
        return self.query_one(CustomerTable)

    @property
    def list_query(self) -> ListQuery:
        return self.table.list_query

    def on_mount(self) -> None:
        self._show_restriction()
        self.set_focus(self.table)
        self.table.show_query(self.initial_query)

    def reload(self) -> None:
        self.table.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter_segment":
            return self.retain_app.segments is not None
        return True

    # -- search -------------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.set_focus(self.query_one("#search", Input))

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, partial(self._search, event.value))

    def _search(self, text: str) -> None:
        self._search_timer = None
        if text != self.list_query.search:
            self.table.show_query(replace(self.list_query, search=text))

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.set_focus(self.table)

    # -- sorting and filtering ----------------------------------------------------------------

    def sort_by(self, name: str, descending: bool | None = None) -> None:
        if descending is None:
            descending = SORTS[name].descending_first
        self.table.show_query(replace(self.list_query, sort=name, descending=descending))

    def sorts(self) -> list[str]:
        """The sorts on offer: by predicted CLV only once `predict` stored a fit."""
        return [name for name in SORT_ORDER if name != CLV or self.table.predicted]

    def action_next_sort(self) -> None:
        order = self.sorts()
        index = order.index(self.list_query.sort) if self.list_query.sort in order else -1
        self.sort_by(order[(index + 1) % len(order)])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.list_query.sort, not self.list_query.descending)

    @on(DataTable.HeaderSelected)
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        name = event.column_key.value
        if name in SORTS:
            if name == self.list_query.sort:
                self.action_reverse_sort()
            else:
                self.sort_by(name)

    def restrict(self, restriction: Restriction | None) -> None:
        self.table.show_query(replace(self.list_query, restriction=restriction))
        self._show_restriction()

    def action_filter_segment(self) -> None:
        if self.retain_app.segments is not None:
            self._pick_segment()

    @work(exclusive=True, group="segment-picker")
    async def _pick_segment(self) -> None:
        from tui.screens.segment_picker import SegmentPickerScreen

        name = await self.app.push_screen_wait(SegmentPickerScreen())
        if name is not None:
            self.query_one("#list-status", Static).update(content(f"Reading segment {name}…"))
            self._load_segment(name)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="segment-members",
        description="Reading the segment",
    )
    def _load_segment(self, name: str) -> None:
        segments = self.retain_app.segments
        assert segments is not None
        with self.retain_app.pool.borrow() as store:
            restriction = segments.restriction(store, name)
        self.post_message(self.Restricted(restriction))

    def on_customers_screen_restricted(self, message: CustomersScreen.Restricted) -> None:
        self.restrict(message.restriction)

    def action_clear_filters(self) -> None:
        search = self.query_one("#search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        self.table.show_query(replace(self.list_query, search="", restriction=None))
        self._show_restriction()

    def _show_restriction(self) -> None:
        """The restriction in the header's title line and beside the search box."""
        restriction = self.list_query.restriction
        self.sub_title = clean(restriction.label) if restriction else ""
        label = self.query_one("#restriction", Static)
        label.update(content(f"only: {restriction.label}" if restriction else ""))
        label.display = restriction is not None

    # -- moving around ------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.set_focus(self.table)
        else:
            self.app.pop_screen()

    @on(DataTable.RowSelected, "#customers")
    def _open_customer(self, event: DataTable.RowSelected) -> None:
        from tui.screens.customer_detail import CustomerDetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(CustomerDetailScreen(int(event.row_key.value)))

    @on(CustomerTable.WindowChanged)
    @on(DataTable.RowHighlighted, "#customers")
    def _update_status(self) -> None:
        table = self.table
        status = self.query_one("#list-status", Static)
        query = self.list_query
        sort = SORTS[query.sort]
        order = "▼" if query.descending else "▲"
        if table.total is None and not table.window:
            status.update("Reading customers…")
            return
        searched = f" matching “{clean(query.search)}”" if query.search.strip() else ""
        if table.total == 0:
            status.update(content(f"No customers{searched}."))
            return
        where = table.first_index + table.cursor_row + 1
        total = "…" if table.total is None else display.count(table.total)  # still counting
        status.update(
            content(
                f"{display.count(where)} of {total} customers{searched}"
                f" · by {sort.title.lower()} {order}"
            )
        )

    def extra_commands(self) -> Iterable[SystemCommand]:
        for sort in (SORTS[name] for name in self.sorts()):
            yield SystemCommand(
                f"Customers: sort by {sort.title.lower()}",
                f"Order the list by {sort.title.lower()}",
                partial(self.sort_by, sort.name),
            )
