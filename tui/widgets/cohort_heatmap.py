"""Cohort retention as a heatmap: one row per month of first orders, one column per month since.

Each cell shows its percentage as a number and is coloured by a ramp, so the colour only
helps the eye: on 16 colours the ramp collapses to a few shades and with NO_COLOR it is gone,
but the number is always there (and shares of 20 % or more are bold as well).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from rich.text import Text
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from tui import display

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
BASELINE_STYLE = "dim"
CELL_WIDTH = 4
FIRST_RETURN_COLUMN = 3
"""Cohort, size, +0, then +1: the first month that says something."""


def share_style(share: float) -> str:
    """The ramp's style for a share of 0-100 %."""
    return RAMP[max(bisect_right(_LOWER_BOUNDS, share) - 1, 0)][1]


def share_text(share: float) -> str:
    """A share as the cell shows it: whole percent, '<1' for a small non-zero share."""
    if 0 < share < 1:
        return "<1"
    return f"{share:.0f}"


def legend() -> Text:
    """The ramp's steps with their ranges, each in its own colour."""
    text = Text("% of the cohort ordering k months after their first month: ", style="dim")
    bounds = [*_LOWER_BOUNDS, None]
    for (low, style), high in zip(RAMP, bounds[1:], strict=True):
        if high is None:
            span = f"{low:.0f}"
        elif low == 0:
            span = "<1" if high == 1 else f"0–{high:.0f}"
        else:
            span = f"{low:.0f}–{high - 1:.0f}" if high - low > 1 else f"{low:.0f}"
        text.append(f" {span} ", style=style)
        text.append(" ")
    return text


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

    def show(self, cohorts: dict[str, list[float]], sizes: dict[str, int]) -> None:
        """Replace the rows, keeping the cursor on the same cell where it still exists."""
        if cohorts == self.cohorts and sizes == self.sizes:
            return
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
            for k, share in enumerate(shares):
                # +0 is 100 by definition: plain, so the eye goes to the months after.
                style = share_style(share) if k else BASELINE_STYLE
                cells.append(Text(share_text(share), style=style, justify="right"))
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
