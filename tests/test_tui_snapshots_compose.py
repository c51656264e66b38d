"""SVG snapshots of the compose screen at 80x24, 120x40 and 200x50 on the test shop with
hostile names (the lapsed segment holds most of them), a discount typed, the third recipient
previewed; and of its template picker narrowed by typing, at 80x24.

Update after a deliberate change with
`pytest tests/test_tui_snapshots_compose.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui_email_fixtures import (  # noqa: F401
    choose,
    compose_for_segment,
    email_app_fixture,
    home_fixture,
)
from tests.tui_fixtures import shop_db_fixture, still, until  # noqa: F401
from tui.app import RetainApp

SIZES = [(80, 24), (120, 40), (200, 50)]


async def compose(pilot) -> None:
    screen = await compose_for_segment(pilot, "lapsed")
    await choose(pilot, screen, "win-back")
    seen = screen.previews
    field = screen.query_one("#discount", Input)
    field.focus()
    await pilot.press(*"10%", "escape", "down", "down")
    await until(pilot, lambda: screen.previews > seen and screen.table.index == 2)
    await still(pilot)


async def template_picker(pilot) -> None:
    await compose(pilot)
    await pilot.press("t", *"mark")  # the marketing templates
    await still(pilot)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_compose_snapshot(snap_compare, email_app: RetainApp, size: tuple[int, int]):
    assert snap_compare(email_app, terminal_size=size, run_before=compose)


def test_template_picker_snapshot(snap_compare, email_app: RetainApp):
    assert snap_compare(email_app, terminal_size=(80, 24), run_before=template_picker)
