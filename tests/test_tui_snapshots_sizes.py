"""SVG snapshots of the customer list and a customer's detail at 80×24, 120×40 and 200×50.

The hostile-names shop (tests/tui_fixtures.py), one customer renamed to a 1,000-character
name with CR/LF, zero-width characters and markup (tests/sizes_support.py), and a stored fit
for the list's Predicted CLV column (tests/prediction_support.py): issue 17's "readable at
80×24, better when larger". Update after a deliberate change with
`pytest tests/test_tui_snapshots_sizes.py --snapshot-update` and look at the result.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.customer_pages import ListQuery, fetch_page
from tests.prediction_support import store_fit
from tests.sizes_support import LONG_EMAIL, give_long_name
from tests.tui_fixtures import TEST_THEME, shop_db_fixture, still  # noqa: F401
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen

SIZES = [(80, 24), (120, 40), (200, 50)]


@pytest.fixture
def hostile_app(shop_db: Path, tmp_path: Path) -> RetainApp:
    app = RetainApp(shop_db, theme=TEST_THEME)
    give_long_name(app.store, tmp_path)
    return app


async def customers(pilot) -> None:
    await still(pilot)
    await pilot.press("c")
    await still(pilot)
    await pilot.press("down", "down", "down")
    await still(pilot)


async def customers_by_clv(pilot) -> None:
    """With a stored fit: the CLV column where there is room, sorted by it."""
    store_fit(pilot.app.store, lambda cid: 10_000 * cid)
    await customers(pilot)
    pilot.app.screen.sort_by("clv")
    await still(pilot)


async def customer_detail(pilot) -> None:
    await still(pilot)
    long_named = fetch_page(pilot.app.store, ListQuery(search=LONG_EMAIL))[0]
    await pilot.app.push_screen(CustomerDetailScreen(long_named.customer_id))
    await still(pilot)


SCENES = {
    "customers": customers,
    "customers_by_clv": customers_by_clv,
    "customer_detail": customer_detail,
}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("scene", list(SCENES))
def test_sized_snapshot(
    snap_compare, hostile_app: RetainApp, scene: str, size: tuple[int, int]
) -> None:
    assert snap_compare(hostile_app, terminal_size=size, run_before=SCENES[scene])
