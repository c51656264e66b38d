"""A window onto the customer list: never more than `WINDOW` rows in the widget.

The table holds a few pages around the cursor. When the cursor comes within `MARGIN` rows of
either end of the window, the next page is read in a worker with a keyset query (after the
last row's sort key, or before the first's) and the far end is dropped, so 350,000 customers
cost what 300 do. `first_index` is the list position of the window's first row, for "row N of M".

Columns are chosen and sized by `tui/column_fit.py` from the terminal's width and what they
hold: text columns from the rows of each whole window read (a search, a sort, a reload),
number columns from the smallest and largest value over every customer, so paging never
changes them. Predicted CLV is a column only while `predict` has stored a fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.cells import cell_len
from rich.text import Text
from textual import events, work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from core.customer_pages import (
    PAGE,
    SORTS,
    ListQuery,
    ListRow,
    SortKey,
    clv_range,
    count,
    fetch_page,
    number_ranges,
    position,
)
from core.predict.stored import latest_fit
from core.store import Store
from tui import display
from tui.column_fit import SORT_ARROW, ColumnWant, fit_columns
from tui.safe_text import plain

if TYPE_CHECKING:
    from tui.app import RetainApp

WINDOW = 3 * PAGE
FIRST_PAGE = 50
"""Rows read for a new search or sort: a tall screen's worth; the rest follows as a prefetch."""
MARGIN = 40

Mode = Literal["first", "last", "in_place", "after", "before"]

SEGMENT = "segment"
CLV = "clv"


@dataclass(frozen=True)
class ListColumn:
    """One column of the list: how it is titled, aligned, and how it gives way (column_fit)."""

    key: str
    title: str
    right: bool = False
    minimum: int = 0
    flexible: bool = False
    required: bool = False
    give_way: int = 0


# Name and email keep 20 and 22 cells at 80 columns (issue 17); the others give way in this
# order as the terminal narrows: Predicted CLV first, then Country, Last order, Segment
# (the column the list is sorted by stays). Predicted CLV and not p_alive: one column is all
# 80-120 columns can spare, CLV is money beside Spent and already weighs the chance the
# customer is still active; p_alive is in customer detail and in segment filters.
_COLUMNS: list[ListColumn] = [
    ListColumn("name", "Name", minimum=20, flexible=True, required=True),
    ListColumn("email", "Email", minimum=22, flexible=True, required=True),
    ListColumn("country", "Ctry", give_way=3),
    ListColumn("orders", "Orders", right=True, required=True),
    ListColumn("spent", "Spent", right=True, required=True),
    ListColumn(CLV, "CLV", right=True, give_way=4),
    ListColumn("last_order", "Last order", give_way=2),
    ListColumn(SEGMENT, "Segment", minimum=9, flexible=True, give_way=1),
]
_SCROLLBAR = 2


class CustomerTable(DataTable[Text]):
    """The customers of `list_query`, paged from SQLite around the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "home,ctrl+home", "first", "First", show=False, tooltip="First customer of the list"
        ),
        Binding("end,ctrl+end", "last", "Last", show=False, tooltip="Last customer of the list"),
    ]

    @dataclass
    class Loaded(Message, bubble=False):
        generation: int
        mode: Mode
        rows: list[ListRow]
        total: int | None = None
        offset: int = 0
        labels: dict[int, str] = field(default_factory=dict)
        ranges: dict[str, tuple[int, int]] | None = None
        """Whole windows only: the smallest and largest value of each number column over
        every customer, and "clv" while a fit is stored (its absence: no fit)."""
        fit_id: int | None = None

    @dataclass
    class Counted(Message, bubble=False):
        generation: int
        total: int

    @dataclass
    class WindowChanged(Message):
        """Rows arrived: the window, its position or the total changed."""

        table: CustomerTable

        @property
        def control(self) -> CustomerTable:
            return self.table

    def __init__(
        self, query: ListQuery, *, currency: str | None = None, id: str | None = None
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.list_query = query
        self.currency = currency
        self.window: list[ListRow] = []
        self.labels: dict[int, str] = {}
        self.first_index = 0
        self.total: int | None = None
        self.at_start = True
        self.at_end = True
        self.generation = 0
        self.loads = 0
        """How many loads were applied: lets tests and benchmarks wait for fresh rows."""
        self._loading_edges: set[Mode] = set()
        self._keep: tuple[int | None, int, float] | None = None
        self._window_loading = False
        self._rebuilding = False
        self._column_state: tuple[object, ...] = ()
        self._shown: list[str] = []
        self.predicted = False
        """A fit is stored (core/predict): the Predicted CLV column is offered."""
        self.content_widths: dict[str, int] = {}
        """The widest cell of each column: text among the rows of the last whole window
        read, numbers over every customer; so columns do not change as the owner scrolls."""
        self._clv_range: tuple[int | None, tuple[int, int]] = (None, (0, 0))
        """(fit id, smallest and largest CLV): read once per fit."""

    @property
    def retain_app(self) -> RetainApp:
        return self.app  # type: ignore[return-value]

    @property
    def show_segments(self) -> bool:
        return self.retain_app.segments is not None

    @property
    def current(self) -> ListRow | None:
        """The customer under the cursor."""
        if 0 <= self.cursor_row < len(self.window):
            return self.window[self.cursor_row]
        return None

    @property
    def busy(self) -> bool:
        """Rows are being read."""
        return bool(self._loading_edges) or self._window_loading

    # -- asking for rows ----------------------------------------------------------------------

    def show_query(self, query: ListQuery) -> None:
        """Show another search, sort or restriction, from its first row."""
        self.list_query = query
        self._start("first")

    def reload(self) -> None:
        """Re-read the rows in place: the same customer stays under the cursor if still listed."""
        if not self.window:
            self._start("first")
            return
        current = self.current
        self._keep = (current.customer_id if current else None, self.cursor_row, self.scroll_y)
        self._start("in_place", self.window[0].key, max(len(self.window), PAGE))

    def action_first(self) -> None:
        if self.at_start:
            self.move_cursor(row=0)
        else:
            self._start("first")

    def action_last(self) -> None:
        if self.at_end:
            self.move_cursor(row=max(len(self.window) - 1, 0))
        else:
            self._start("last")

    def _start(self, mode: Mode, anchor: SortKey | None = None, limit: int = FIRST_PAGE) -> None:
        self.generation += 1
        self._loading_edges.clear()
        self._window_loading = True
        self._load_window(self.generation, self.list_query, mode, anchor, limit)

    def _labels(self, store: Store, rows: Sequence[ListRow]) -> dict[int, str]:
        segments = self.retain_app.segments
        if segments is None or not rows:
            return {}
        return segments.labels(store, [row.customer_id for row in rows])

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="customer-window",
        description="Reading customers",
    )
    def _load_window(
        self, generation: int, query: ListQuery, mode: Mode, anchor: SortKey | None, limit: int
    ) -> None:
        with self.retain_app.pool.borrow() as store:
            offset, total = 0, None
            if mode == "last":
                rows = fetch_page(store, query, direction="before", limit=limit)
                total = count(store, query)
                offset = max(total - len(rows), 0)
            elif mode == "in_place" and anchor is not None:
                rows = fetch_page(store, query, key=anchor, inclusive=True, limit=limit)
                offset = position(store, query, anchor)
            else:
                rows = fetch_page(store, query, limit=limit)
            if total is None and len(rows) < limit:
                total = offset + len(rows)  # the list ends here: nothing left to count
            labels = self._labels(store, rows)
            fit = latest_fit(store)
            ranges = number_ranges(store)
            if fit is not None:
                known_fit, known = self._clv_range
                ranges[CLV] = known if known_fit == fit.id else clv_range(store) or (0, 0)
            # The rows go first: counting a broad search can take as long again.
            fit_id = fit.id if fit else None
            self.post_message(
                self.Loaded(generation, mode, rows, total, offset, labels, ranges, fit_id)
            )
            if total is None:
                self.post_message(self.Counted(generation, count(store, query)))

    @work(
        thread=True,
        exit_on_error=False,
        group="customer-edge",
        description="Reading more customers",
    )
    def _load_edge(self, generation: int, query: ListQuery, mode: Mode, key: SortKey) -> None:
        direction = "after" if mode == "after" else "before"
        with self.retain_app.pool.borrow() as store:
            rows = fetch_page(store, query, key=key, direction=direction, limit=PAGE)
            labels = self._labels(store, rows)
        self.post_message(self.Loaded(generation, mode, rows, labels=labels))

    def _check_edges(self) -> None:
        if not self.window or self._window_loading or self._rebuilding:
            return
        row = self.cursor_row
        near_end = row >= len(self.window) - MARGIN
        if not self.at_end and near_end and "after" not in self._loading_edges:
            self._loading_edges.add("after")
            self._load_edge(self.generation, self.list_query, "after", self.window[-1].key)
        if not self.at_start and row < MARGIN and "before" not in self._loading_edges:
            self._loading_edges.add("before")
            self._load_edge(self.generation, self.list_query, "before", self.window[0].key)

    def watch_cursor_coordinate(self, old: object, new: object) -> None:  # type: ignore[override]
        super().watch_cursor_coordinate(old, new)  # type: ignore[arg-type]
        self._check_edges()

    # -- showing rows -------------------------------------------------------------------------

    def on_customer_table_loaded(self, message: CustomerTable.Loaded) -> None:
        if message.generation != self.generation:
            return  # a newer search, sort or reload replaced this one
        rows = message.rows
        self.labels.update(message.labels)
        if message.ranges is not None:  # a whole window: widths are decided again
            self.predicted = CLV in message.ranges
            if message.fit_id is not None:
                self._clv_range = (message.fit_id, message.ranges[CLV])
            self._measure(rows, message.ranges)
        if message.mode in ("first", "last", "in_place"):
            self._window_loading = False
            self.total = message.total
            self.window = rows
            self.first_index = message.offset
            self.at_start = self.first_index == 0
            self.at_end = (
                message.total is not None and self.first_index + len(rows) >= message.total
            )
            if message.mode == "first":
                self._rebuild(0, 0.0)
            elif message.mode == "last":
                self._rebuild(len(rows) - 1, float(len(rows)))
            else:
                self._rebuild(*self._kept_place(rows))
        elif message.mode == "after":
            self._loading_edges.discard("after")
            self.at_end = len(rows) < PAGE
            self.window += rows
            drop = len(self.window) - WINDOW
            if drop > 0:
                self.window = self.window[drop:]
                self.first_index += drop
                self.at_start = False
                self._rebuild(self.cursor_row - drop, self.scroll_y - drop)
            else:
                self._add(rows)
        else:
            self._loading_edges.discard("before")
            self.window = rows + self.window
            self.first_index = max(self.first_index - len(rows), 0)
            self.at_start = len(rows) < PAGE or self.first_index == 0
            if len(self.window) > WINDOW:
                self.window = self.window[:WINDOW]
                self.at_end = False
            self._rebuild(self.cursor_row + len(rows), self.scroll_y + len(rows))
        self.loads += 1
        self.post_message(self.WindowChanged(self))
        self.call_after_refresh(self._check_edges)

    def on_customer_table_counted(self, message: CustomerTable.Counted) -> None:
        if message.generation == self.generation:
            self.total = message.total
            self.at_end = self.first_index + len(self.window) >= message.total
            self.post_message(self.WindowChanged(self))

    def _kept_place(self, rows: list[ListRow]) -> tuple[int, float]:
        customer_id, row, scroll = self._keep or (None, 0, 0.0)
        self._keep = None
        for index, item in enumerate(rows):
            if item.customer_id == customer_id:
                return index, scroll + (index - row)
        return min(row, max(len(rows) - 1, 0)), scroll

    def _rebuild(self, cursor_row: int, scroll_y: float) -> None:
        new_columns = self._column_state != self._wanted_columns()
        self._rebuilding = True  # the cursor passes through row 0: that is not the owner
        try:
            self.clear(columns=new_columns)
            if new_columns:
                self._add_columns()
            self._add(self.window)
            cursor_row = min(max(cursor_row, 0), max(len(self.window) - 1, 0))
            self.move_cursor(row=cursor_row, animate=False, scroll=False)
        finally:
            self._rebuilding = False
        self.call_after_refresh(self._settle, cursor_row, scroll_y)

    def _settle(self, cursor_row: int, scroll_y: float) -> None:
        self.scroll_to(y=max(scroll_y, 0), animate=False, immediate=True)
        if self.window:
            self.move_cursor(row=cursor_row, animate=False, scroll=True)

    def _add(self, rows: Sequence[ListRow]) -> None:
        for row in rows:
            self.add_row(*self._cells(row), key=str(row.customer_id))

    def _cells(self, row: ListRow) -> list[Text]:
        cells = self._all_cells(row)
        return [cells[key] for key in self._shown]

    def _all_cells(self, row: ListRow) -> dict[str, Text]:
        cells = {
            "name": plain(row.name),
            "email": plain(row.email),
            "country": plain(row.country),
            "orders": plain(display.count(row.orders), justify="right"),
            "spent": plain(self._money(row.revenue), justify="right"),
            CLV: plain(self._money(row.clv), justify="right"),
            "last_order": plain(display.day(row.last_day)),
        }
        if self.show_segments:
            cells[SEGMENT] = plain(self.labels.get(row.customer_id))
        return cells

    # -- columns ------------------------------------------------------------------------------

    def _measure(self, rows: Sequence[ListRow], ranges: dict[str, tuple[int, int]]) -> None:
        widths: dict[str, int] = {}
        for row in rows:
            for key, cell in self._all_cells(row).items():
                widths[key] = max(widths.get(key, 0), cell.cell_len)
        shown = {"orders": display.count, CLV: self._money, "spent": self._money}
        for key, (low, high) in ranges.items():
            widths[key] = max(cell_len(shown[key](value)) for value in (low, high))
        self.content_widths = widths

    def _money(self, cents: int | None) -> str:
        return display.money(cents, self.currency)

    def _columns(self) -> list[ListColumn]:
        """The columns this list can show: Segment with segments, CLV with a stored fit."""
        hidden = {SEGMENT} if not self.show_segments else set()
        if not self.predicted:
            hidden.add(CLV)  # absent, not a column of dashes
        return [column for column in _COLUMNS if column.key not in hidden]

    def layout(self) -> dict[str, int]:
        """The columns shown at the table's width, and their widths (tui/column_fit.py)."""
        wants = [
            ColumnWant(
                key=column.key,
                title=cell_len(column.title) + (len(SORT_ARROW) if column.key in SORTS else 0),
                content=self.content_widths.get(column.key, 0),
                minimum=column.minimum,
                flexible=column.flexible,
                # The column the list is sorted by never gives way: its arrow says so.
                required=column.required or column.key == self.list_query.sort,
                give_way=column.give_way,
            )
            for column in self._columns()
        ]
        available = self.size.width - _SCROLLBAR
        # Filled: later pages may hold longer names than the rows measured.
        return fit_columns(available, wants, padding=2 * self.cell_padding, fill=True)

    def _wanted_columns(self) -> tuple[object, ...]:
        query = self.list_query
        return (tuple(self.layout().items()), query.sort, query.descending)

    def _add_columns(self) -> None:
        self._column_state = self._wanted_columns()
        widths = dict(self._column_state[0])  # type: ignore[arg-type]
        self._shown = list(widths)
        sort = SORTS[self.list_query.sort]
        arrow = " ▼" if self.list_query.descending else " ▲"
        for column in self._columns():
            if column.key not in widths:
                continue
            label = column.title + (arrow if column.key == sort.name else "")
            justify = "right" if column.right else "left"
            self.add_column(Text(label, justify=justify), width=widths[column.key], key=column.key)

    def on_resize(self, event: events.Resize) -> None:
        if self.columns and self._column_state != self._wanted_columns():
            self._rebuild(self.cursor_row, self.scroll_y)
