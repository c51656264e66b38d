"""A dashboard figure: title, value and a caption; `detail` says how it was computed.

The screen shows the focused tile's `detail` in one place under the tiles (so a tile never
grows when focused). Enter or a click asks for the customers behind the figure
(`FigureTile.Selected`); what `drill` means is the screen's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from tui.safe_text import content

LOADING = "…"


class FigureTile(Vertical, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", tooltip="Open the customers behind this figure"),
    ]

    @dataclass
    class Selected(Message):
        tile: FigureTile

        @property
        def control(self) -> FigureTile:
            return self.tile

    def __init__(self, title: str, drill: object | None = None, *, id: str | None = None):
        super().__init__(id=id)
        self.title = title
        self.drill = drill
        """What Enter opens (the screen decides); None when there is nobody to show."""
        self.value = LOADING
        self.detail = ""

    def compose(self) -> ComposeResult:
        yield Static(content(self.title), classes="tile-title")
        yield Static(LOADING, classes="tile-value", markup=False)
        yield Static("", classes="tile-caption", markup=False)

    def show(self, value: str, caption: str = "", detail: str = "", title: str | None = None):
        """Set the figure; `detail` says how it was computed, `title` renames the tile."""
        self.value, self.detail = value, detail
        if title is not None and title != self.title:
            self.title = title
            self.query_one(".tile-title", Static).update(content(title))
        self.query_one(".tile-value", Static).update(content(value))
        self.query_one(".tile-caption", Static).update(content(caption))

    def action_select(self) -> None:
        if self.drill is not None:
            self.post_message(self.Selected(self))

    def on_click(self) -> None:
        self.focus()
        self.action_select()
