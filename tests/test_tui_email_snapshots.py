"""SVG snapshots of the segments screen, the segment form (with an error) and the compose
screen at 80x24 and 120x40, on the fixed test shop with frozen dates.

Update after a deliberate change with
`pytest tests/test_tui_email_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui_email_fixtures import (  # noqa: F401
    choose,
    compose_for_segment,
    email_app_fixture,
    home_fixture,
    open_segments,
)
from tests.tui_fixtures import cursor_row_shown, shop_db_fixture, still, until  # noqa: F401
from tui.app import RetainApp

SIZES = [(80, 24), (120, 40)]


async def segments(pilot) -> None:
    screen = await open_segments(pilot)
    screen.table.select_name("lapsed")
    await until(pilot, lambda: cursor_row_shown(screen.table))
    await still(pilot)


async def segment_form(pilot) -> None:
    await open_segments(pilot)
    await pilot.press("n")
    form = pilot.app.screen
    await pilot.press(*"Germans", "enter", *'orders >= 2 and contry = "DE"')
    await until(pilot, lambda: form.last_check is not None and form.last_check.error)
    await still(pilot)


async def compose(pilot) -> None:
    screen = await compose_for_segment(pilot, "lapsed")
    await choose(pilot, screen, "win-back")
    seen = screen.previews
    field = screen.query_one("#discount", Input)
    field.focus()
    await pilot.press(*"10%", "escape", "down", "down")
    await until(pilot, lambda: screen.previews > seen and screen.table.index == 2)
    await still(pilot)


SCENES = {"segments": segments, "segment_form": segment_form, "compose": compose}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("scene", list(SCENES))
def test_email_screen_snapshot(
    snap_compare, email_app: RetainApp, scene: str, size: tuple[int, int]
):
    assert snap_compare(email_app, terminal_size=size, run_before=SCENES[scene])
