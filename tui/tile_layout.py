"""Where the dashboard's tiles go at a given width, and which tile an arrow key moves to.

Pure functions (no Textual), so the layout is decided and tested by numbers alone.

Every tile keeps its title, value and caption whole on three lines. At 80 columns four tiles
fit side by side with about 16 characters each, enough for every figure but not for the CRR
tile's inputs ("B 1,076  E 1,127  N 99") nor the NPS tile's counts: those two span two
columns, so ten tiles fill three full rows of four (9 lines) and leave the chart its room.
From `FIVE_ACROSS_WIDTH` on five tiles of 30+ characters fit, in two rows, without spans.
"""

from __future__ import annotations

from dataclasses import dataclass

TILE_ORDER = (
    "customers", "orders", "revenue", "repeat",
    "crr", "churn", "predicted",
    "aov", "per-customer", "nps",
)  # fmt: skip
"""Reading order (and Tab order): with CRR and NPS two columns wide, rows of four come out
full; so do rows of three and of five."""
WIDE_TILES = ("crr", "nps")
"""Tiles whose caption needs two columns below `FIVE_ACROSS_WIDTH` (B/E/N, P/p/D counts)."""
FIVE_ACROSS_WIDTH = 170
FOUR_ACROSS_WIDTH = 78
SINGLE_TILE_TEXT = 16
"""Characters a single tile's line can hold at 80 columns: captions are written to fit it."""


@dataclass(frozen=True)
class TileLayout:
    columns: int
    wide: tuple[str, ...]
    """Tiles spanning two columns."""


def tile_layout(width: int) -> TileLayout:
    """The grid for a screen `width` columns wide."""
    if width >= FIVE_ACROSS_WIDTH:
        return TileLayout(5, ())
    return TileLayout(4 if width >= FOUR_ACROSS_WIDTH else 3, WIDE_TILES)


@dataclass(frozen=True)
class Box:
    """A tile's place on screen: x, y of its top-left cell, width and height."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


def neighbour(origin: Box, others: dict[str, Box], direction: str) -> str | None:
    """The tile an arrow key in `direction` (up, down, left, right) moves to from `origin`:
    left and right stay on the row, up and down go to the nearest row and there to the tile
    nearest the origin's centre (the left one on a tie). None at the edge: no wrapping."""
    if direction in ("left", "right"):
        same_row = {
            name: box
            for name, box in others.items()
            if box.y < origin.bottom and origin.y < box.bottom
            and (box.x >= origin.right if direction == "right" else box.right <= origin.x)
        }  # fmt: skip
        if not same_row:
            return None
        pick = min if direction == "right" else max
        return pick(same_row, key=lambda name: same_row[name].x)
    below = direction == "down"
    beyond = {
        name: box
        for name, box in others.items()
        if (box.y >= origin.bottom if below else box.bottom <= origin.y)
    }
    if not beyond:
        return None
    row_y = (min if below else max)(box.y for box in beyond.values())
    row = {name: box for name, box in beyond.items() if box.y == row_y}
    return min(row, key=lambda name: (abs(row[name].centre - origin.centre), row[name].x))
