"""Help, the command palette, going back and quitting: what a terminal user expects."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable

from tests.tui_fixtures import (  # noqa: F401
    TEST_THEME,
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
    until,
)
from tui.app import RetainApp
from tui.screens.customers import CustomersScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.import_file import ImportScreen


def help_rows(screen: HelpScreen) -> list[tuple[str, str, str]]:
    table = screen.query_one(DataTable)
    return [tuple(cell.plain for cell in table.get_row_at(i)) for i in range(table.row_count)]


@pilot_test
async def test_question_mark_shows_the_keys_of_the_current_screen(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_key(pilot, "c", CustomersScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = help_rows(app.screen)
        keys = {row[0]: row for row in rows}
        assert keys["/"][1:] == ("Search names and email as you type", "this screen")
        assert keys["s"][2] == "this screen"
        assert keys["home ^home"][2] == "focused"  # the table's own keys, not DataTable's
        assert keys["^q q"][2] == keys["? f1"][2] == "everywhere"
        assert rows[0][2] == "this screen"  # this screen's keys first
        await pilot.press("escape")
        assert isinstance(app.screen, CustomersScreen)


@pilot_test
async def test_f1_works_even_while_typing_a_search(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_key(pilot, "c", CustomersScreen)
        await pilot.press("slash", "f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, CustomersScreen)


def searched(palette: CommandPalette) -> bool:
    """The palette has finished searching for what was typed (each key starts a new search
    in a worker) and lists what it found."""
    searching = any(
        worker.group == CommandPalette._GATHER_COMMANDS_GROUP and not worker.is_finished
        for worker in palette.app.workers
    )
    return not searching and palette.query_one(CommandList).option_count > 0


async def palette_run(pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    palette = pilot.app.screen
    await pilot.press(*text)
    await until(pilot, lambda: searched(palette), f"the palette's hits for {text!r}")
    await pilot.press("enter")
    await settle(pilot)


@pilot_test
async def test_palette_opens_a_screen_by_its_name(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await palette_run(pilot, "customers")
        assert isinstance(app.screen, CustomersScreen)
        await palette_run(pilot, "import")
        assert isinstance(app.screen, ImportScreen)
        await palette_run(pilot, "dashboard")
        assert isinstance(app.screen, DashboardScreen)
        assert len(app.screen_stack) == 1  # back down the stack, not a second dashboard


@pilot_test
async def test_palette_offers_the_actions_of_the_current_screen(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_key(pilot, "c", CustomersScreen)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Dashboard", "Customers", "Import", "Help", "Quit"} <= titles
        assert {"Customers: Search", "Customers: Sort", "Customers: Reverse", "Customers: Segment",
                "Customers: Back", "Customers: sort by spent"} <= titles  # fmt: skip
        await palette_run(pilot, "sort by spent")
        assert (app.screen.list_query.sort, app.screen.list_query.descending) == ("spent", True)


@pilot_test
async def test_q_quits_with_exit_code_zero(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_key(pilot, "c", CustomersScreen)
        await pilot.press("q")
    assert app.return_code == 0


@pilot_test
async def test_ctrl_q_quits_even_from_the_search_box(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_key(pilot, "c", CustomersScreen)
        await pilot.press("slash", "q", "ctrl+q")
    assert app.return_code == 0


@pilot_test
async def test_works_on_a_16_colour_terminal_and_with_no_color(shop_db: Path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "screen")  # 16 colours
    monkeypatch.delenv("COLORTERM", raising=False)
    app = RetainApp(shop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        assert app.theme == "ansi-dark"


@pilot_test
async def test_a_named_theme_wins_and_an_unknown_one_is_a_notice(shop_db: Path):
    app = RetainApp(shop_db, theme="nord")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "nord"
    app = RetainApp(shop_db, theme="[bold]nope")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme != "[bold]nope"
        assert any("Unknown theme '[bold]nope'" in n.message for n in shown_notices(app))


@pilot_test
async def test_startup_notice_is_shown_as_text(shop_db: Path):
    app = RetainApp(shop_db, "Loaded the demo [b]shop[/b]", theme=TEST_THEME)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notice = next(iter(shown_notices(app)))
        assert (notice.message, notice.markup) == ("Loaded the demo [b]shop[/b]", False)
