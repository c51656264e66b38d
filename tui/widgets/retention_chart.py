"""CRR and the returning-customer rate per period, as a plotext line chart.

The plot is drawn afresh for the widget's size on every render, so it fits any terminal;
it depends only on the figures, never on the clock, so snapshots are stable. Each period's
value is a point whose glyph names its line (● CRR, ◆ returning customers) as well as its
colour, and the legend says which is which, so the chart also reads without colour.
An unfinished period (the one the data ends in) is labelled with a `*`, which the title
explains ("* 2026-Q4 so far").
"""

from __future__ import annotations

import math
from datetime import date

from textual.app import RenderResult
from textual_plotext import PlotextPlot

from core.metrics import period_label

TICK_WIDTH = 9
"""Room one x-axis label needs ('2026-Q3' plus a gap)."""


class RetentionChart(PlotextPlot):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = "quarter"
        self.window_days = 365
        self.rows: list[dict[str, object]] = []

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

    def render(self) -> RenderResult:
        plt = self.plt
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
        title = f"CRR and returning customers per {self.kind} (W {self.window_days} days)"
        unfinished = [label for label in labels if label.endswith("*")]
        if unfinished:
            title += f" · {unfinished[-1]} so far"
        if not crr and not back:
            title = f"No complete {self.kind} with customers yet"
        plt.title(title)
        values = [v for _i, v in crr + back]
        plt.ylim(min([0.0, *values]), max([100.0, *values]))
        for points, label, marker, color in (
            (crr, "CRR %", "●", "cyan"),
            (back, "returning %", "◆", "orange"),
        ):
            if points:
                xs, ys = zip(*points, strict=True)
                plt.plot(xs, ys, marker="braille", color=color)
                plt.scatter(xs, ys, marker=marker, color=color, label=label)
        if labels:
            plt.xlim(-0.5, len(labels) - 0.5)
            step = max(1, math.ceil(len(labels) * TICK_WIDTH / max(self.size.width - 8, 1)))
            # Label the latest period always; step back from it.
            ticks = list(range(len(labels) - 1, -1, -step))[::-1]
            plt.xticks(ticks, [labels[i] for i in ticks])
        return super().render()
