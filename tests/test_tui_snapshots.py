"""SVG snapshots of every screen at 80x24 and 120x40, on the fixed test shop (hostile names).

Update after a deliberate change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the report before committing.
"""

from __future__ import annotations

import pytest

from core.customer_pages import ListQuery, fetch_page
from tests.tui_fixtures import app_fixture, shop_db_fixture, still  # noqa: F401
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen

SIZES = [(80, 24), (120, 40)]


async def dashboard(pilot) -> None:
    await still(pilot)


async def dashboard_crr(pilot) -> None:
    """The CRR tile focused: its formula with the numbers, for a month and W = 90 days."""
    await still(pilot)
    await pilot.press("p", "p", "w", "w", "w", "tab", "tab", "tab", "tab")
    await still(pilot)


async def dashboard_cohorts(pilot) -> None:
    await still(pilot)
    await pilot.press("h", "right", "right", "right")
    await still(pilot)


async def customers(pilot) -> None:
    await still(pilot)
    await pilot.press("c")
    await still(pilot)
    await pilot.press("down", "down", "down")
    await still(pilot)


async def customers_search(pilot) -> None:
    await customers(pilot)
    await pilot.press("slash", *"ex")
    await still(pilot)


async def customer_detail(pilot) -> None:
    await still(pilot)
    bold = fetch_page(pilot.app.store, ListQuery(search="bold"))[0]
    await pilot.app.push_screen(CustomerDetailScreen(bold.customer_id))
    await still(pilot)


async def import_screen(pilot) -> None:
    await still(pilot)
    await pilot.press("i")
    await still(pilot)


async def help_screen(pilot) -> None:
    await customers(pilot)
    await pilot.press("f1")
    await still(pilot)


async def segment_picker(pilot) -> None:
    await customers(pilot)
    await pilot.press("f")
    await still(pilot)


async def consent_dialog(pilot) -> None:
    await customer_detail(pilot)
    await pilot.press("m")
    await pilot.pause()
    await still(pilot)


SCENES = {
    "dashboard": dashboard,
    "dashboard_crr": dashboard_crr,
    "dashboard_cohorts": dashboard_cohorts,
    "segment_picker": segment_picker,
    "customers": customers,
    "customers_search": customers_search,
    "customer_detail": customer_detail,
    "import": import_screen,
    "help": help_screen,
    "consent_dialog": consent_dialog,
}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("scene", list(SCENES))
def test_screen_snapshot(snap_compare, app: RetainApp, scene: str, size: tuple[int, int]):
    assert snap_compare(app, terminal_size=size, run_before=SCENES[scene])
