"""Data is not markup and not terminal control, on every screen that shows customer data."""

from __future__ import annotations

from core.customer_pages import ListQuery, fetch_page
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.customers import CustomersScreen

SHOWN_LITERALLY = ("[bold]x Bold", "[@click=app.quit]y", "[/ Slash", "␛[2J Clear", "Osc␛]52;c;")


def no_terminal_control(svg: str) -> bool:
    return not any(ch in svg for ch in ("\x1b", "\x07", "\x9b", "\u202e"))


@pilot_test
async def test_hostile_names_show_literally_in_the_customer_list(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await open_by_key(pilot, "c", CustomersScreen)
        text = visible_text(app)
        for name in SHOWN_LITERALLY:
            assert name in text
        assert "Line␊Break" in text and "Hughes [/red]" in text
        assert no_terminal_control(app.export_screenshot())


@pilot_test
async def test_clicking_a_click_markup_name_does_nothing_but_select_it(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await open_by_key(pilot, "c", CustomersScreen)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        row = next(i for i, r in enumerate(screen.table.window) if r.name.startswith("[@click"))
        await pilot.click(screen.table, offset=(3, row + 1))
        await settle(pilot)
        assert app.is_running and app.return_code is None
        assert screen.table.current.name.startswith("[@click=app.quit]y")


@pilot_test
async def test_hostile_customers_show_literally_in_their_detail(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        everyone = fetch_page(app.store, ListQuery())
        for row in everyone:
            await app.push_screen(CustomerDetailScreen(row.customer_id))
            await settle(pilot)
            svg = app.export_screenshot()
            assert no_terminal_control(svg), row.name
            assert app.is_running
            app.pop_screen()
            await settle(pilot)
        clear = next(row for row in everyone if row.name.endswith("Clear"))
        await app.push_screen(CustomerDetailScreen(clear.customer_id))
        await settle(pilot)
        assert app.screen.sub_title == "␛[2J Clear"
        text = visible_text(app)
        # a product name in the items, cut to its column with an ellipsis
        assert "Evil␛[31m red ␛]8;;http://x…" in text


@pilot_test
async def test_hostile_notes_tags_and_titles(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        slash = fetch_page(app.store, ListQuery(search="slash"))[0]
        await app.push_screen(CustomerDetailScreen(slash.customer_id))
        await settle(pilot)
        assert "note: [/]" in visible_text(app)
        newline = fetch_page(app.store, ListQuery(search="newline"))[0]
        await app.push_screen(CustomerDetailScreen(newline.customer_id))
        await settle(pilot)
        assert app.screen.sub_title == "Line␊Break Newline"
        text = visible_text(app)
        assert "first line" in text and "second line" in text
