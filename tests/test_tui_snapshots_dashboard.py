"""SVG snapshots of the dashboard at 80x24, 120x40 and 200x50 on the demo shop, on the test
shop (hostile names, a shop name with markup), and on a Linux console with 16 colours.

Update after a deliberate change with
`pytest tests/test_tui_snapshots_dashboard.py --snapshot-update` and look at the result
(`python /work/tools/svgtext.py FILE.svg`) before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard_support import demo_app, demo_db_fixture  # noqa: F401
from tests.tui_fixtures import app_fixture, shop_db_fixture, still  # noqa: F401
from tui.app import LOW_COLOUR_THEME, RetainApp

SIZES = [(80, 24), (120, 40), (200, 50)]
SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]


async def quarter(pilot) -> None:
    await still(pilot)


async def year(pilot) -> None:
    """Years: few points, far apart; CRR and returning customers stand a column apart."""
    await still(pilot)
    await pilot.press("p")
    await still(pilot)


async def arrows(pilot) -> None:
    """Down and right from Customers: the Churn tile focused, its formula under the tiles."""
    await still(pilot)
    await pilot.press("down", "right")
    await still(pilot)


async def cohorts(pilot) -> None:
    await still(pilot)
    await pilot.press("h")
    await still(pilot)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_demo_dashboard(snap_compare, demo_db: Path, size: tuple[int, int]):
    assert snap_compare(demo_app(demo_db), terminal_size=size, run_before=quarter)


@pytest.mark.parametrize("scene", [year, arrows], ids=["year", "arrows"])
def test_demo_dashboard_at_80x24(snap_compare, demo_db: Path, scene):
    assert snap_compare(demo_app(demo_db), terminal_size=(80, 24), run_before=scene)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_hostile_shop_dashboard(snap_compare, app: RetainApp, size: tuple[int, int]):
    assert snap_compare(app, terminal_size=size, run_before=quarter)


@pytest.mark.parametrize("scene", [quarter, year, cohorts], ids=["quarter", "year", "cohorts"])
def test_linux_console_dashboard(
    snap_compare, demo_db: Path, monkeypatch: pytest.MonkeyPatch, scene
):
    """TERM=linux, 16 colours: ASCII chart, heatmap steps with shade glyphs, no rounded corners."""
    monkeypatch.setenv("TERM", "linux")
    monkeypatch.delenv("COLORTERM", raising=False)
    app = demo_app(demo_db, theme=LOW_COLOUR_THEME)
    assert snap_compare(app, terminal_size=(80, 24), run_before=scene)
