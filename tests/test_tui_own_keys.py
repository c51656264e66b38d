"""The help screen and the command palette list the shop's actions, not Textual's internals
(Focus Next, Scroll Left, Copy selected text, Screenshot, Maximize, Keys)."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

from tests.test_tui_navigation import help_rows, searched
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    until,
)
from tui.app import RetainApp
from tui.screens.customers import CustomersScreen
from tui.screens.help import HelpScreen

TEXTUAL_WORDS = ("Focus", "Scroll", "Copy", "Screenshot", "Maximize", "Keys", "Page", "Cursor")


def textual_words_in(texts: list[str]) -> list[str]:
    return [text for text in texts if any(word in text for word in TEXTUAL_WORDS)]


@pilot_test
async def test_the_palette_lists_the_shops_actions_only(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in ("", "c", "slash"):  # dashboard, customers, customers while searching
            if key:
                await pilot.press(key)
                await settle(pilot)
            titles = [command.title for command in app.get_system_commands(app.screen)]
            assert textual_words_in(titles) == [], key
            assert {"Help", "Refresh", "Theme", "Quit", "Customers"} <= set(titles), key
        assert "Customers: Back" in titles and "Customers: sort by spent" in titles
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await pilot.press(*"scr")  # Screenshot and Scroll matched this before
        await until(pilot, lambda: searched(palette), "the palette's hits")
        hits = palette.query_one(CommandList)
        shown = [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]
        assert shown and textual_words_in(shown) == [], shown


@pilot_test
async def test_help_lists_the_shops_keys_in_its_own_words(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        rows = help_rows(app.screen)
        assert textual_words_in([row[1] for row in rows]) == []
        keys = {row[0]: row for row in rows}
        assert keys["^q q"][1:] == ("Quit retain-tui", "everywhere")  # our words for ctrl+q too
        assert keys["⏎"][1:] == ("Open the customers behind this figure", "focused")
        assert "p" in keys and "w" in keys and "h" in keys
        await pilot.press("escape")
        await open_by_key(pilot, "c", CustomersScreen)
        await pilot.press("slash", "f1")  # while typing a search: the field's keys are Input's
        assert isinstance(app.screen, HelpScreen)
        rows = help_rows(app.screen)
        assert textual_words_in([row[1] for row in rows]) == []
        assert [row[0] for row in rows] == ["esc", "/", "^q", "f1", "f5"]
