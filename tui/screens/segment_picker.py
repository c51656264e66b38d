"""Pick a segment to narrow the customer list to, seeing each one's size before choosing.

Counting every segment takes a moment on a big shop, so the dialog opens at once, counts in
a worker and fills in; typing narrows the list (tui/screens/filter_picker.py). Returns the
chosen segment's name, or None on Escape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, LoadingIndicator, OptionList, Static
from textual.worker import Worker, WorkerState

from tui.safe_text import EMPTY, clean, content
from tui.screens.filter_picker import FilterPickerScreen, PickItem
from tui.segment_provider import SegmentChoice

if TYPE_CHECKING:
    from tui.app import RetainApp

NAME_WIDTH = 26
KIND_TITLES = {"rfm": "RFM", "behaviour": "Behaviour", "custom": "Your own"}


def choice_line(choice: SegmentChoice) -> str:
    """'At Risk                      30,284    25,932': name, members, with consent."""
    name = clean(choice.name)
    if len(name) > NAME_WIDTH:
        name = name[: NAME_WIDTH - 1] + "…"
    if choice.error:
        return f"{name:<{NAME_WIDTH}} cannot run"
    marketing = EMPTY if choice.marketing_count is None else f"{choice.marketing_count:,}"
    return f"{name:<{NAME_WIDTH}} {choice.count:>9,} {marketing:>9}"


class SegmentPickerScreen(FilterPickerScreen):
    # Its own ids and layout, so it opens the same from any screen: tall enough for the
    # twenty-odd segments, with a scrollbar past that.
    DEFAULT_CSS = """
    SegmentPickerScreen {
        align: center middle;
    }
    #picker {
        width: 60;
        max-width: 95%;
        height: 90%;
        max-height: 30;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    #picker-title {
        height: auto;
    }
    #segment-columns {
        height: 1;
    }
    #pick-filter {
        margin-top: 1;
    }
    #pick-list, #segments-loading {
        height: 1fr;
    }
    """

    @dataclass
    class Counted(Message):
        choices: list[SegmentChoice]

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(content("Show one segment", style="bold"), id="picker-title")
            yield Input(placeholder="type to narrow the list", id="pick-filter", compact=True)
            yield Static(
                content(f"  {'':<{NAME_WIDTH}} {'customers':>9} {'marketing':>9}", style="dim"),
                id="segment-columns",
            )
            yield LoadingIndicator(id="segments-loading")
            yield OptionList(id="pick-list")

    def on_mount(self) -> None:
        self.option_list.display = False
        self.count_segments()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="segment-counts",
        description="Counting the segments",
    )
    def count_segments(self) -> None:
        app: RetainApp = self.app  # type: ignore[assignment]
        segments = app.segments
        if segments is None:
            choices: list[SegmentChoice] = []
        else:
            with app.pool.borrow() as store:
                choices = segments.choices(store)
        self.post_message(self.Counted(choices))

    def on_segment_picker_screen_counted(self, message: SegmentPickerScreen.Counted) -> None:
        items = [
            PickItem(
                choice.name,
                content(choice_line(choice)),
                clean(choice.name),
                choice.kind,
                disabled=bool(choice.error),
            )
            for choice in message.choices
        ]
        self.query_one("#segments-loading").display = False
        self.option_list.display = True
        self.show_items(items)
        if not message.choices:
            self.query_one("#picker-title", Static).update(content("There are no segments yet."))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.query_one("#segments-loading").display = False
            self.query_one("#picker-title", Static).update(
                content(f"Could not count the segments: {clean(event.worker.error)}")
            )
