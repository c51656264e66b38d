"""Every flow: its trigger in words, on or off, its last run and how many customers are due.

The list is read first (`flow_statuses(count_due=False)`, quick) and shown; the counts, which
evaluate every trigger over the customers, fill in from a second worker. "Today" is the
store's as-of date, as in `retain-tui flows`. Enter or space turns a flow on (from the as-of
date: no backlog) or off, `a` adds one, `x` removes one of the owner's. Running flows stays
the job of `retain-tui flows run` from cron: the help screen (?) shows the line to use.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from core.as_of import resolve_as_of
from core.flows import (
    Flow,
    FlowError,
    FlowStatus,
    disable_flow,
    enable_flow,
    flow_statuses,
    remove_flow,
)
from tui import display
from tui.flow_words import (
    due_cell,
    due_line,
    run_line,
    settings_line,
    state_word,
    trigger_words,
)
from tui.safe_text import EMPTY, clean, content, plain
from tui.screens.base import RetainScreen
from tui.screens.dialogs import ConfirmScreen
from tui.widgets.footer import RetainFooter

# (key, title, width, right-aligned, wide only); the name column takes what is left.
_COLUMNS: list[tuple[str, str, int, bool, bool]] = [
    ("when", "When", 29, False, False),
    ("template", "Template", 22, False, True),
    ("state", "On", 3, False, False),
    ("due", "Due", 7, True, False),
    ("last_run", "Last run", 10, False, True),
]
_MIN_NAME = 14
_WIDE = 110
"""From this many columns on, the table also shows each flow's template and last run."""
_SCROLLBAR = 2


def cron_line(db_path: Path) -> str:
    """The crontab line that runs the flows of this shop every morning. Cron's PATH is short:
    the command is named by its full path when it can be found."""
    command = shutil.which("retain-tui") or "retain-tui"
    return f"15 6 * * * {shlex.quote(command)} --db {shlex.quote(str(db_path))} flows run"


class FlowTable(DataTable[Text]):
    """One row per flow; the template and last-run columns only where they fit."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "On/off", tooltip="Turn the flow on or off"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.statuses: list[FlowStatus] = []
        self.counted: dict[str, FlowStatus] = {}
        """The statuses with their counts, by flow name, once the counting worker is done."""
        self._layout: tuple[int, bool] = (0, False)

    @property
    def current(self) -> FlowStatus | None:
        row = self.cursor_row
        return self.statuses[row] if 0 <= row < len(self.statuses) else None

    def show(self, statuses: list[FlowStatus], keep: str | None = None) -> None:
        """Show `statuses` (counts not known yet), the cursor on `keep` or where it was."""
        keep = keep or (self.current.flow.name if self.current else None)
        self.statuses = statuses
        self.counted = {}
        self._rebuild()
        self.select_name(keep)

    def show_counts(self, statuses: list[FlowStatus]) -> None:
        """Fill in the counts of the flows shown (one added since the list was read waits
        for the next list)."""
        self.counted = {status.flow.name: status for status in statuses}
        for status in self.statuses:
            if (counted := self.counted.get(status.flow.name)) is not None:
                self.update_cell(status.flow.name, "due", _due(counted), update_width=False)

    def due_of(self, status: FlowStatus) -> FlowStatus | None:
        """The status that says who is due for `status`'s flow: counted, or known not to run
        (a vanished template shows before counting); None while counting."""
        return self.counted.get(status.flow.name) or (status if status.problem else None)

    def select_name(self, name: str | None) -> bool:
        for row, status in enumerate(self.statuses):
            if status.flow.name == name:
                self.move_cursor(row=row, animate=False)
                return True
        if self.statuses:
            self.move_cursor(row=max(0, min(self.cursor_row, len(self.statuses) - 1)))
        return False

    def _wanted_layout(self) -> tuple[int, bool]:
        wide = self.size.width >= _WIDE
        columns = [c for c in _COLUMNS if wide or not c[4]]
        fixed = sum(width for _key, _title, width, _right, _wide in columns)
        padding = 2 * self.cell_padding * (len(columns) + 1)
        return max(_MIN_NAME, self.size.width - _SCROLLBAR - fixed - padding), wide

    def _rebuild(self) -> None:
        layout = self._wanted_layout()
        new_columns = layout != self._layout
        self.clear(columns=new_columns)
        name_width, wide = layout
        if new_columns:
            self._layout = layout
            self.add_column("Flow", width=name_width, key="name")
            for key, title, width, right, wide_only in _COLUMNS:
                if wide or not wide_only:
                    label = Text(title, justify="right" if right else "left")
                    self.add_column(label, width=width, key=key)
        for status in self.statuses:
            self.add_row(*_cells(status, self.due_of(status), wide), key=status.flow.name)

    def on_resize(self) -> None:
        if self._wanted_layout() != self._layout:
            self._rebuild()


def _due(status: FlowStatus | None) -> Text:
    text = due_cell(status)
    return plain(text, justify="right", style="red" if status and status.problem else "")


def _cells(status: FlowStatus, due: FlowStatus | None, wide: bool) -> list[Text]:
    flow = status.flow
    cells = [plain(flow.name), plain(trigger_words(flow))]
    if wide:
        cells.append(plain(flow.template))
    cells.append(plain(state_word(flow), style="bold" if flow.enabled else "dim"))
    cells.append(_due(due))
    if wide:
        last = status.last_run_as_of
        cells.append(plain(last.isoformat() if last else EMPTY))
    return cells


class FlowsScreen(RetainScreen):
    SCREEN_NAME = "flows"
    TITLE_TEXT = "Flows"
    CSS_PATH = "flows.tcss"
    PURPOSE = "Automated emails: turn each flow on or off, add your own, see who is due today."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "On/off", show=False, tooltip="Turn the flow on or off"),
        Binding("a", "add", "Add", tooltip="Add a flow of your own"),
        Binding("x,delete", "remove", "Remove", tooltip="Remove your own flow (asks first)"),
    ]

    @dataclass
    class Listed(Message):
        generation: int
        statuses: list[FlowStatus]
        as_of: date

    @dataclass
    class Counted(Message):
        generation: int
        statuses: list[FlowStatus]

    @dataclass
    class Written(Message):
        """A toggle or a removal landed (`flow` None: removed), or was refused (`error`)."""

        name: str
        flow: Flow | None = None
        error: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.as_of: date | None = None
        self.generation = 0
        self.loads = 0
        """How many lists were shown: lets tests wait for a fresh one."""
        self.counts = 0
        """How many sets of counts were shown: lets tests wait for the counts."""
        self._select_name: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield FlowTable(id="flows")
        yield Static("", id="flow-detail", markup=False)
        yield Static("Reading flows…", id="flows-status", markup=False)
        yield RetainFooter()

    @property
    def table(self) -> FlowTable:
        return self.query_one(FlowTable)

    @property
    def current(self) -> FlowStatus | None:
        return self.table.current

    def help_lines(self) -> list[str]:
        """For the help screen: flows run from cron, not from the app."""
        return [
            "Flows run from cron, not from the app; each morning, say:",
            cron_line(self.retain_app.db_path),
        ]

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    def reload(self) -> None:
        self.generation += 1
        self.list_flows(self.generation)

    # -- reading ------------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="flows",
        description="Reading the flows",
    )
    def list_flows(self, generation: int) -> None:
        with self.retain_app.pool.borrow() as store:
            as_of = resolve_as_of(store)
            statuses = flow_statuses(store, as_of, count_due=False)
        self.post_message(self.Listed(generation, statuses, as_of))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="flow-counts",
        description="Counting who is due for each flow",
    )
    def count_flows(self, generation: int, as_of: date) -> None:
        with self.retain_app.pool.borrow() as store:
            statuses = flow_statuses(store, as_of, count_due=True)
        self.post_message(self.Counted(generation, statuses))

    def on_flows_screen_listed(self, message: FlowsScreen.Listed) -> None:
        if message.generation != self.generation:
            return  # a newer read is coming
        self.as_of = message.as_of
        keep = self._select_name
        self._select_name = None
        self.table.show(message.statuses, keep)
        self._show_status()
        self._show_detail()
        self.loads += 1
        self.count_flows(message.generation, message.as_of)

    def on_flows_screen_counted(self, message: FlowsScreen.Counted) -> None:
        if message.generation != self.generation:
            return
        self.table.show_counts(message.statuses)
        self._show_status()
        self._show_detail()
        self.counts += 1

    def _show_status(self) -> None:
        statuses = self.table.statuses
        on = sum(status.flow.enabled for status in statuses)
        as_of = self.as_of.isoformat() if self.as_of else EMPTY
        problems = sum(bool(status.problem) for status in statuses)  # known before counting
        cannot = f" · {problems} cannot run" if problems else ""
        text = (
            f"{display.plural(len(statuses), 'flow')}, {on} on{cannot} · due as of {as_of}"
            " · ? shows the cron line"
        )
        self.query_one("#flows-status", Static).update(content(text))

    @on(DataTable.RowHighlighted, "#flows")
    def _show_detail(self) -> None:
        status = self.current
        detail = self.query_one("#flow-detail", Static)
        if status is None or self.as_of is None:
            detail.update(content("No flows. Press a to add one."))
            return
        flow = status.flow
        counted = self.table.due_of(status)
        owner = "shipped" if flow.shipped else "your own"
        due_style = "red" if counted is not None and counted.problem else ""
        toggle = "off" if flow.enabled else "on"
        keys = (
            f"Enter turns it {toggle}; shipped flows cannot be removed."
            if flow.shipped
            else f"Enter turns it {toggle}; x removes it."
        )
        lines = [
            Content.assemble(
                content(flow.name, style="bold"), content(f" · {owner} · trigger {flow.trigger}")
            ),
            content(settings_line(flow)),
            content(run_line(status)),
            content(due_line(counted, self.as_of), style=due_style),
            content(keys, style="dim"),
        ]
        detail.update(Content("\n").join(lines))

    # -- on and off ---------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#flows")
    def action_toggle(self) -> None:
        status = self.current
        if status is not None:
            self.toggle_flow(status.flow.name, not status.flow.enabled)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="flow-write",
        description="Turning the flow on or off",
    )
    def toggle_flow(self, name: str, enable: bool) -> None:
        try:
            with self.retain_app.writing() as store:
                if enable:
                    flow = enable_flow(store, name, resolve_as_of(store))
                else:
                    flow = disable_flow(store, name)
        except FlowError as exc:
            self.post_message(self.Written(name, error=str(exc)))
        else:
            self.post_message(self.Written(name, flow))

    # -- adding and removing ------------------------------------------------------------------

    def action_add(self) -> None:
        from tui.screens.flow_form import FlowFormScreen

        self.app.push_screen(FlowFormScreen(), callback=self._form_closed)

    def _form_closed(self, saved: str | None) -> None:
        """Put the cursor on the new flow, now or when the list read after saving arrives."""
        if saved:
            self._select_name = saved
            self.table.select_name(saved)

    @work(exclusive=True, group="flow-remove")
    async def action_remove(self) -> None:
        status = self.current
        if status is None:
            return
        flow = status.flow
        if flow.shipped:
            self.notify(
                f"{clean(flow.name)} is a shipped flow: it cannot be removed. Enter turns it off.",
                severity="warning",
                markup=False,
            )
            return
        question = f"Remove your flow “{clean(flow.name)}”? Its past runs stay as campaigns."
        if await self.app.push_screen_wait(ConfirmScreen(question, "Remove", "Keep")):
            self.delete_flow(flow.name)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="flow-write",
        description="Removing the flow",
    )
    def delete_flow(self, name: str) -> None:
        try:
            with self.retain_app.writing() as store:
                remove_flow(store, name)
        except FlowError as exc:
            self.post_message(self.Written(name, error=str(exc)))
        else:
            self.post_message(self.Written(name))

    def on_flows_screen_written(self, message: FlowsScreen.Written) -> None:
        if message.error:
            self.notify(clean(message.error), severity="error", timeout=10, markup=False)
            return
        flow = message.flow
        if flow is None:
            said = f"Removed your flow {clean(message.name)}."
        elif flow.enabled:
            since = flow.enabled_as_of.isoformat() if flow.enabled_as_of else EMPTY
            said = (
                f"{clean(flow.name)} is on: customers whose trigger fires after {since} "
                "enter it at the next flows run (nobody before: no backlog)."
            )
        else:
            said = f"{clean(flow.name)} is off."
        self.notify(said, markup=False)
        self._select_name = message.name if flow is not None else None
        if not self.retain_app.check_store():
            self.reload()
