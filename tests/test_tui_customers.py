"""The customers screen: search as you type, sort, open, page through many, keep the place."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from core.customer_pages import ListQuery, fetch_page
from core.importers import import_file
from core.store import open_store
from tests.tui_fixtures import (  # noqa: F401
    TEST_THEME,
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    until,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.customers import CustomersScreen
from tui.screens.dashboard import DashboardScreen
from tui.widgets.customer_table import WINDOW


def shown_names(screen: CustomersScreen) -> list[str]:
    return [row.name or row.email or "" for row in screen.table.window]


def status(screen: CustomersScreen) -> str:
    return str(screen.query_one("#list-status", Static).visual)


async def open_customers(pilot) -> CustomersScreen:
    return await open_by_key(pilot, "c", CustomersScreen)


@pilot_test
async def test_opens_with_every_customer_sorted_by_name(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        assert len(screen.table.window) == 14 == screen.table.row_count
        assert status(screen) == "1 of 14 customers · by name ▲"
        assert shown_names(screen)[-1] == "nobody@example.com"  # no name: last


@pilot_test
async def test_slash_focuses_search_and_typing_narrows_the_list(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        await pilot.press("slash")
        assert app.focused is screen.query_one("#search", Input)
        await pilot.press(*"example.org")
        await settle(pilot)
        assert sorted(shown_names(screen)) == ["Anna Müller", "Bjørn Ødegård"]
        await pilot.press("space", *"anna")
        await settle(pilot)
        assert shown_names(screen) == ["Anna Müller"]
        assert "matching “example.org anna”" in status(screen)
        await pilot.press("escape")  # leaves the search box, keeps the search
        assert app.focused is screen.table
        assert shown_names(screen) == ["Anna Müller"]
        await pilot.press("x")  # clears it
        await settle(pilot)
        assert len(shown_names(screen)) == 14
        assert screen.query_one("#search", Input).value == ""


@pilot_test
async def test_search_that_matches_nobody_says_so(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        await pilot.press("slash", "z", "z", "z")
        await settle(pilot)
        assert screen.table.row_count == 0
        assert status(screen) == "No customers matching “zzz”."


@pilot_test
async def test_sorting_by_keys_and_by_header_click(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_customers(pilot)
        await pilot.press("s")  # name -> email
        await settle(pilot)
        assert screen.list_query.sort == "email"
        emails = [row.email.lower() for row in screen.table.window]
        assert emails == sorted(emails)
        await pilot.press("s", "s", "s")  # -> country -> orders -> spent
        await settle(pilot)
        assert (screen.list_query.sort, screen.list_query.descending) == ("spent", True)
        spent = [row.revenue for row in screen.table.window]
        assert spent == sorted(spent, reverse=True)
        await pilot.press("S")
        await settle(pilot)
        assert [row.revenue for row in screen.table.window] == sorted(spent)
        assert "by spent ▲" in status(screen)
        # A click on the "Orders" header sorts by orders, most first.
        table = screen.table
        x = sum(column.get_render_width(table) for column in table.ordered_columns[:3]) + 2
        await pilot.click(table, offset=(x, 0))
        await settle(pilot)
        assert (screen.list_query.sort, screen.list_query.descending) == ("orders", True)
        assert str(table.ordered_columns[3].label) == "Orders ▼"


@pilot_test
async def test_enter_opens_the_customer_under_the_cursor(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        await pilot.press("down", "down")
        expected = screen.table.current
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerDetailScreen)
        assert app.screen.customer_id == expected.customer_id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.table.current == expected  # place kept
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


@pytest.fixture
def big_db(shop_db: Path) -> Path:
    """The test shop plus 500 generated customers: more than the table ever holds."""
    with open_store(shop_db) as store, store.write() as conn:
        conn.executemany(
            "INSERT INTO customers (email, email_key, first_name, last_name, country, "
            "imported_at, updated_at) VALUES (?, ?, ?, ?, 'DE', 'x', 'x')",
            [(f"p{n:04d}@example.com", f"p{n:04d}@example.com", "Person", f"{n:04d}")
             for n in range(500)],
        )  # fmt: skip
    return shop_db


@pilot_test
async def test_paging_through_more_customers_than_the_table_holds(big_db: Path):
    app = RetainApp(big_db, theme=TEST_THEME)
    async with app.run_test(size=(80, 50)) as pilot:
        screen = await open_customers(pilot)
        table = screen.table
        seen: list[int] = []
        for _ in range(200):
            seen.extend(row.customer_id for row in table.window)
            assert table.row_count <= WINDOW
            if table.at_end and table.cursor_row == table.row_count - 1:
                break
            await pilot.press("pagedown")
            await settle(pilot)
        assert status(screen) == "514 of 514 customers · by name ▲"
        assert table.first_index > 0  # the first rows were dropped on the way
        with open_store(big_db) as store:
            everyone = [row.customer_id for row in fetch_page(store, ListQuery(), limit=5000)]
        assert list(dict.fromkeys(seen)) == everyone  # in order, none skipped
        assert table.current.customer_id == everyone[-1]
        # Back up page by page across the dropped rows.
        for _ in range(200):
            if table.at_start and table.cursor_row == 0:
                break
            await pilot.press("pageup")
            await settle(pilot)
        assert table.current.customer_id == everyone[0]
        await pilot.press("end")
        await settle(pilot)
        assert table.current.customer_id == everyone[-1]
        assert table.first_index + table.cursor_row == 513
        await pilot.press("home")
        await settle(pilot)
        assert table.current.customer_id == everyone[0] and table.first_index == 0


@pilot_test
async def test_a_change_to_the_store_reloads_the_list_without_losing_the_place(big_db: Path):
    app = RetainApp(big_db, theme=TEST_THEME)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        table = screen.table
        for _ in range(5):
            await pilot.press("pagedown")
            await settle(pilot)
        before = table.current
        place = table.first_index + table.cursor_row
        with open_store(big_db) as other, other.write() as conn:  # e.g. a cron import
            conn.execute(
                "INSERT INTO customers (email, email_key, first_name, last_name, imported_at, "
                "updated_at) VALUES ('a@example.com', 'a@example.com', 'Aaron', 'A', 'x', 'x')"
            )
        assert app.check_store() is True
        await settle(pilot)
        assert table.current.customer_id == before.customer_id
        assert table.first_index + table.cursor_row == place + 1  # Aaron sorts before
        assert table.total == 515
        assert app.check_store() is False  # nothing new since


@pilot_test
async def test_refresh_key_rereads_the_list(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        loads = screen.table.loads
        await pilot.press("r")
        await settle(pilot)
        assert screen.table.loads == loads + 1


@pilot_test
async def test_letters_typed_right_after_slash_all_reach_the_search_box(app: RetainApp):
    """Keys sent back to back, as a fast typist's terminal delivers them."""
    from textual import events

    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        for key, char in (("slash", "/"), ("m", "m"), ("u", "u"), ("l", "l")):
            app._driver.send_message(events.Key(key, char))
        await pilot.pause()
        await settle(pilot)
        assert screen.query_one("#search", Input).value == "mul"


@pilot_test
async def test_what_was_written_before_the_app_ran_is_no_change_to_reload_for(shop_db: Path):
    """The screens' first reads see it: a reload for it would only redo their work (and
    interrupt what the owner started meanwhile)."""
    app = RetainApp(shop_db, theme=TEST_THEME)
    with open_store(shop_db) as other:
        other.set_setting("shop.name", "Renamed before the app ran")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.check_store() is False


@pilot_test
async def test_a_600_character_name_is_cut_with_an_ellipsis_and_the_email_shows(
    app: RetainApp, tmp_path: Path
):
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(f"email,first_name\nanna.mueller@example.org,A{'n' * 599}\n")
    assert import_file(app.store, renamed, "customers").customers_updated == 1
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customers(pilot)
        await until(pilot, lambda: "Champions" in visible_text(app), "the rows and segments")
        shown = visible_text(app)
        # The name is cut to its column, visibly; the email follows in its own column.
        assert "nnnn…  anna.mueller@example.…" in shown  # 22 cells of email at 80
        assert "n" * 100 not in shown
