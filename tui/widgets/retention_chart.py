"""CRR and the returning-customer rate per period, as a plotext line chart.

The plot is drawn afresh for the widget's size on every render, so it fits any terminal and
takes the height the screen gives it; it depends only on the figures, never on the clock, so
snapshots are stable. Each period's value is a point whose glyph names its line (● CRR,
◆ returning customers) as well as its colour; the title is the legend, so no legend box sits
on the plot. Both lines are drawn before any point, so a line never hides a point; where the
periods are far enough apart (years) the two points of a period stand one column apart, and
where they would still share a cell they are drawn as one ◈ ("both"). On a Linux console
(no braille in its font) lines and points are drawn with ASCII (tui/console_glyphs.py).
An unfinished period (the one the data ends in) is labelled with a `*`, which the title
explains ("* 2026-Q4 so far").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import plotext._utility as plotext_utility
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from core.metrics import period_label
from tui.console_glyphs import linux_console


def _in_order_without_duplicates(data: list) -> list:
    return list(dict.fromkeys(data))


# plotext drops duplicate points through a set, so the order it draws in, and with it where
# the x labels land, follows Python's string hash seed, which differs from run to run: the
# same figures drew two different charts (seen as flipping snapshots). Its own source keeps
# this order-keeping version in a comment, slower for big series; ours have at most 25 points.
plotext_utility.no_duplicates = _in_order_without_duplicates

TICK_WIDTH = 9
"""Room one x-axis label needs ('2026-Q3' plus a gap)."""
FRAME_ROWS = 4
"""Rows plotext takes around the plot: the title, two frame lines and the x labels."""
FRAME_COLUMNS = 5
"""Columns around the plot: the y labels ('100┤') and the right frame line."""
DODGE_FROM_COLUMNS = 4
"""Columns a period needs before its two points stand apart (one column each way)."""


@dataclass(frozen=True)
class Glyphs:
    line: str
    crr: str
    returning: str
    both: str


UNICODE_GLYPHS = Glyphs(line="braille", crr="●", returning="◆", both="◈")
CONSOLE_GLYPHS = Glyphs(line=".", crr="o", returning="x", both="#")


def shared_cells(
    crr: list[tuple[float, float]],
    back: list[tuple[float, float]],
    y_range: tuple[float, float],
    rows: int,
) -> set[int]:
    """Periods (x) whose two values fall on the same row of a plot `rows` high."""
    low, high = y_range
    span = (high - low) or 1.0

    def row(value: float) -> int:
        return round((value - low) / span * max(rows - 1, 0))

    crr_rows = {x: row(y) for x, y in crr}
    return {int(x) for x, y in back if x in crr_rows and crr_rows[x] == row(y)}


def percent_ticks(y_range: tuple[float, float], rows: int) -> list[int]:
    """Whole-number y labels every 25 % (every 50 % on a plot under 9 rows), instead of
    plotext's own ('83.3', '33.3')."""
    step = 25 if rows >= 9 else 50
    low, high = y_range
    return list(range(math.ceil(low / step) * step, math.floor(high / step) * step + 1, step))


class RetentionChart(PlotextPlot):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = "quarter"
        self.window_days = 365
        self.rows: list[dict[str, object]] = []
        self.glyphs = CONSOLE_GLYPHS if linux_console() else UNICODE_GLYPHS

    def on_mount(self) -> None:
        self._match_theme()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._match_theme())

    def _match_theme(self) -> None:
        """An ANSI theme's colours are the terminal's own, which plotext cannot read: draw
        with plotext's colourless theme there, so axes and labels keep the terminal's text
        colour instead of vanishing."""
        self.theme = "clear" if self.app.current_theme.ansi else "auto"

    def show(self, kind: str, window_days: int, rows: list[dict[str, object]]) -> None:
        """Plot `rows` (entries of `compute_stats()["periods"]`, oldest first)."""
        self.kind, self.window_days, self.rows = kind, window_days, rows
        self.refresh()

    def _title(self, labels: list[str], empty: bool) -> str:
        if empty:
            return f"No complete {self.kind} with customers yet"
        glyphs = self.glyphs
        title = (
            f"{glyphs.crr} CRR %  {glyphs.returning} returning %  "
            f"per {self.kind}, W {self.window_days} days"
        )
        unfinished = [label for label in labels if label.endswith("*")]
        if unfinished:
            title += f" · {unfinished[-1]} so far"
        return title

    def render(self) -> RenderResult:
        plt, glyphs = self.plt, self.glyphs
        plt.clear_figure()
        labels = [
            period_label(self.kind, date.fromisoformat(str(r["start"])))
            + ("" if r.get("complete", True) else "*")
            for r in self.rows
        ]
        crr = [(i, float(r["crr"])) for i, r in enumerate(self.rows) if r["crr"] is not None]  # type: ignore[arg-type]
        back = [
            (i, float(r["returning_customer_rate"]))  # type: ignore[arg-type]
            for i, r in enumerate(self.rows)
            if r["returning_customer_rate"] is not None
        ]
        plt.title(self._title(labels, not crr and not back))
        values = [v for _i, v in crr + back]
        y_range = (min([0.0, *values]), max([100.0, *values]))
        plt.ylim(*y_range)
        ticks = percent_ticks(y_range, self.size.height - FRAME_ROWS)
        plt.yticks(ticks, [str(tick) for tick in ticks])
        columns = max(self.size.width - FRAME_COLUMNS, 1)
        per_period = columns / max(len(labels), 1)
        dodge = 1 / per_period if per_period >= DODGE_FROM_COLUMNS else 0.0
        both = set() if dodge else shared_cells(crr, back, y_range, self.size.height - FRAME_ROWS)
        series = [
            ([(x - dodge, y) for x, y in crr], glyphs.crr, "cyan"),
            ([(x + dodge, y) for x, y in back], glyphs.returning, "orange"),
        ]
        for points, _marker, color in series:  # every line first: no line covers a point
            if points:
                plt.plot(*zip(*points, strict=True), marker=glyphs.line, color=color)
        for points, marker, color in series:
            alone = [(x, y) for x, y in points if round(x) not in both]
            if alone:
                plt.scatter(*zip(*alone, strict=True), marker=marker, color=color)
        shared = [(x, y) for x, y in crr if x in both]
        if shared:
            plt.scatter(*zip(*shared, strict=True), marker=glyphs.both, color="white")
        if labels:
            plt.xlim(-0.5, len(labels) - 0.5)
            step = max(1, math.ceil(len(labels) * TICK_WIDTH / columns))
            # Label the latest period always; step back from it.
            ticks = list(range(len(labels) - 1, -1, -step))[::-1]
            plt.xticks(ticks, [labels[i] for i in ticks])
        return super().render()
