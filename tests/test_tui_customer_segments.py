"""Segments in the customer list and detail: the RFM column, the segment filter, the scores."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from core.customer_pages import ListQuery, fetch_page
from core.segments import add_segment, customer_rows, list_segments, segment_customer_ids
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    visible_text,
)
from tui.app import RetainApp
from tui.safe_text import EMPTY
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.customers import CustomersScreen
from tui.screens.segment_picker import SegmentPickerScreen, choice_line
from tui.segment_provider import CoreSegments


async def open_customers(pilot) -> CustomersScreen:
    return await open_by_key(pilot, "c", CustomersScreen)


def segment_cells(screen: CustomersScreen) -> dict[int, str]:
    table = screen.table
    column = list(table.columns).index("segment")
    return {
        row.customer_id: table.get_row_at(i)[column].plain for i, row in enumerate(table.window)
    }


async def pick(pilot, name: str) -> None:
    """Choose segment `name` in the open picker (arrow keys, then Enter)."""
    picker = pilot.app.screen
    assert isinstance(picker, SegmentPickerScreen)
    options = picker.query_one(OptionList)
    index = next(
        i for i in range(options.option_count) if options.get_option_at_index(i).id == name
    )
    options.highlighted = index
    await pilot.press("enter")
    await settle(pilot)


@pilot_test
async def test_the_segment_column_shows_each_customers_rfm_segment(app: RetainApp):
    expected = {row["id"]: row["rfm_segment"] or EMPTY for row in customer_rows(app.store)}
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_customers(pilot)
        assert segment_cells(screen) == expected
        assert expected[fetch_page(app.store, ListQuery(search="bjorn"))[0].customer_id] == (
            "Champions"
        )


@pilot_test
async def test_f_filters_by_a_segment_chosen_with_its_size_and_x_clears_it(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        await pilot.press("f")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, SegmentPickerScreen)
        options = picker.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        for info in list_segments(app.store):
            marketing = f"{info.marketing_count:,}" if info.marketing else EMPTY
            assert f"{info.name:<26} {info.count:>9,} {marketing:>9}" in shown
        await pick(pilot, "lapsed")
        assert app.screen is screen
        lapsed = segment_customer_ids(app.store, "lapsed")
        assert len(lapsed) == 9
        assert sorted(row.customer_id for row in screen.table.window) == lapsed
        assert screen.sub_title == "Segment “lapsed”: 9 customers"
        assert str(screen.query_one("#list-status", Static).visual).startswith("1 of 9 customers")
        await pilot.press("slash", *"emily")  # search within the segment
        await settle(pilot)
        assert [row.name for row in screen.table.window] == ["Emily Hughes [/red]"]
        await pilot.press("escape", "x")
        await settle(pilot)
        assert screen.table.total == 14 and screen.sub_title == ""


@pilot_test
async def test_escape_closes_the_picker_without_filtering(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.list_query.restriction is None


@pilot_test
async def test_segment_names_are_shown_literally(app: RetainApp):
    add_segment(app.store, "[b]Mine[/b]", "orders >= 2")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customers(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("end")  # the owner's own segments come last
        assert "[b]Mine[/b]" in visible_text(app)
        await pick(pilot, "[b]Mine[/b]")
        assert app.screen.sub_title == "Segment “[b]Mine[/b]”: 3 customers"


def test_choice_lines_cut_long_names_and_say_when_a_segment_cannot_run():
    provider = CoreSegments()
    assert provider.labels(None, []) == {}  # type: ignore[arg-type]
    from tui.segment_provider import SegmentChoice

    long = SegmentChoice("x" * 40, "custom", 1_234, 1_000)
    assert choice_line(long) == "x" * 25 + "…" + "     1,234     1,000"
    broken = SegmentChoice("Broken", "custom", 0, 0, "unknown field")
    assert choice_line(broken).endswith("cannot run")


@pilot_test
async def test_the_detail_shows_rfm_scores_and_segments(app: RetainApp):
    bjorn = fetch_page(app.store, ListQuery(search="bjorn"))[0].customer_id
    never = fetch_page(app.store, ListQuery(search="never"))[0].customer_id
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.push_screen(CustomerDetailScreen(bjorn))
        await settle(pilot)
        text = str(app.screen.query_one("#rfm", Static).visual)
        row = customer_rows(app.store, ids=[bjorn])[0]
        assert (row["r"], row["f"], row["m"]) == (5, 5, 5)
        assert text == "RFM r 5 · f 5 · m 5: Champions · segments: repeat, vip"
        await app.push_screen(CustomerDetailScreen(never))
        await settle(pilot)
        text = str(app.screen.query_one("#rfm", Static).visual)
        assert text == "RFM: no orders, no scores · in no other segment"
