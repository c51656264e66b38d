"""The app on the demo shop: marked on every screen, and an import goes to the owner's shop."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.widgets import Input, Static
from textual.widgets._header import HeaderTitle

from core.demo import DEMO_MARKER, demo_loaded_on
from core.store import open_store
from tests.tui_fixtures import (  # noqa: F401
    DATA,
    TEST_THEME,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    until,
)
from tui.app import RetainApp
from tui.screens.customers import CustomersScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.import_file import ImportScreen
from tui.screens.segments import SegmentsScreen

LOADED = date(2026, 12, 1)


def header(app: RetainApp) -> str:
    return str(app.screen.query_one(HeaderTitle).visual)


def as_demo(shop_db: Path) -> Path:
    with open_store(shop_db) as store:
        store.set_setting(DEMO_MARKER, LOADED.isoformat())
    return shop_db


@pilot_test
async def test_every_screen_says_it_is_the_demo(shop_db: Path, tmp_path: Path):
    app = RetainApp(
        as_demo(shop_db), demo_loaded_on=LOADED, shop_path=tmp_path / "mine.db", theme=TEST_THEME
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert header(app).startswith("DEMO · ")
        assert "retain-tui import orders FILE" in header(app)
        assert len(header(app)) <= app.screen.query_one(HeaderTitle).size.width  # not cut off
        for key, screen in (("c", CustomersScreen), ("s", SegmentsScreen), ("i", ImportScreen)):
            await pilot.press("escape")
            await open_by_key(pilot, key, screen)
            assert header(app).startswith("DEMO · "), key


@pilot_test
async def test_a_real_shop_has_no_demo_mark(shop_db: Path):
    app = RetainApp(shop_db, theme=TEST_THEME)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "DEMO" not in header(app)


@pilot_test
async def test_importing_on_the_demo_fills_the_owners_shop(shop_db: Path, tmp_path: Path):
    mine = tmp_path / "mine" / "shop.db"
    app = RetainApp(as_demo(shop_db), demo_loaded_on=LOADED, shop_path=mine, theme=TEST_THEME)
    with open_store(shop_db) as store:
        demo_orders = store.scalar("SELECT count(*) FROM orders")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        said = str(screen.query_one("#import-summary", Static).visual)
        assert f"Your file goes into {mine}, your own shop, never into the demo." in said
        screen.query_one("#path", Input).value = str(DATA / "tui_shop_orders.csv")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("Imported" in n.message for n in app._notifications))
        notice = next(n.message for n in app._notifications if "Imported" in n.message)
        assert f"into your shop {mine}: quit and start again to open it" in notice
    with open_store(mine) as store:
        assert store.scalar("SELECT count(*) FROM orders") == 20
        assert demo_loaded_on(store) is None
    with open_store(shop_db) as store:
        assert store.scalar("SELECT count(*) FROM orders") == demo_orders


@pilot_test
async def test_a_demo_opened_by_name_does_not_guess_the_owners_shop(shop_db: Path):
    app = RetainApp(as_demo(shop_db), demo_loaded_on=LOADED, shop_path=None, theme=TEST_THEME)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        screen.query_one("#path", Input).value = str(DATA / "tui_shop_orders.csv")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        assert "retain-tui import orders FILE --db" in str(
            screen.query_one("#import-summary", Static).visual
        )


@pilot_test
async def test_a_failed_first_import_on_the_demo_leaves_no_empty_shop(
    shop_db: Path, tmp_path: Path
):
    mine = tmp_path / "mine" / "shop.db"
    app = RetainApp(as_demo(shop_db), demo_loaded_on=LOADED, shop_path=mine, theme=TEST_THEME)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        screen.query_one("#path", Input).value = str(DATA / "unbalanced_quote.csv")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(n.severity == "error" for n in app._notifications))
    messages = [n.message for n in app._notifications]
    assert any("malformed CSV" in message for message in messages), messages
    assert not mine.exists()
