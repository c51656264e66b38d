"""Import from inside the app: progress, summary, rejected rows as text, refreshed screens."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from textual.widgets import Input, Log, Select, Static

from tests.tui_fixtures import (  # noqa: F401
    DATA,
    WAIT_LIMIT,
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
)
from tui.app import RetainApp
from tui.screens.dashboard import DashboardScreen
from tui.screens.import_file import ImportScreen
from tui.widgets.figure_tile import FigureTile
from tui.widgets.path_suggester import PathSuggester


async def open_import(pilot) -> ImportScreen:
    return await open_by_key(pilot, "i", ImportScreen)


def summary(screen: ImportScreen) -> str:
    return str(screen.query_one("#import-summary", Static).visual)


def counted(text: str, label: str) -> int:
    """The count on the summary's `label` line (aligned as the CLI prints it)."""
    found = re.search(rf"^{label} +([\d,]+)$", text, flags=re.MULTILINE)
    assert found, f"no {label!r} line in {text!r}"
    return int(found.group(1).replace(",", ""))


@pilot_test
async def test_import_with_a_bad_row_shows_the_summary_and_the_rejected_row(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#path", Input).value = str(DATA / "tui_import_bad.csv")
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = summary(screen)
        assert "tui_import_bad.csv: generic orders" in text
        assert counted(text, "orders added") == 2 and counted(text, "customers added") == 1
        assert counted(text, "rows rejected") == 1
        log = screen.query_one("#rejected", Log)
        assert log.display
        assert list(log.lines) == [
            "rows rejected:",
            "  tui_import_bad.csv:3: total: not an amount: 'not-money[/b]'",
        ]
        assert app.store.scalar("SELECT count(*) FROM customers") == 15
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        tile = app.screen.query_one("#tile-customers", FigureTile)
        assert str(tile.query_one(".tile-value", Static).visual) == "15"  # refreshed


@pilot_test
async def test_enter_in_the_path_box_starts_the_import(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#path", Input).value = str(DATA / "tui_shop_orders.csv")
        await pilot.press("enter")
        await settle(pilot)
        text = summary(screen)  # nothing changes
        assert [counted(text, f"orders {what}") for what in ("added", "updated", "unchanged")] == [
            0,
            0,
            20,
        ]
        assert not screen.query_one("#rejected", Log).display


@pilot_test
async def test_a_missing_file_is_an_error_notice_and_nothing_is_imported(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#path", Input).value = "/no/such/file.csv"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "cannot read" in summary(screen) and "nothing was imported" in summary(screen)
        assert screen.query_one("#import-summary").has_class("error")
        assert any(n.severity == "error" for n in shown_notices(app))
        assert app.store.scalar("SELECT count(*) FROM import_runs") == 2  # the fixture's two


@pilot_test
async def test_a_customers_file_picked_as_orders_is_refused_with_the_reason(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#path", Input).value = str(DATA / "tui_shop_customers.csv")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "no column for order_id" in summary(screen)


@pilot_test
async def test_an_empty_path_asks_for_a_file(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.worker is None
        assert app.focused is screen.query_one("#path", Input)


@pilot_test
async def test_the_kind_follows_a_recognised_file(app: RetainApp, tmp_path: Path):
    shopify_customers = tmp_path / "customers_export.csv"
    shopify_customers.write_text(
        "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Total Spent\n"
        "'1,Ada,Lovelace,ada@example.com,yes,10.00\n",
        encoding="utf-8",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#path", Input).value = str(shopify_customers)
        await settle(pilot)
        assert screen.query_one("#kind").value == "customers"


def test_path_suggester_completes_files_and_folders(tmp_path: Path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "orders_export.csv").write_text("x")
    (tmp_path / "exports" / ".hidden.csv").write_text("x")
    suggester = PathSuggester()

    def suggest(value: str) -> str | None:
        return asyncio.run(suggester.get_suggestion(value))

    assert suggest(f"{tmp_path}/ex") == f"{tmp_path}/exports/"
    assert suggest(f"{tmp_path}/exports/ord") == f"{tmp_path}/exports/orders_export.csv"
    assert suggest(f"{tmp_path}/exports/") == f"{tmp_path}/exports/orders_export.csv"
    assert suggest(f"{tmp_path}/exports/.h") == f"{tmp_path}/exports/.hidden.csv"
    assert suggest(f"{tmp_path}/nothing/x") is None
    assert suggest("") is None


@pilot_test
async def test_escape_during_an_import_asks_and_stops_it(app: RetainApp, monkeypatch):
    """A long import is simulated: it reports progress until the worker is cancelled."""
    import threading

    import tui.screens.import_file as import_screen

    started, stopped, resume = threading.Event(), threading.Event(), threading.Event()

    def slow_import(store, path, kind, *, progress, **options):
        """Reports progress, then waits (without a clock) until the test has asked to stop."""
        progress(0, 2)
        started.set()
        resume.wait(WAIT_LIMIT)
        try:
            progress(1, 2)
        except import_screen.ImportStopped:
            stopped.set()
            raise
        raise AssertionError("the import was never stopped")

    monkeypatch.setattr(import_screen, "import_file", slow_import)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        screen.query_one("#path", Input).value = str(DATA / "tui_import_bad.csv")
        await pilot.press("ctrl+s")
        assert await asyncio.to_thread(started.wait, WAIT_LIMIT)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")  # go on
        await pilot.pause()
        assert app.screen is screen and screen.running
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        resume.set()
        assert await asyncio.to_thread(stopped.wait, WAIT_LIMIT)
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


@pilot_test
async def test_a_file_of_ambiguous_dates_is_refused_until_the_date_format_is_chosen(
    app: RetainApp, tmp_path: Path
):
    path = tmp_path / "slashes.csv"
    path.write_text("order_id,ordered_at,email,total\nS-1,03/11/2024,new@example.com,5.00\n")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_import(pilot)
        fits = [screen.query_one(f"#{name}").region for name in ("date-format", "strict", "start")]
        assert all(region.right <= 80 and region.width for region in fits), fits
        screen.query_one("#path", Input).value = str(path)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "--date-format DMY" in summary(screen) and "nothing was imported" in summary(screen)
        screen.query_one("#date-format", Select).value = "DMY"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert counted(summary(screen), "orders added") == 1
        assert app.store.scalar("SELECT ordered_at FROM orders WHERE external_id = 'S-1'") == (
            "2024-11-03"
        )
