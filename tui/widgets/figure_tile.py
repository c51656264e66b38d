"""A dashboard figure: title, value, a caption, and (when focused) how it was computed.

Enter or a click asks for the customers behind the figure (`FigureTile.Selected`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from core.customer_pages import ListQuery
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

    def __init__(self, title: str, drill: ListQuery | None = None, *, id: str | None = None):
        super().__init__(id=id)
        self.title = title
        self.drill = drill
        """The customer list behind this figure; None when there is nobody to show."""

    def compose(self) -> ComposeResult:
        yield Static(content(self.title), classes="tile-title")
        yield Static(LOADING, classes="tile-value", markup=False)
        yield Static("", classes="tile-caption", markup=False)
        yield Static("", classes="tile-detail", markup=False)

    def show(self, value: str, caption: str = "", detail: str = "") -> None:
        """Set the figure. `detail` (shown while focused) says how it was computed."""
        self.query_one(".tile-value", Static).update(content(value))
        self.query_one(".tile-caption", Static).update(content(caption))
        self.query_one(".tile-detail", Static).update(content(detail))

    def action_select(self) -> None:
        if self.drill is not None:
            self.post_message(self.Selected(self))

    def on_click(self) -> None:
        self.focus()
        self.action_select()
