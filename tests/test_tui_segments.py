"""The segments screen: sizes, a segment's customers, and the owner's own segments."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from core.segments import add_segment, list_segments
from core.store import open_store
from tests.test_tui_navigation import help_rows, palette_run
from tests.tui_email_fixtures import open_segments
from tests.tui_fixtures import (  # noqa: F401
    TEST_THEME,
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
    until,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.customers import CustomersScreen
from tui.screens.dialogs import ConfirmScreen
from tui.screens.segment_form import SegmentFormScreen
from tui.screens.segments import SegmentsScreen


def cells(screen: SegmentsScreen, name: str) -> list[str]:
    table = screen.table
    row = [info.name for info in screen.segments].index(name)
    return [cell.plain for cell in table.get_row_at(row)]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).visual)


def notices(app: RetainApp) -> list[str]:
    return [notification.message for notification in shown_notices(app)]


def custom_segments(db: Path) -> dict[str, str]:
    with open_store(db) as store:
        return dict(store.execute("SELECT name, expression FROM custom_segments").fetchall())


@pilot_test
async def test_s_on_the_dashboard_lists_every_segment_with_its_sizes(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, SegmentsScreen)
        await until(pilot, lambda: screen.loads > 0)
        names = [info.name for info in screen.segments]
        assert names == [info.name for info in list_segments(app.store)]
        assert len(names) == 21 and screen.table.row_count == 21  # 12 RFM, 9 built-in
        assert cells(screen, "lapsed")[:5] == ["lapsed", "built-in", "9", "64.3%", "5"]
        assert cells(screen, "Champions")[:5] == ["Champions", "RFM", "1", "7.1%", "1"]
        assert cells(screen, "opted-out")[4] == "—"  # not a marketing audience
        assert "21 segments as of 2024-10-06" in text_of(screen, "#segments-status")
        await pilot.press("down")
        assert "Loyal Customers · RFM · R 3–5, F 4–5, M 3–5" in text_of(screen, "#segment-detail")


@pilot_test
async def test_enter_opens_the_customers_of_the_segment(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        assert screen.table.select_name("repeat")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CustomersScreen))
        customers = app.screen
        assert isinstance(customers, CustomersScreen)
        await until(pilot, lambda: customers.table.total is not None)
        assert customers.table.total == 3
        names = sorted(row.name for row in customers.table.window)
        assert names == ["Anna Müller", "Bjørn Ødegård", "[bold]x Bold"]
        assert "only: Segment “repeat”: 3 customers" in visible_text(app)
        await pilot.press("escape")
        assert app.screen is screen


@pilot_test
async def test_new_segment_checks_as_you_type_and_saves_once_fixed(app: RetainApp, shop_db: Path):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_segments(pilot)
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, SegmentFormScreen)
        await pilot.press(*"Germans", "enter", *"orders >= 2")
        await until(pilot, lambda: form.last_check and form.last_check.text == "orders >= 2")
        assert text_of(form, "#expression-count") == "✓ Matches 3 customers."

        await pilot.press(*' and contry = "DE"')
        expression = 'orders >= 2 and contry = "DE"'
        await until(pilot, lambda: form.last_check and form.last_check.text == expression)
        problem = text_of(form, "#expression-problem")
        assert problem == "unknown field 'contry' at column 17; did you mean 'country'?"
        assert text_of(form, "#expression-caret") == " " * 16 + "^"  # under the 'c'
        assert text_of(form, "#expression-count") == ""

        await pilot.press("ctrl+s")  # refused: still on the form, nothing stored
        await settle(pilot)
        assert app.screen is form
        assert custom_segments(shop_db) == {}
        assert any(n.startswith("Not saved: unknown field 'contry'") for n in notices(app))

        await pilot.press(*["left"] * 11, "u")  # contry -> country
        fixed = 'orders >= 2 and country = "DE"'
        await until(pilot, lambda: form.last_check and form.last_check.text == fixed)
        assert text_of(form, "#expression-problem") == text_of(form, "#expression-caret") == ""
        assert text_of(form, "#expression-count") == "✓ Matches 1 customer."

        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen and screen.current.name == "Germans")
        assert custom_segments(shop_db) == {"Germans": fixed}
        assert cells(screen, "Germans")[:3] == ["Germans", "yours", "1"]


@pilot_test
async def test_a_name_that_cannot_be_used_is_said_before_saving(app: RetainApp, shop_db: Path):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_segments(pilot)
        await pilot.press("n")
        form = app.screen
        await pilot.press(*"-x", "tab", *"orders > 1", "enter")
        await settle(pilot)
        assert text_of(form, "#name-problem") == "segment name '-x' cannot start with '-'"
        assert app.focused is form.query_one("#segment-name", Input)  # back to the name
        await pilot.press("end", "backspace", "backspace")
        await pilot.press(*"VIP", "tab", "enter")  # a built-in's name: core refuses it
        await until(pilot, lambda: "built-in" in text_of(form, "#name-problem"))
        assert app.screen is form and custom_segments(shop_db) == {}
        await pilot.press("escape")  # asks: what was typed would be lost
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen


@pilot_test
async def test_edit_changes_the_filter_of_an_own_segment(app: RetainApp, shop_db: Path):
    add_segment(app.store, "Dutch", 'country = "NL"')
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_segments(pilot)
        assert cells(screen, "Dutch")[2] == "2"
        screen.table.select_name("Dutch")
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, SegmentFormScreen)
        name = form.query_one("#segment-name", Input)
        assert (name.value, name.disabled) == ("Dutch", True)  # the name stays
        await until(pilot, lambda: form.last_check is not None)
        assert text_of(form, "#expression-count") == "✓ Matches 2 customers."
        await pilot.press(*" and accepts_marketing")
        await until(pilot, lambda: "1 customer" in text_of(form, "#expression-count"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen and cells(screen, "Dutch")[2] == "1")
        assert custom_segments(shop_db) == {"Dutch": 'country = "NL" and accepts_marketing'}


@pilot_test
async def test_delete_asks_first_and_then_removes_the_segment(app: RetainApp, shop_db: Path):
    add_segment(app.store, "Dutch", 'country = "NL"')
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_segments(pilot)
        screen.table.select_name("Dutch")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep it
        await settle(pilot)
        assert app.screen is screen and custom_segments(shop_db) == {"Dutch": 'country = "NL"'}
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await until(pilot, lambda: "Dutch" not in [info.name for info in screen.segments])
        assert custom_segments(shop_db) == {}
        assert "Deleted your segment Dutch." in notices(app)


@pilot_test
async def test_built_in_segments_cannot_be_edited_or_deleted(app: RetainApp, shop_db: Path):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_segments(pilot)
        screen.table.select_name("Champions")
        await pilot.pause()
        assert "it cannot be edited or deleted" in text_of(screen, "#segment-detail")
        await pilot.press("e")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("d")
        await settle(pilot)
        assert app.screen is screen  # no confirmation: nothing to confirm
        said = notices(app)
        assert "Champions is a RFM segment: it cannot be edited. Press n to make your own." in said
        assert any("Champions is a RFM segment: it cannot be deleted" in n for n in said)
        screen.table.select_name("vip")
        await pilot.press("d")
        await settle(pilot)
        assert any(
            n.startswith("vip is a built-in segment: it cannot be deleted") for n in notices(app)
        )
        assert len(list_segments(app.store)) == 21


@pilot_test
async def test_a_saved_segment_that_cannot_run_is_marked_and_not_opened(app: RetainApp):
    with app.store.write() as conn:  # e.g. written by an older version: refers to nothing
        conn.execute(
            "INSERT INTO custom_segments(name, expression, created_at, updated_at) "
            "VALUES ('Broken', 'segment = \"Gone\"', '2024-01-01', '2024-01-01')"
        )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_segments(pilot)
        assert cells(screen, "Broken")[:3] == ["⚠ Broken", "yours", "—"]
        screen.table.select_name("Broken")
        await pilot.pause()
        assert "Cannot be used: unknown segment 'Gone'" in text_of(screen, "#segment-detail")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert any(n.startswith("Cannot open Broken: unknown segment") for n in notices(app))


@pilot_test
async def test_hostile_segment_names_show_literally(app: RetainApp):
    add_segment(app.store, "[@click=app.quit]Loud", "orders >= 1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        screen.table.select_name("[@click=app.quit]Loud")
        await pilot.pause()
        assert visible_text(app).count("[@click=app.quit]Loud") == 2  # table and detail
        await pilot.press("d")
        await settle(pilot)
        assert "“[@click=app.quit]Loud”" in visible_text(app)
        assert app.is_running


@pilot_test
async def test_palette_goes_to_segments_by_name_and_offers_their_actions(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await palette_run(pilot, "segments")
        screen = app.screen
        assert isinstance(screen, SegmentsScreen)
        await until(pilot, lambda: screen.loads > 0)
        titles = {command.title for command in app.get_system_commands(screen)}
        assert {"Segments: New", "Segments: Edit", "Segments: Delete", "Segments: Email",
                "Segments: Open", "Segments: Back"} <= titles  # fmt: skip
        await palette_run(pilot, "segments: new")
        assert isinstance(app.screen, SegmentFormScreen)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Segment: Save", "Segment: Cancel"} <= titles


@pilot_test
async def test_help_lists_the_keys_of_the_segments_screen_and_form(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_segments(pilot)
        await pilot.press("f1")
        rows = {row[0]: row[1:] for row in help_rows(app.screen)}
        assert rows["n"] == ("Make a segment of your own from a filter", "this screen")
        assert rows["e"][1] == rows["d"][1] == rows["c"][1] == "this screen"
        assert rows["⏎"] == ("Open the segment's customers", "focused")
        await pilot.press("escape", "n")
        await settle(pilot)
        await pilot.press("f1")
        rows = {row[0]: row[1:] for row in help_rows(app.screen)}
        assert rows["^s"] == ("Save the segment (refused while invalid)", "this screen")
        assert rows["esc"][0] == "Back without saving (asks if changed)"
