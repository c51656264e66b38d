"""The Flows screen: the flows of `retain-tui flows`, turned on and off, added and removed.

The shop is the app's test shop (tests/data/tui_shop_*.csv, data to 2024-10-06) with the
seven shipped flows its migrations made. What the screen shows is checked against core
(`flow_statuses`) and what it writes against the committed file, read on a connection of
its own, after the app is closed and opened again.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from core.compose.templates import user_templates_dir
from core.flows import add_flow, enable_flow, flow_statuses, list_flows, parse_trigger, run_flows
from core.paths import shipped_dir
from core.segments import add_segment, remove_segment
from core.store import WRITE_WAIT_ENV, open_store
from tests.conftest import committed_state
from tests.test_tui_navigation import palette_run
from tests.test_tui_write_lock import GAVE_UP, WAITING, OtherWriter
from tests.tui_email_fixtures import EMAIL_SETTINGS
from tests.tui_fixtures import (  # noqa: F401
    TEST_THEME,
    WAIT_LIMIT,
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
    still,
    until,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.dialogs import ConfirmScreen
from tui.screens.flow_form import FlowFormScreen
from tui.screens.flows import FlowsScreen, cron_line
from tui.screens.help import HelpScreen

AS_OF = date(2024, 10, 6)
"""The test shop's latest order: the as-of date of every count and of enabling."""
SHIPPED_WORDS = {
    "come-back-bestsellers": "180 days after the last order",
    "detractor-follow-up": "1 day after a score of 0-6",
    "feedback": "14 days after an order",
    "first-order-thanks": "1 day after a first order",
    "promoter-ask": "7 days after a score of 9-10",
    "second-order-thanks": "1 day after a second order",
    "win-back": "120 days after the last order",
}
HOSTILE_SEGMENT = "[bold]x"


@pytest.fixture(autouse=True)
def shop_can_mail(shop_db: Path) -> None:
    """The test shop with the sender settings emails need (without them each flow shows
    that as its problem: tested last)."""
    with open_store(shop_db) as store:
        for key, value in EMAIL_SETTINGS.items():
            store.set_setting(key, value)


def row_texts(screen: FlowsScreen) -> list[list[str]]:
    table = screen.table
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).visual)


def notices(app: RetainApp) -> list[str]:
    return [notification.message for notification in shown_notices(app)]


def flows_in(db: Path) -> dict[str, object]:
    """Every flow as committed in the file, by name."""
    with open_store(db) as store:
        return {flow.name: flow for flow in list_flows(store)}


async def open_flows(pilot) -> FlowsScreen:
    """`f` from the dashboard, once the list and its counts are shown."""
    screen = await open_by_key(pilot, "f", FlowsScreen)
    await until(pilot, lambda: screen.counts > 0, "the flows' counts")
    return screen


async def select(pilot, screen: FlowsScreen, name: str) -> None:
    assert screen.table.select_name(name), name
    await settle(pilot)


@pilot_test
async def test_f_lists_the_shipped_flows_with_their_triggers_in_words_at_80_columns(
    app: RetainApp,
):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flows(pilot)
        rows = {row[0]: row for row in row_texts(screen)}
        assert {name: row[1] for name, row in rows.items()} == SHIPPED_WORDS
        assert {row[2] for row in rows.values()} == {"off"}  # shipped flows start off
        shown = visible_text(app)
        for title in ("Flow", "When", "On", "Due"):
            assert title in shown, title
        for name in SHIPPED_WORDS:
            assert name in shown, name  # the longest name fits at 80 columns
        assert "Help" in shown.splitlines()[-1] and "Quit" in shown.splitlines()[-1]
        assert "7 flows, 0 on · due as of 2024-10-06" in text_of(screen, "#flows-status")


def footer_line(app: RetainApp) -> str:
    return " ".join(visible_text(app).splitlines()[-1].split())


@pilot_test
async def test_the_dashboard_footer_keeps_help_and_quit_in_view_at_80_columns(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "Screens" in footer_line(app), "the footer")
        footer = footer_line(app)
        assert "Screens" in footer and "q Quit" in footer and "? Help" in footer, footer
        assert "Customers" not in footer  # the screens' keys are one entry here
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: "f Flows" in footer_line(app), "the named keys")
        footer = footer_line(app)
        assert "c Customers" in footer and "m Campaigns" in footer and "? Help" in footer
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: "Screens" in footer_line(app), "the keys grouped again")
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FlowsScreen), "the flows")


@pilot_test
async def test_the_counts_are_those_of_core_at_the_as_of_date(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_flows(pilot)
        expected = {s.flow.name: s.due_today for s in flow_statuses(app.store, AS_OF)}
        reach = {row[0]: row[4] for row in row_texts(screen)}
        assert reach == {name: f"{due:,}" for name, due in expected.items()}
        assert any(expected.values()), "the test shop has someone due in some flow"
        await select(pilot, screen, "first-order-thanks")
        due = expected["first-order-thanks"]
        assert f"as of {AS_OF}" in text_of(screen, "#flow-detail")
        who = f"{due:,} customer" if due else "nobody"
        assert f"If it were on, a run as of {AS_OF} would find {who}" in text_of(
            screen, "#flow-detail"
        )


@pilot_test
async def test_enter_turns_a_flow_on_from_the_as_of_date_and_it_stays_on(
    app: RetainApp, shop_db: Path
):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flows(pilot)
        await select(pilot, screen, "win-back")
        loads = screen.loads
        await pilot.press("enter")
        await until(pilot, lambda: screen.loads > loads, "the list after the write")
        flow = flows_in(shop_db)["win-back"]
        assert flow.enabled and flow.enabled_as_of == AS_OF
        assert screen.current.flow.name == "win-back"  # the cursor stayed on it
        assert screen.current.flow.enabled
        assert notices(app) == [
            "win-back is on: customers whose trigger fires after 2024-10-06 enter it at the "
            "next flows run (nobody before: no backlog)."
        ]
        await pilot.press("space")  # and off again
        await until(pilot, lambda: not flows_in(shop_db)["win-back"].enabled, "off")
        await pilot.press("space")
        await until(pilot, lambda: flows_in(shop_db)["win-back"].enabled, "on again")
    reopened = RetainApp(shop_db, theme=TEST_THEME)
    async with reopened.run_test(size=(80, 24)) as pilot:
        screen = await open_flows(pilot)
        rows = {row[0]: row for row in row_texts(screen)}
        assert rows["win-back"][2] == "on"
        assert rows["feedback"][2] == "off"
        assert "7 flows, 1 on" in text_of(screen, "#flows-status")


@pilot_test
async def test_a_run_from_cron_shows_as_the_last_run(app: RetainApp, shop_db: Path, tmp_path: Path):
    with open_store(shop_db) as store:
        enable_flow(store, "come-back-bestsellers", date(2024, 1, 1))
        report = run_flows(store, AS_OF, out_dir=tmp_path / "drafts")
    assert not report.failed, report.to_dict()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_flows(pilot)
        rows = {row[0]: row for row in row_texts(screen)}
        assert rows["come-back-bestsellers"][3:] == ["on", "0", "2024-10-06"]  # all drafted
        assert rows["feedback"][5] == "—"
        await select(pilot, screen, "come-back-bestsellers")
        detail = text_of(screen, "#flow-detail")
        assert "On since 2024-01-01 · last run as of 2024-10-06" in detail
        assert "Due at the next run: nobody (triggers fired after 2024-10-06" in detail


@pilot_test
async def test_a_flow_turned_on_by_the_command_shows_on_without_reopening(
    app: RetainApp, shop_db: Path
):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flows(pilot)
        with open_store(shop_db) as store:  # `retain-tui flows enable feedback` meanwhile
            enable_flow(store, "feedback", AS_OF)
        loads = screen.loads
        app.check_store()
        await until(pilot, lambda: screen.loads > loads, "the list re-read")
        assert {row[0]: row[2] for row in row_texts(screen)}["feedback"] == "on"


@pilot_test
async def test_a_toggle_waits_for_another_program_writing_and_then_lands(
    app: RetainApp, shop_db: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(WRITE_WAIT_ENV, str(WAIT_LIMIT))
    other = OtherWriter(shop_db)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_flows(pilot)
            await select(pilot, screen, "feedback")
            other.hold()
            await pilot.press("enter")
            await until(pilot, lambda: any(WAITING in n for n in notices(app)), workers=False)
            assert app.screen is screen  # the UI is not blocked
            assert not flows_in(shop_db)["feedback"].enabled
            other.release()
            await until(pilot, lambda: flows_in(shop_db)["feedback"].enabled, "the write")
    finally:
        other.release()
        other.conn.close()


@pilot_test
async def test_a_toggle_that_gives_up_says_so_once_and_changes_nothing(
    app: RetainApp, shop_db: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(WRITE_WAIT_ENV, "1.5")
    other = OtherWriter(shop_db)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_flows(pilot)
            await select(pilot, screen, "feedback")
            other.hold()
            before = committed_state(shop_db)
            await pilot.press("enter")
            await until(pilot, lambda: any(GAVE_UP in n for n in notices(app)), workers=False)
            await pilot.pause()
            assert sum(GAVE_UP in n for n in notices(app)) == 1
            assert committed_state(shop_db) == before
            other.release()
            await pilot.press("enter")  # the same toggle, now that the other program is done
            await until(pilot, lambda: flows_in(shop_db)["feedback"].enabled, "the retry")
    finally:
        other.release()
        other.conn.close()


async def open_form(pilot) -> FlowFormScreen:
    await pilot.press("a")
    await until(pilot, lambda: isinstance(pilot.app.screen, FlowFormScreen), "the form")
    form = pilot.app.screen
    await until(
        pilot,
        lambda: form.query_one("#flow-template", Select).value not in ("", Select.NULL),
        "the templates",
    )
    return form


async def fill(pilot, form: FlowFormScreen, **values: str) -> None:
    for field, value in values.items():
        if field == "template":
            form.query_one("#flow-template", Select).value = value
        else:
            form.query_one(f"#flow-{field}", Input).value = value
    await settle(pilot)


@pilot_test
async def test_a_adds_a_flow_that_starts_off_with_the_cursor_on_it(app: RetainApp, shop_db: Path):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flows(pilot)
        form = await open_form(pilot)
        await fill(
            pilot, form, name="vip-thanks", trigger="nth-order:3", delay="2", discount="10%",
            template="win-back",
        )  # fmt: skip
        assert "Emails each customer 2 days after a third order" in text_of(form, "#trigger-words")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen, "back on the list")
        await until(pilot, lambda: screen.current and screen.current.flow.name == "vip-thanks")
        flow = flows_in(shop_db)["vip-thanks"]
        assert (str(flow.trigger), flow.template, flow.delay_days, flow.discount) == (
            "nth-order:3", "win-back", 2, "10%",
        )  # fmt: skip
        assert not flow.enabled and not flow.shipped
        assert {row[0]: row[1] for row in row_texts(screen)}["vip-thanks"] == (
            "2 days after a third order"
        )


BAD_INPUT = {
    "a bad trigger": {"name": "vip", "trigger": "nth-order:x"},
    "an unknown tier": {"name": "vip", "trigger": "tier:Platinum"},
    "a taken name": {"name": "win-back", "trigger": "order"},
    "a bad name": {"name": "[bold] vip", "trigger": "order"},
    "a missing segment": {"name": "vip", "trigger": "segment:Nobody here"},
    "a bad discount": {
        "name": "vip",
        "trigger": "order",
        "discount": "ten",
        "template": "win-back",
    },
    "a template that takes no discount": {
        "name": "vip",
        "trigger": "order",
        "discount": "10%",
        "template": "thank-you",
    },
    "a negative delay": {"name": "vip", "trigger": "order", "delay": "-3"},
}


@pytest.mark.parametrize("case", BAD_INPUT)
@pilot_test
async def test_adding_with_bad_input_shows_the_error_and_changes_nothing(
    app: RetainApp, shop_db: Path, case: str
):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_flows(pilot)
        form = await open_form(pilot)
        await fill(pilot, form, **BAD_INPUT[case])
        before = committed_state(shop_db)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: form.refusals > 0, "the refusal")
        problem = text_of(form, "#flow-problem")
        assert problem, case
        assert "Traceback" not in problem
        assert app.screen is form  # the owner can correct it
        assert committed_state(shop_db) == before
        assert any(n.startswith("Not added: ") for n in notices(app))


@pilot_test
async def test_a_bad_trigger_is_said_as_you_type(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_flows(pilot)
        form = await open_form(pilot)
        await fill(pilot, form, trigger="nth-order:")
        assert "--trigger" in text_of(form, "#trigger-words")
        await fill(pilot, form, trigger="segment:Champions", delay="0")
        assert text_of(form, "#trigger-words") == "✓ Emails each customer on entering Champions."


@pilot_test
async def test_x_refuses_to_remove_a_shipped_flow(app: RetainApp, shop_db: Path):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flows(pilot)
        await select(pilot, screen, "feedback")
        before = committed_state(shop_db)
        await pilot.press("x")
        await until(pilot, lambda: notices(app), "a notice")
        assert notices(app) == [
            "feedback is a shipped flow: it cannot be removed. Enter turns it off."
        ]
        assert app.screen is screen  # no question asked
        assert committed_state(shop_db) == before


@pilot_test
async def test_x_removes_the_owners_flow_after_a_confirmation(app: RetainApp, shop_db: Path):
    with open_store(shop_db) as store:
        add_flow(store, "vip", parse_trigger("order"), "thank-you")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flows(pilot)
        await select(pilot, screen, "vip")
        await pilot.press("delete")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), workers=False)
        await pilot.press("n")  # kept
        await settle(pilot)
        assert "vip" in flows_in(shop_db)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), workers=False)
        await pilot.press("y")
        await until(pilot, lambda: "vip" not in flows_in(shop_db), "the removal")
        await until(pilot, lambda: "vip" not in [row[0] for row in row_texts(screen)])
        assert "Removed your flow vip." in notices(app)


def vanished_template(store) -> None:
    """The owner's own template, used by a flow, then its folder deleted."""
    folder = user_templates_dir() / "vip-note"
    shutil.copytree(shipped_dir("templates") / "thank-you", folder)
    add_flow(store, "vip", parse_trigger("order"), "vip-note")
    shutil.rmtree(folder)


def vanished_segment(store) -> None:
    """The owner's own segment, used by a flow's trigger, then deleted."""
    add_segment(store, "Regulars", "orders >= 2")
    add_flow(store, "vip", parse_trigger("segment:Regulars"), "thank-you")
    remove_segment(store, "Regulars")


@pytest.mark.parametrize(
    "vanish", [vanished_template, vanished_segment], ids=["template", "segment"]
)
@pilot_test
async def test_a_flow_whose_template_or_segment_vanished_shows_its_problem(
    app: RetainApp, shop_db: Path, vanish
):
    with open_store(shop_db) as store:
        vanish(store)
        problem = {s.flow.name: s.problem for s in flow_statuses(store, AS_OF)}["vip"]
    assert problem and "no longer exists" in problem
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flows(pilot)
        await select(pilot, screen, "vip")
        rows = {row[0]: row for row in row_texts(screen)}
        assert rows["vip"][3] == "problem"
        assert rows["feedback"][3] == "0"  # the others are counted
        assert f"Cannot run: {problem}" in text_of(screen, "#flow-detail")
        assert "1 cannot run" in text_of(screen, "#flows-status")


@pilot_test
async def test_a_segment_name_is_shown_as_text_not_markup(app: RetainApp, shop_db: Path):
    with open_store(shop_db) as store:
        add_segment(store, HOSTILE_SEGMENT, "orders >= 2")
        add_flow(store, "regulars", parse_trigger(f"segment:{HOSTILE_SEGMENT}"), "thank-you")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_flows(pilot)
        await select(pilot, screen, "regulars")
        assert f"on entering {HOSTILE_SEGMENT}" in visible_text(app)


@pilot_test
async def test_help_shows_the_cron_line_and_the_palette_opens_the_flows(
    app: RetainApp, shop_db: Path
):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await palette_run(pilot, "flows")
        assert isinstance(app.screen, FlowsScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert cron_line(shop_db.resolve()) in str(app.screen.query_one("#help-note").visual)
        assert f"--db {shop_db.resolve()} flows run" in cron_line(shop_db.resolve())


# -- snapshots ----------------------------------------------------------------------------------

SIZES = [(80, 24), (120, 40)]


async def flows_list(pilot) -> None:
    screen = await open_flows(pilot)
    await select(pilot, screen, "win-back")
    await still(pilot)


async def flow_form(pilot) -> None:
    await open_flows(pilot)
    form = await open_form(pilot)
    await fill(pilot, form, name="vip", trigger="nth-order:x")
    await still(pilot)


SCENES = {"flows": flows_list, "flow_form": flow_form}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("scene", list(SCENES))
def test_flows_snapshot(snap_compare, app: RetainApp, scene: str, size: tuple[int, int]):
    assert snap_compare(app, terminal_size=size, run_before=SCENES[scene])


@pilot_test
async def test_missing_sender_settings_are_each_flows_problem_before_a_run_fails(
    app: RetainApp, shop_db: Path
):
    with open_store(shop_db) as store, store.write() as conn:
        conn.executemany("DELETE FROM settings WHERE key = ?", [(key,) for key in EMAIL_SETTINGS])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_flows(pilot)
        assert {row[4] for row in row_texts(screen)} == {"problem"}
        await select(pilot, screen, "win-back")
        detail = text_of(screen, "#flow-detail")
        assert "marketing emails need these shop settings" in detail
        assert "shop.unsubscribe_url" in detail
