"""A dashboard figure: title, value and a caption; `detail` says how it was computed.

The screen shows the focused tile's `detail` in one place under the tiles (so a tile never
grows when focused). Enter or a click asks for the customers behind the figure
(`FigureTile.Selected`); what `drill` means is the screen's business. The arrow keys move to
the neighbouring tile of the same grid (tui/tile_layout.py); at the grid's edge they fall
through to the container, which scrolls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from tui.safe_text import content
from tui.tile_layout import Box, neighbour

LOADING = "…"


def _box(tile: FigureTile) -> Box:
    region = tile.virtual_region
    return Box(region.x, region.y, region.width, region.height)


class FigureTile(Vertical, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", tooltip="Open the customers behind this figure"),
        *(
            Binding(key, f"move('{key}')", f"Figure {where}", show=False,
                    tooltip=f"Move to the figure {where}")
            for key, where in (("up", "above"), ("down", "below"), ("left", "on the left"),
                               ("right", "on the right"))
        ),
    ]  # fmt: skip

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
        self.caption = ""
        self.detail = ""

    def compose(self) -> ComposeResult:
        yield Static(content(self.title), classes="tile-title")
        yield Static(LOADING, classes="tile-value", markup=False)
        yield Static("", classes="tile-caption", markup=False)

    def show(self, value: str, caption: str = "", detail: str = "", title: str | None = None):
        """Set the figure; `detail` says how it was computed, `title` renames the tile."""
        self.value, self.caption, self.detail = value, caption, detail
        if title is not None and title != self.title:
            self.title = title
            self.query_one(".tile-title", Static).update(content(title))
        self.query_one(".tile-value", Static).update(content(value))
        self.query_one(".tile-caption", Static).update(content(caption))

    def action_select(self) -> None:
        if self.drill is not None:
            self.post_message(self.Selected(self))

    def action_move(self, direction: str) -> None:
        """Focus the neighbouring tile; at the edge let the key scroll the container."""
        siblings = {
            tile.id or str(index): tile
            for index, tile in enumerate(self.parent.query_children(FigureTile))  # type: ignore[union-attr]
            if tile is not self and tile.display
        }
        target = neighbour(_box(self), {name: _box(t) for name, t in siblings.items()}, direction)
        if target is None:
            raise SkipAction()
        siblings[target].focus()

    def on_click(self) -> None:
        self.focus()
        self.action_select()
