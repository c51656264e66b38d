"""Make or change one of the owner's segments: a name and a filter, checked as you type.

Each pause in typing (`CHECK_DEBOUNCE`) checks the filter in a worker: a problem shows its
message with a caret under the column it is about, a valid filter shows how many customers
it matches. Saving checks everything again in core (`add_segment`), so the screen can never
store what core would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Header, Input, Label, Static
from textual.worker import Worker, WorkerState

from core.segment_catalog import clean_name
from core.segment_fields import FIELDS
from core.segments import (
    FilterError,
    SegmentError,
    SegmentInfo,
    add_segment,
    count_matching,
    validate_expression,
)
from tui import display
from tui.safe_text import clean, content
from tui.screens.base import RetainScreen
from tui.screens.dialogs import ConfirmScreen
from tui.widgets.footer import RetainFooter

CHECK_DEBOUNCE = 0.15
FUNCTIONS = ('bought("SKU", ...)', 'bought_product("name", ...)')


@dataclass(frozen=True)
class Check:
    """What the worker found for one text: a problem, or how many customers match."""

    text: str
    error: FilterError | None = None
    count: int | None = None


class SegmentFormScreen(RetainScreen):
    SCREEN_NAME = "segment-form"
    TITLE_TEXT = "Segment"
    CSS_PATH = "segments.tcss"
    PURPOSE = "Your own segment: a name and a filter, checked and counted as you type."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the segment (refused while invalid)"),
        Binding("escape", "cancel", "Cancel", tooltip="Back without saving (asks if changed)"),
    ]

    @dataclass
    class Checked(Message):
        check: Check

    @dataclass
    class Saved(Message):
        name: str

    @dataclass
    class Refused(Message):
        reason: str
        position: int | None = None

    def __init__(self, existing: SegmentInfo | None = None) -> None:
        """`existing`: the owner's segment to change (its name stays); None makes a new one."""
        super().__init__()
        self.existing = existing
        self.title = f"Edit segment {clean(existing.name)}" if existing else "New segment"
        self.last_check: Check | None = None
        self.checks = 0
        """How many checks were shown: lets tests wait for the one after their typing."""
        self._timer: Timer | None = None
        self._saving = False

    def compose(self) -> ComposeResult:
        existing = self.existing
        yield Header()
        with Vertical(id="segment-form"):
            yield Label("Name")
            yield Input(
                value=existing.name if existing else "",
                placeholder="e.g. Lapsed DACH repeaters",
                id="segment-name",
                disabled=existing is not None,
                max_length=60,
                select_on_focus=False,
                compact=True,
            )
            yield Static("", id="name-problem", classes="form-problem", markup=False)
            yield Label("Filter")
            yield Input(
                value=existing.definition if existing else "",
                placeholder='e.g. orders >= 2 and country in ("DE", "AT")',
                id="segment-expression",
                max_length=5_000,
                select_on_focus=False,
                compact=True,
            )
            yield Static("", id="expression-caret", markup=False)
            yield Static("", id="expression-problem", classes="form-problem", markup=False)
            yield Static("", id="expression-count", markup=False)
            yield Static(content(self._reference()), id="segment-reference")
        yield RetainFooter()

    def _reference(self) -> str:
        fields = ", ".join(FIELDS)
        rename = "To rename it, make a new segment and delete this one. " if self.existing else ""
        return (
            f"{rename}Fields: {fields}. Functions: {', '.join(FUNCTIONS)}. "
            "Operators: = != < <= > >= in, not in, contains, startswith, and, or, not. "
            "Text in quotes; money in currency units; dates as 2025-01-31."
        )

    def on_mount(self) -> None:
        if self.existing:
            self.query_one("#segment-expression", Input).focus()
            self._schedule(self.existing.definition)
        else:
            self.query_one("#segment-name", Input).focus()
            self._show_count("Type a filter: it is checked and counted as you type.")

    def reload(self) -> None:
        """The store changed: count the filter again."""
        if self.expression.strip():
            self._schedule(self.expression)

    @property
    def name_text(self) -> str:
        return self.query_one("#segment-name", Input).value

    @property
    def expression(self) -> str:
        return self.query_one("#segment-expression", Input).value

    # -- checking as you type -----------------------------------------------------------------

    @on(Input.Changed, "#segment-name")
    def _name_changed(self) -> None:
        self._show_name_problem(self._name_problem(quiet_when_empty=True))

    def _name_problem(self, *, quiet_when_empty: bool = False) -> str | None:
        if self.existing:
            return None
        if quiet_when_empty and not self.name_text.strip():
            return None
        try:
            clean_name(self.name_text)
        except SegmentError as exc:
            return str(exc)
        return None

    def _show_name_problem(self, problem: str | None) -> None:
        self.query_one("#name-problem", Static).update(content(problem or ""))

    @on(Input.Changed, "#segment-expression")
    def _expression_changed(self, event: Input.Changed) -> None:
        self._schedule(event.value)

    def _schedule(self, text: str) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.query_one("#expression-count", Static).add_class("stale")
        self._timer = self.set_timer(CHECK_DEBOUNCE, partial(self.check_expression, text))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="segment-check",
        description="Checking the filter",
    )
    def check_expression(self, text: str) -> None:
        with self.retain_app.pool.borrow() as store:
            error = validate_expression(store, text)
            count = None if error else count_matching(store, text)
        self.post_message(self.Checked(Check(text, error, count)))

    def on_segment_form_screen_checked(self, message: SegmentFormScreen.Checked) -> None:
        check = message.check
        if check.text != self.expression:
            return  # typing went on: a newer check is coming
        self.last_check = check
        self.checks += 1
        if check.error is not None:
            self._show_problem(check.error.message, check.error.position)
            self._show_count("")
        else:
            self._show_problem(None)
            self._show_count(f"✓ Matches {display.plural(check.count, 'customer')}.")

    def _show_problem(self, message: str | None, position: int | None = None) -> None:
        caret = self.query_one("#expression-caret", Static)
        self.query_one("#expression-problem", Static).update(content(message or ""))
        caret.update(self._caret(position) if message is not None and position is not None else "")

    def _caret(self, position: int) -> str:
        """A line with `^` under column `position` of the expression as the input shows it."""
        field = self.query_one("#segment-expression", Input)
        text = self.expression
        position = max(0, min(position, len(text)))
        column = cell_len(text[:position]) - round(field.scroll_offset.x)
        column += field.content_region.x - self.query_one("#expression-caret").content_region.x
        if column < 0 or column >= max(field.content_size.width, 1):
            return f"^ (column {position + 1}, scrolled out of view)"
        return " " * column + "^"

    def _show_count(self, text: str) -> None:
        count = self.query_one("#expression-count", Static)
        count.update(content(text))
        count.remove_class("stale")

    # -- saving -------------------------------------------------------------------------------

    @on(Input.Submitted, "#segment-name")
    def _name_submitted(self) -> None:
        self.query_one("#segment-expression", Input).focus()

    @on(Input.Submitted, "#segment-expression")
    def action_save(self) -> None:
        if self._saving:
            return
        name_problem = self._name_problem()
        self._show_name_problem(name_problem)
        if name_problem:
            self.notify(f"Not saved: {name_problem}", severity="error", markup=False)
            self.query_one("#segment-name", Input).focus()
            return
        self._saving = True
        name = self.existing.name if self.existing else self.name_text
        self.save_segment(name, self.expression)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="segment-write",
        description="Saving the segment",
    )
    def save_segment(self, name: str, expression: str) -> None:
        try:
            with self.retain_app.writing() as store:
                saved = add_segment(store, name, expression, replace=self.existing is not None)
        except FilterError as exc:
            self.post_message(self.Refused(exc.message, exc.position))
        except SegmentError as exc:
            self.post_message(self.Refused(str(exc)))
        else:
            self.post_message(self.Saved(saved))

    @on(Worker.StateChanged)
    def _allow_saving_after_a_failure(self, event: Worker.StateChanged) -> None:
        # RetainScreen turns the failure itself into a notice.
        if event.worker.group == "segment-write" and event.state is WorkerState.ERROR:
            self._saving = False

    def on_segment_form_screen_refused(self, message: SegmentFormScreen.Refused) -> None:
        self._saving = False
        if message.position is not None:
            self._show_problem(message.reason, message.position)
            self.query_one("#segment-expression", Input).focus()
        else:
            self._show_name_problem(message.reason)
        self.notify(f"Not saved: {clean(message.reason)}", severity="error", markup=False)

    def on_segment_form_screen_saved(self, message: SegmentFormScreen.Saved) -> None:
        self.notify(f"Saved your segment {clean(message.name)}.", markup=False)
        self.retain_app.check_store()
        self.dismiss(message.name)  # type: ignore[arg-type]

    # -- leaving ------------------------------------------------------------------------------

    @property
    def changed(self) -> bool:
        if self.existing:
            return self.expression != self.existing.definition
        return bool(self.name_text.strip() or self.expression.strip())

    @work(exclusive=True, group="segment-cancel")
    async def action_cancel(self) -> None:
        if self.changed:
            question = "Leave without saving? What you typed is lost."
            if not await self.app.push_screen_wait(ConfirmScreen(question, "Leave", "Stay")):
                return
        self.dismiss(None)
