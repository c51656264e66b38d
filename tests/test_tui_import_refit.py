"""The app's import screen refits stale predictions as `import` does (core/predict/refit.py)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from core.importers import import_file
from core.predict import forecast, latest_fit, save_forecast
from core.store import open_store
from tests.test_predict_cdnow import write_cdnow_orders
from tests.tui_fixtures import TEST_THEME, open_by_key, pilot_test, settle
from tui.app import RetainApp
from tui.screens.import_file import ImportScreen


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cdnow_tui_refit")
    with open_store(folder / "shop.db", create=True) as store:
        import_file(store, write_cdnow_orders(folder / "orders.csv"), "orders")
        store.set_setting("shop.name", "CD shop")
        save_forecast(store, forecast(store, date(1998, 6, 30), 90))
    return folder / "shop.db"


async def import_through_the_screen(app: RetainApp, pilot, file: Path) -> str:
    screen = await open_by_key(pilot, "i", ImportScreen)
    screen.query_one("#path", Input).value = str(file)
    await pilot.press("ctrl+s")
    await settle(pilot)
    return str(screen.query_one("#import-summary", Static).visual)


@pilot_test
async def test_an_import_in_the_app_refits_a_stale_fit_and_says_so(
    cdnow_db: Path, tmp_path: Path
) -> None:
    db = Path(shutil.copy(cdnow_db, tmp_path / "shop.db"))
    later = tmp_path / "later.csv"
    later.write_text("order_id,ordered_at,customer_id,total\nAPP-1,1998-07-20,00050,20.00\n")
    app = RetainApp(db, theme=TEST_THEME)
    async with app.run_test(size=(100, 30)) as pilot:
        text = await import_through_the_screen(app, pilot, later)
    assert re.search(r"predictions refitted as of 1998-07-20 \(2,357 customers, [\d.]+ s\)", text)
    with open_store(db) as store:
        fit = latest_fit(store)
        assert fit is not None and fit.as_of == date(1998, 7, 20) and fit.horizon_days == 90


@pilot_test
async def test_a_fresh_fit_is_kept_and_the_screen_says_it_is_stale(
    cdnow_db: Path, tmp_path: Path
) -> None:
    db = Path(shutil.copy(cdnow_db, tmp_path / "shop.db"))
    later = tmp_path / "later.csv"
    later.write_text("order_id,ordered_at,customer_id,total\nAPP-2,1998-07-02,00050,20.00\n")
    app = RetainApp(db, theme=TEST_THEME)
    async with app.run_test(size=(100, 30)) as pilot:
        text = await import_through_the_screen(app, pilot, later)
    flat = " ".join(text.split())
    assert "predictions are as of 1998-06-30, the shop's orders now run to 1998-07-02" in flat
    with open_store(db) as store:
        assert latest_fit(store).as_of == date(1998, 6, 30)  # type: ignore[union-attr]
