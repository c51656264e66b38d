"""Pickers filter as you type: the segment picker (customers, `f`) and the compose screen's
template list (`t`). Typing narrows (case-insensitive, accents folded), Enter picks the
highlighted entry, Escape clears the filter, then closes."""

from __future__ import annotations

from textual.widgets import Select

from core.segments import add_segment, segment_customer_ids
from tests.tui_email_fixtures import (  # noqa: F401
    compose_for_segment,
    email_app_fixture,
    home_fixture,
)
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    until,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.customers import CustomersScreen
from tui.screens.filter_picker import folded
from tui.screens.segment_picker import SegmentPickerScreen
from tui.screens.template_picker import TemplatePickerScreen


def shown_keys(picker) -> list[str]:
    return [item.key for item in picker.shown]


@pilot_test
async def test_typing_narrows_the_segments_and_enter_picks_the_highlighted(app: RetainApp):
    add_segment(app.store, "Zoë's [b]VIPs[/b]", "orders >= 2")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_by_key(pilot, "c", CustomersScreen)
        await pilot.press("f")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, SegmentPickerScreen)
        everything = shown_keys(picker)
        assert len(everything) > 20
        await pilot.press(*"LAPS")
        assert shown_keys(picker) == [key for key in everything if "laps" in key.casefold()]
        assert shown_keys(picker) == ["lapsed"]
        await pilot.press("escape")  # clears the filter, the picker stays
        assert app.screen is picker and shown_keys(picker) == everything
        await pilot.press(*"zoe")  # accents folded
        assert shown_keys(picker) == ["Zoë's [b]VIPs[/b]"]
        assert "Zoë's [b]VIPs[/b]" in visible_text(app)  # shown literally
        await pilot.press("escape", *"a", "down", "enter")  # the second one with an "a"
        await settle(pilot)
        second = [key for key in everything if "a" in folded(key)][1]
        assert app.screen is screen and screen.list_query.restriction is not None
        assert sorted(row.customer_id for row in screen.table.window) == sorted(
            segment_customer_ids(app.store, second)
        )


@pilot_test
async def test_escape_on_an_empty_filter_closes_and_nothing_matching_picks_nothing(
    app: RetainApp,
):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_by_key(pilot, "c", CustomersScreen)
        await pilot.press("f")
        await settle(pilot)
        picker = app.screen
        await pilot.press(*"no such segment", "enter")
        assert app.screen is picker and shown_keys(picker) == []
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is screen and screen.list_query.restriction is None


@pilot_test
async def test_t_opens_the_templates_typing_narrows_and_enter_chooses(email_app: RetainApp):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        opened_on = screen.query_one("#template", Select).value
        await pilot.press("t")
        picker = email_app.screen
        assert isinstance(picker, TemplatePickerScreen)
        everything = shown_keys(picker)
        assert opened_on in everything and len(everything) == len(screen.templates)
        assert picker.option_list.highlighted == everything.index(opened_on)
        await pilot.press(*"THANK")
        assert shown_keys(picker) == ["thank-you"]
        await pilot.press("enter")
        await until(pilot, lambda: screen.plan is not None and screen.plan.template == "thank-you")
        assert email_app.screen is screen
        assert screen.query_one("#template", Select).value == "thank-you"
        await pilot.press("t", *"zzz", "escape", "escape")  # clear, then close: unchanged
        await settle(pilot)
        assert email_app.screen is screen and screen.plan.template == "thank-you"


def test_folding_matches_without_case_or_accents():
    assert folded("Zoë ÅSE Ærø") == "zoe ase ærø"
    assert folded("ﬁne") == "fine"
