"""The footer at 80x24 on every screen: Help and Quit always in view, read from the screen as
drawn (not from the bindings), and the screen's keys on a second line before they are cut."""

from __future__ import annotations

from textual.pilot import Pilot

from core.customer_pages import ListQuery, fetch_page
from tests.tui_email_fixtures import (  # noqa: F401
    compose_for_segment,
    email_app_fixture,
    home_fixture,
    open_segments,
)
from tests.tui_fixtures import pilot_test, settle, shop_db_fixture, until  # noqa: F401
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.flow_form import FlowFormScreen
from tui.widgets.footer import FooterEntry, RetainFooter, arrange


def footer_lines(app: RetainApp) -> list[str]:
    """The lines the footer of the current screen takes, as the terminal shows them."""
    footer = app.screen.query_one(RetainFooter)
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    return lines[footer.region.y : footer.region.bottom]


def assert_footer_whole(app: RetainApp, where: str, *, quit_key: str = "q") -> str:
    text = "\n".join(footer_lines(app))
    assert "? Help" in text or "f1 Help" in text or "Close help" in text, (where, text)
    assert f"{quit_key} Quit" in text, (where, text)
    footer = app.screen.query_one(RetainFooter)
    for row in footer.rows:  # every key the footer placed is drawn whole
        for entry in row:
            assert (entry.label or entry.bindings[0][0].description) in text, (where, text)
    return text


async def seen(pilot: Pilot, where: str, **kwargs: str) -> str:
    await settle(pilot)
    await pilot.pause()
    return assert_footer_whole(pilot.app, where, **kwargs)


@pilot_test
async def test_help_and_quit_are_in_the_footer_of_every_screen_at_80x24(email_app: RetainApp):
    app = email_app
    async with app.run_test(size=(80, 24)) as pilot:
        await seen(pilot, "dashboard")
        for key, where in (("c", "customers"), ("m", "campaigns"), ("f", "flows")):
            await pilot.press(key)
            await seen(pilot, where)
            if where == "customers":
                await pilot.press("f1")
                text = await seen(pilot, "help", quit_key="^q")
                assert "esc Close help" in text
                await pilot.press("escape")
            if where == "flows":
                await app.push_screen(FlowFormScreen())
                await seen(pilot, "flow form", quit_key="^q")  # typing: q is a letter
                await pilot.press("escape")
            await pilot.press("escape")
        await pilot.press("i")
        await seen(pilot, "import", quit_key="^q")
        await pilot.press("escape")
        await app.run_action("go('loyalty')")
        await seen(pilot, "loyalty")
        await pilot.press("escape")
        bold = fetch_page(app.store, ListQuery(search="bold"))[0]
        await app.push_screen(CustomerDetailScreen(bold.customer_id))
        await seen(pilot, "detail")
        await pilot.press("escape")
        await open_segments(pilot)
        await seen(pilot, "segments")
        await pilot.press("n")
        await seen(pilot, "segment form", quit_key="^q")
        await pilot.press("escape")
        await settle(pilot)
        compose = await compose_for_segment(pilot, "lapsed")
        text = await seen(pilot, "compose")
        lines = footer_lines(app)
        assert len(lines) == 2, lines  # the compose keys take a line of their own at 80
        assert "d Discount" in lines[0] and lines[1].strip().startswith("? Help  q Quit"), lines
        assert "Export" in text and compose.query_one(RetainFooter).palette_shown
        for width in (81, 92, 100, 140, 200):  # wider: one line once everything fits
            await pilot.resize_terminal(width, 24)
            await until(pilot, lambda w=width: compose.query_one(RetainFooter)._composed_width == w)
            await seen(pilot, f"compose at {width}")
            assert len(footer_lines(app)) == (2 if width < 92 else 1), width


@pilot_test
async def test_the_dashboard_footer_names_each_screen_where_wide_enough(email_app: RetainApp):
    async with email_app.run_test(size=(80, 24)) as pilot:
        text = await seen(pilot, "dashboard at 80")
        assert "c i s m f Screens" in text and "Customers" not in text
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        text = await seen(pilot, "dashboard at 120")
        assert "c Customers" in text and "? Help  q Quit" in text


def entry(description: str, width: int) -> FooterEntry:
    """An entry of exactly `width` cells (key `k`: 1 + description + 3)."""
    from textual.binding import Binding

    text = description.ljust(width - 4, "x")
    return FooterEntry(((Binding("k", "noop", text), True, ""),), ("k",))


def test_keys_go_to_a_second_line_before_help_and_quit_are_dropped():
    pinned = [entry("Help", 8), entry("Quit", 8)]
    keys = [entry(f"K{n}", 20) for n in range(5)]
    assert arrange(keys[:2], pinned, 80) == ([keys[:2] + pinned], True)  # 56 + 14 fits
    assert arrange(keys[:3], pinned, 80) == ([keys[:3] + pinned], False)  # no room for ^p
    rows, palette = arrange(keys[:4], pinned, 80)
    assert rows == [keys[:4], pinned] and palette
    rows, palette = arrange(keys * 2, pinned, 80)  # 10 keys: two lines, the last keys cut
    assert rows == [keys[:4], [keys[4], keys[0], keys[1], *pinned]] and not palette
    rows, _ = arrange(keys, pinned, 30)  # narrower than any sensible terminal: pinned stay
    assert rows[-1][-2:] == pinned
