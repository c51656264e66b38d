"""The dashboard at 80x24 and up: every tile whole, arrow keys between tiles, the chart's room,
and what a Linux console with 16 colours gets (no braille, heatmap steps that stay apart).

Figures are read from the rendered screen (an SVG screenshot, row by row) and compared with
`compute_stats` for the same period, computed here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pexpect
import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from core.metrics import compute_stats
from core.store import open_store
from tests.dashboard_support import demo_app, demo_db_fixture, screen_lines  # noqa: F401
from tests.test_tui_nps import add_answers
from tests.test_tui_predictions import store_predictions
from tests.tui_fixtures import (  # noqa: F401
    TEST_THEME,
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
)
from tui.app import LOW_COLOUR_THEME, RetainApp
from tui.dashboard_figures import last_period, period_row
from tui.screens.customers import CustomersScreen
from tui.screens.dialogs import PickScreen
from tui.tile_layout import TILE_ORDER, Box, neighbour, tile_layout
from tui.widgets.cohort_heatmap import (
    LOW_COLOUR_RAMP,
    RAMP,
    CohortHeatmap,
    legend,
    low_colour_step,
    share_cell,
)
from tui.widgets.figure_tile import FigureTile
from tui.widgets.retention_chart import RetentionChart, percent_ticks, shared_cells

ROOT = Path(__file__).resolve().parent.parent
BRAILLE = range(0x2800, 0x2900)
ROUNDED = set("╭╮╰╯")


def tiles(app: RetainApp) -> dict[str, FigureTile]:
    return {name: app.screen.query_one(f"#tile-{name}", FigureTile) for name in TILE_ORDER}


def focused_tile(app: RetainApp) -> str:
    focused = app.focused
    assert isinstance(focused, FigureTile), focused
    return str(focused.id).removeprefix("tile-")


def has_braille(text: str) -> bool:
    return any(ord(char) in BRAILLE for char in text)


# -- the layout's numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("width", [60, 78, 80, 100, 120, 169, 170, 200, 300])
def test_every_layout_fills_its_rows_and_keeps_a_tile_at_16_characters(width: int):
    layout = tile_layout(width)
    cells = sum(2 if name in layout.wide else 1 for name in TILE_ORDER)
    assert cells % layout.columns == 0  # full rows: no hole at the end of the grid
    usable = width - 3  # the dashboard's padding and scrollbar
    single = (usable - (layout.columns - 1)) // layout.columns - 2  # the bar and a space
    assert single >= (16 if width >= 78 else 12)
    if width >= 170:
        assert layout == tile_layout(width) and layout.columns == 5 and not layout.wide
        assert single >= 30  # "B 98,765  E 101,234  N 12,345" in one tile


def test_arrows_go_to_the_nearest_tile_in_their_direction_and_stop_at_the_edge():
    #  a a b c      a spans two columns; d under a and b
    #  d e f g
    boxes = {
        "a": Box(0, 0, 20, 3), "b": Box(21, 0, 10, 3), "c": Box(32, 0, 10, 3),
        "d": Box(0, 3, 10, 3), "e": Box(11, 3, 9, 3), "f": Box(21, 3, 10, 3),
        "g": Box(32, 3, 10, 3),
    }  # fmt: skip

    def move(start: str, direction: str) -> str | None:
        others = {name: box for name, box in boxes.items() if name != start}
        return neighbour(boxes[start], others, direction)

    assert move("a", "right") == "b" and move("b", "right") == "c"
    assert move("c", "right") is None and move("a", "left") is None
    assert move("a", "down") == "d"  # a tie between d and e: the left one
    assert move("e", "up") == "a" and move("f", "up") == "b"
    assert move("g", "left") == "f" and move("d", "down") is None


def test_two_values_on_the_same_row_of_a_period_share_a_cell():
    crr, back = [(0, 90.0), (1, 50.0)], [(0, 88.0), (1, 10.0), (2, 5.0)]
    assert shared_cells(crr, back, (0.0, 100.0), rows=5) == {0}
    assert shared_cells(crr, back, (0.0, 100.0), rows=100) == set()
    assert percent_ticks((0.0, 100.0), 9) == [0, 25, 50, 75, 100]
    assert percent_ticks((0.0, 100.0), 5) == [0, 50, 100]


def test_under_16_colours_every_heatmap_step_has_its_own_colour_and_glyph():
    def standard(colour: str) -> int | None:
        return Style.parse(colour).bgcolor.downgrade(ColorSystem.STANDARD).number  # type: ignore[union-attr]

    # Why: the full ramp's 8 background colours come out as 5 on 16 colours.
    assert len({standard(style) for _low, style in RAMP}) < len(RAMP)
    pairs = {
        (Style.parse(step.colour).color.downgrade(ColorSystem.STANDARD).number, step.glyph)  # type: ignore[union-attr]
        for step in LOW_COLOUR_RAMP
    }
    assert len(pairs) == len(LOW_COLOUR_RAMP) >= 4
    assert len({colour for colour, _glyph in pairs}) == len(pairs)  # apart by colour
    assert len({glyph for _colour, glyph in pairs}) == len(pairs)  # and without colour
    assert [low_colour_step(share).glyph for share in (0, 0.5, 1, 9.9, 10, 20, 35, 100)] == [
        " ", " ", "░", "░", "▒", "▓", "█", "█"
    ]  # fmt: skip
    assert share_cell(25, 3, low_colour=True).plain == "▓ 25"
    assert share_cell(100, 0, low_colour=True).plain == "100"  # +0: no step, as in colour
    assert legend(low_colour=True).plain.endswith("·<1  ░1–9  ▒10–19  ▓20–34  █35+  ")


# -- at 80x24 -------------------------------------------------------------------------------------


async def _assert_every_tile_whole(app: RetainApp) -> None:
    lines = screen_lines(app)
    for name, tile in tiles(app).items():
        for part in (tile.title, tile.value, tile.caption):
            assert any(part in line for line in lines), f"{name}: {part!r} not whole"
            assert "…" not in part


@pilot_test
async def test_at_80x24_the_crr_tile_shows_b_e_and_n_whole(demo_db: Path):
    with open_store(demo_db) as store:
        stats = compute_stats(store)
    row = period_row(stats, last_period(stats))
    assert row is not None
    expected = f"B {row['B']:,}  E {row['E']:,}  N {row['N']:,}"
    assert len(expected) > 20  # more than a single tile at 80 columns holds
    app = demo_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        title = next(i for i, line in enumerate(lines) if "CRR 2026-Q4" in line)
        assert f"{row['crr']:.1f} %" in lines[title + 1]
        assert expected in lines[title + 2]
        await _assert_every_tile_whole(app)


@pilot_test
async def test_at_80x24_every_tile_of_the_hostile_shop_is_whole_too(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _assert_every_tile_whole(app)


def test_at_80x24_answers_and_a_stale_fit_keep_every_tile_whole(shop_db: Path, tmp_path: Path):
    """The longest captions: NPS with its counts, Next 90 days with a stale fit."""
    add_answers(shop_db, tmp_path)
    store_predictions(shop_db, "2024-01-31")

    @pilot_test
    async def run() -> None:
        app = RetainApp(shop_db, theme=TEST_THEME)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            shown = tiles(app)
            assert shown["nps"].caption == "P 2  p 1  D 1"
            assert shown["predicted"].caption == "stale 2024-01-31"
            await _assert_every_tile_whole(app)

    run()


@pilot_test
async def test_at_80x24_the_chart_has_plot_rows_and_grows_with_the_terminal(demo_db: Path):
    heights = []
    for size in ((80, 24), (120, 40), (200, 50)):
        app = demo_app(demo_db)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            chart = app.screen.query_one(RetentionChart)
            heights.append(chart.size.height)
            if size == (80, 24):  # tiles, explanation and the whole chart on the first screen
                assert chart.region.bottom <= 23
                plot = [line for line in screen_lines(app) if "┤" in line or "│" in line]
                assert len(plot) >= 5
    assert heights[0] >= 9 and heights[0] < heights[1] < heights[2]


@pilot_test
async def test_in_years_the_two_points_of_each_period_stay_visible(demo_db: Path):
    with open_store(demo_db) as store:
        rows = compute_stats(store, "year")["periods"]
    app = demo_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")  # quarter -> year
        await settle(pilot)
        chart = "\n".join(screen_lines(app))
        crr = sum(row["crr"] is not None for row in rows)
        back = sum(row["returning_customer_rate"] is not None for row in rows)
        assert chart.count("●") == crr + 1 and chart.count("◆") == back + 1  # +1: the title


class ChartApp(App[None]):
    """The chart alone, fed made-up periods."""

    def compose(self) -> ComposeResult:
        yield RetentionChart(id="trend")


def months(count: int, crr: float, back: float) -> list[dict[str, object]]:
    starts = [date(2020 + i // 12, i % 12 + 1, 1).isoformat() for i in range(count)]
    return [{"start": start, "crr": crr, "returning_customer_rate": back} for start in starts]


@pilot_test
async def test_two_points_in_one_cell_are_drawn_as_one_both_glyph():
    app = ChartApp()
    async with app.run_test(size=(80, 12)) as pilot:
        chart = app.query_one(RetentionChart)
        chart.show("month", 365, months(30, 50.0, 50.4))  # 75 columns: no room to stand apart
        await pilot.pause()
        plot = chart.render().plain.split("\n", 1)[1]  # type: ignore[union-attr]
        assert plot.count("◈") == 30 and "●" not in plot and "◆" not in plot
        chart.show("month", 365, months(30, 90.0, 10.0))  # far apart: each its own
        await pilot.pause()
        plot = chart.render().plain.split("\n", 1)[1]  # type: ignore[union-attr]
        assert plot.count("●") == plot.count("◆") == 30 and "◈" not in plot


DRAW_CHART = """
import asyncio, sys
from tests.test_tui_dashboard_layout import ChartApp, months
from tui.widgets.retention_chart import RetentionChart

async def draw():
    app = ChartApp()
    async with app.run_test(size=(80, 12)) as pilot:
        chart = app.query_one(RetentionChart)
        chart.show("quarter", 365, months(12, 90.0, 60.0)[::3] + months(36, 80.0, 50.0)[::3])
        await pilot.pause()
        sys.stdout.write(chart.render().plain)

asyncio.run(draw())
"""


def test_the_chart_is_the_same_whatever_the_hash_seed():
    """plotext dedupes points through a set: the drawing once followed the string hash seed."""
    drawn = {
        subprocess.run(
            [sys.executable, "-c", DRAW_CHART], cwd=ROOT, capture_output=True, text=True,
            env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120, check=True,
        ).stdout
        for seed in ("0", "8")
    }  # fmt: skip
    assert len(drawn) == 1 and drawn.pop().count("●") > 1


# -- arrow keys -----------------------------------------------------------------------------------


@pilot_test
async def test_arrow_keys_move_between_tiles_and_enter_opens_the_focused_one(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert focused_tile(app) == "customers"
        path = []
        for key in ("right", "down", "right", "right", "down", "left", "left", "up"):
            await pilot.press(key)
            path.append(focused_tile(app))
        assert path == ["orders", "crr", "churn", "predicted", "nps", "per-customer", "aov",
                        "crr"]  # fmt: skip
        focused, other = tiles(app)["crr"], tiles(app)["churn"]
        assert focused.styles.border_left[1] != other.styles.border_left[1]  # focus shows
        await pilot.press("right", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)  # churn: the churned customers
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("left", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)  # CRR: which of B, E, N, …


@pilot_test
async def test_five_across_at_200_columns_and_down_from_the_last_row_scrolls(demo_db: Path):
    app = demo_app(demo_db)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("down")
        assert focused_tile(app) == "churn"  # under customers, five across
        assert all(tile.styles.column_span == 1 for tile in tiles(app).values())
    app = demo_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        scroll = app.screen.query_one("#dashboard", VerticalScroll)
        await pilot.press("down", "down")  # customers, CRR (two wide), the last row
        last_row = focused_tile(app)
        assert last_row in ("aov", "per-customer") and scroll.scroll_y == 0
        await pilot.press("down")  # the last row: the key scrolls the dashboard instead
        await settle(pilot)
        assert focused_tile(app) == last_row and scroll.scroll_y > 0


# -- a Linux console with 16 colours --------------------------------------------------------------


@pilot_test
async def test_on_a_linux_console_the_chart_has_no_braille_and_the_heatmap_glyphs(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
):
    for term, console in (("xterm-256color", False), ("linux", True)):
        monkeypatch.setenv("TERM", term)
        app = demo_app(demo_db, theme=LOW_COLOUR_THEME if console else TEST_THEME)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for kind in ("quarter", "year", "month"):
                chart = "\n".join(screen_lines(app))
                assert has_braille(chart) is not console, (term, kind)
                assert not ROUNDED & set(chart)
                await pilot.press("p")
                await settle(pilot)
            heatmap = app.screen.query_one(CohortHeatmap)
            cells = [str(heatmap.get_cell_at((0, k)).plain) for k in range(3, 6)]  # type: ignore[union-attr]
            glyphs = {cell[0] for cell in cells if cell.strip()}
            assert (glyphs <= set(" ░▒▓█")) is console, cells


def test_the_real_app_on_a_linux_console_writes_no_braille_rounded_corner_or_24_bit_colour(
    demo_db: Path,
):
    """In a pseudo-terminal with TERM=linux and no COLORTERM, as on the kernel's console."""
    env = {**os.environ, "TERM": "linux", "PYTHONPATH": str(ROOT)}
    for name in ("COLORTERM", "NO_COLOR", "RETAIN_THEME"):
        env.pop(name, None)
    child = pexpect.spawn(
        sys.executable, ["-m", "tui", "--db", str(demo_db)], cwd=str(ROOT), env=env,
        dimensions=(24, 80), timeout=60, encoding="utf-8", codec_errors="replace",
    )  # fmt: skip
    try:
        child.expect("have ordered")  # the tiles are in
        child.expect("per quarter")  # and the chart
        written = child.before + child.after
        child.send("p")  # years, then months
        child.expect("per year")
        child.send("p")
        child.expect("per month")
        written += child.before + child.after
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert "o CRR %" in written and not has_braille(written)
    assert not ROUNDED & set(written)
    assert "\x1b[38;2;" not in written and "\x1b[48;2;" not in written  # 16 colours only
