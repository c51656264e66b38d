"""Cohort retention as a heatmap: one row per month of first orders, one column per month since.

Each cell shows its percentage as a number and is coloured by a ramp, so the colour only
helps the eye (shares of 20 % or more are bold as well). With 16 colours (an ANSI theme) or
on a Linux console the 8-step ramp would collapse to about 4 colours: there the cells use
`LOW_COLOUR_RAMP` instead, 5 steps, each a distinct ANSI colour and a shade glyph (░▒▓█)
before the number, so the steps differ even without colour (NO_COLOR).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from rich.text import Text
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Static

from tui import display
from tui.console_glyphs import linux_console

# (lowest share of the step, cell style): dark to light, readable text on each.
RAMP: tuple[tuple[float, str], ...] = (
    (0.0, "#b0b0b0 on #262626"),
    (1.0, "#ffffff on #46327e"),
    (5.0, "#ffffff on #365c8d"),
    (10.0, "#ffffff on #277f8e"),
    (20.0, "bold #000000 on #1fa187"),
    (35.0, "bold #000000 on #4ac16d"),
    (50.0, "bold #000000 on #a0da39"),
    (100.0, "bold #000000 on #fde725"),
)
_LOWER_BOUNDS = [low for low, _style in RAMP]


@dataclass(frozen=True)
class LowColourStep:
    low: float
    """The lowest share of the step."""
    glyph: str
    colour: str
    """An ANSI colour name: the terminal's own, so 16-colour palettes keep them apart."""


LOW_COLOUR_RAMP: tuple[LowColourStep, ...] = (
    LowColourStep(0.0, " ", "bright_black"),
    LowColourStep(1.0, "░", "blue"),
    LowColourStep(10.0, "▒", "cyan"),
    LowColourStep(20.0, "▓", "green"),
    LowColourStep(35.0, "█", "yellow"),
)
_LOW_BOUNDS = [step.low for step in LOW_COLOUR_RAMP]
BASELINE_STYLE = "dim"
BOLD_FROM = 20.0
CELL_WIDTH = 4
FIRST_RETURN_COLUMN = 3
"""Cohort, size, +0, then +1: the first month that says something."""


def share_style(share: float) -> str:
    """The ramp's style for a share of 0-100 %."""
    return RAMP[max(bisect_right(_LOWER_BOUNDS, share) - 1, 0)][1]


def low_colour_step(share: float) -> LowColourStep:
    """The 16-colour step of a share of 0-100 %."""
    return LOW_COLOUR_RAMP[max(bisect_right(_LOW_BOUNDS, share) - 1, 0)]


def share_cell(share: float, months_after: int, low_colour: bool) -> Text:
    """A cell: the share, styled by its step; +0 (100 % by definition) plain and dim, so the
    eye goes to the months after."""
    number = share_text(share)
    if not months_after:
        return Text(number, style=BASELINE_STYLE, justify="right")
    if not low_colour:
        return Text(number, style=share_style(share), justify="right")
    step = low_colour_step(share)
    return Text.assemble(
        (step.glyph, step.colour),
        (f"{number:>{CELL_WIDTH - 1}}", "bold" if share >= BOLD_FROM else ""),
        justify="right",
    )


def share_text(share: float) -> str:
    """A share as the cell shows it: whole percent, '<1' for a small non-zero share."""
    if 0 < share < 1:
        return "<1"
    return f"{share:.0f}"


def _span(low: float, high: float | None) -> str:
    if high is None:
        return f"{low:.0f}+"
    if low == 0:
        return "<1" if high == 1 else f"0–{high:.0f}"
    return f"{low:.0f}–{high - 1:.0f}" if high - low > 1 else f"{low:.0f}"


def legend(low_colour: bool = False) -> Text:
    """The ramp's steps with their ranges, each in its own colour (and glyph)."""
    text = Text("% of the cohort ordering k months after their first month: ", style="dim")
    if low_colour:
        highs = [*_LOW_BOUNDS[1:], None]
        for step, high in zip(LOW_COLOUR_RAMP, highs, strict=True):
            text.append(step.glyph if step.glyph.strip() else "·", style=step.colour)
            text.append(f"{_span(step.low, high)}  ")
        return text
    bounds = [*_LOWER_BOUNDS, None]
    for (low, style), high in zip(RAMP, bounds[1:], strict=True):
        span = f"{low:.0f}" if high is None else _span(low, high)  # the last step is 100 only
        text.append(f" {span} ", style=style)
        text.append(" ")
    return text


def low_colour_wanted(ansi_theme: bool) -> bool:
    """16 colours (the ANSI theme: the terminal's palette) or a Linux console."""
    return ansi_theme or linux_console()


class HeatLegend(Static):
    """The legend of the heatmap's steps, for the app's theme (redrawn when it changes)."""

    def on_mount(self) -> None:
        self._draw()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw())

    def _draw(self) -> None:
        self.update(legend(low_colour_wanted(self.app.current_theme.ansi)))


@dataclass(frozen=True)
class CohortCell:
    cohort: str
    size: int
    months_after: int
    share: float


class CohortHeatmap(DataTable[Text]):
    """The cohorts of `compute_stats` (`cohorts`, `cohort_sizes`), oldest first."""

    @dataclass
    class CellShown(Message):
        """The cursor is on a share (None: on a cohort's name or size)."""

        cell: CohortCell | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=False, id=id)
        self.cohorts: dict[str, list[float]] = {}
        self.sizes: dict[str, int] = {}
        self.low_colour = False

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._redraw())

    def _redraw(self) -> None:
        """Draw the rows again in the theme's steps (16 colours or the full ramp)."""
        if self.cohorts:
            cohorts, sizes = self.cohorts, self.sizes
            self.cohorts = {}
            self.show(cohorts, sizes)

    def show(self, cohorts: dict[str, list[float]], sizes: dict[str, int]) -> None:
        """Replace the rows, keeping the cursor on the same cell where it still exists."""
        low_colour = low_colour_wanted(self.app.current_theme.ansi)
        if (cohorts, sizes, low_colour) == (self.cohorts, self.sizes, self.low_colour):
            return
        self.low_colour = low_colour
        # Start on the first month after the first order of the oldest cohort.
        place = self.cursor_coordinate if self.cohorts else Coordinate(0, FIRST_RETURN_COLUMN)
        self.cohorts, self.sizes = cohorts, sizes
        self.clear(columns=True)
        months = max((len(shares) for shares in cohorts.values()), default=0)
        self.add_column(Text("Cohort"), key="cohort", width=7)
        self.add_column(Text("Size", justify="right"), key="size", width=6)
        for k in range(months):
            self.add_column(Text(f"+{k}", justify="right"), key=f"m{k}", width=CELL_WIDTH)
        for cohort, shares in cohorts.items():
            cells = [
                Text(cohort, no_wrap=True),
                Text(display.count(sizes.get(cohort, 0)), justify="right", no_wrap=True),
            ]
            cells.extend(share_cell(share, k, low_colour) for k, share in enumerate(shares))
            cells.extend(Text("") for _ in range(months - len(shares)))
            self.add_row(*cells, key=cohort)
        if self.row_count:
            self.move_cursor(
                row=min(place.row, self.row_count - 1),
                column=min(place.column, len(self.columns) - 1),
                animate=False,
            )

    def cell_at(self, row: int, column: int) -> CohortCell | None:
        cohorts = list(self.cohorts)
        if not 0 <= row < len(cohorts) or column < 2:
            return None
        cohort = cohorts[row]
        shares = self.cohorts[cohort]
        k = column - 2
        if k >= len(shares):
            return None
        return CohortCell(cohort, self.sizes.get(cohort, 0), k, shares[k])

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        event.stop()
        self.post_message(self.CellShown(self.cell_at(*event.coordinate)))
