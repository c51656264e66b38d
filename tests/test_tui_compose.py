"""The compose screen: who gets a draft and why not, preview, language, discount, export."""

from __future__ import annotations

import email
import email.policy
import re
import sqlite3
from pathlib import Path

from textual.widgets import Checkbox, Input, Select

from core.campaigns import CODE_PATTERN
from core.store import open_store
from tests.compose_support import FOOTER_EN, without_audience, write_template
from tests.test_tui_navigation import help_rows, palette_run
from tests.tui_email_fixtures import (  # noqa: F401
    TODAY,
    choose,
    compose_for_segment,
    customer_id,
    email_app_fixture,
    home_fixture,
    notices,
    open_segments,
    rows,
    text_of,
    type_discount,
    user_templates,
    win_back_export_dialog,
)
from tests.tui_fixtures import (  # noqa: F401
    WAIT_LIMIT,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
    until,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.compose import Audience, ComposeScreen
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.export_drafts import ExportScreen

LAPSED_WIN_BACK = [
    ("[@click=app.quit]y Clicker", "no consent"),
    ("[/ Slash", "no consent"),
    ("[2J Clear", "en"),
    ("Osc ]52;c;aGVsbG8= Clip", "nb"),
    ('=HYPERLINK("http://evil.example","x") Formula', "no consent"),
    ("Line Break Newline", "de"),
    ("Zoë van der Berg", "no consent"),
    ("Rtl\u202eevil Bidi", "en"),
    ("Emily Hughes [/red]", "en"),
]


@pilot_test
async def test_compose_from_a_segment_shows_who_gets_a_draft_and_why_not(email_app: RetainApp):
    async with email_app.run_test(size=(120, 40)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        assert screen.sub_title == "segment lapsed"
        templates = screen.query_one("#template", Select)
        offered = [value for _label, value in templates._options if isinstance(value, str)]
        assert offered == ["come-back-bestsellers", "detractor-follow-up", "feedback", "loyalty",
                           "promoter-ask", "thank-you", "win-back"]  # fmt: skip
        assert templates.value == "come-back-bestsellers"  # the first
        await choose(pilot, screen, "win-back")
        assert text_of(screen, "#recipient-summary") == (
            "segment lapsed: 9 customers, 5 get a draft; left out: 4 no marketing consent"
        )
        assert rows(screen) == LAPSED_WIN_BACK
        await pilot.press("v")
        assert [row[1] for row in rows(screen)] == ["no consent"] * 4
        assert text_of(screen, "#recipient-summary").endswith("· showing left out")
        await pilot.press("v")
        assert [row[1] for row in rows(screen)] == ["en", "nb", "de", "en", "en"]
        await pilot.press("v")
        assert len(rows(screen)) == 9
        await choose(pilot, screen, "thank-you")  # transactional: consent does not matter
        assert set(status for _who, status in rows(screen)) == {"too long ago"}
        assert "9 last order too long ago for this email" in text_of(screen, "#recipient-summary")


@pilot_test
async def test_step_through_recipients_with_n_p_and_brackets(email_app: RetainApp, home: Path):
    # The screen's mechanics, on the whole segment: feedback without its 7-60 days rule.
    without_audience(user_templates(home), "feedback")
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "feedback")

        async def step(*keys: str) -> str:
            seen = screen.previews
            await pilot.press(*keys)
            await until(pilot, lambda: screen.previews > seen, "the preview")
            return text_of(screen, "#preview-head")

        head = text_of(screen, "#preview-head")
        assert head.startswith("1 of 9 · marketing · it (it_IT), the customer's")
        assert 'To: "[@click=app.quit]y Clicker" <click@example.com>' in head
        assert "Left out: no marketing consent (no draft is exported)" in head
        assert 'To: "[/ Slash" <slash@example.com>' in await step("n")
        assert (await step("right_square_bracket")).startswith("3 of 9 · marketing · en")
        assert "Left out" not in text_of(screen, "#preview-head")
        assert "[/ Slash" in await step("p")
        assert "Clicker" in await step("left_square_bracket")
        await step("end")
        assert screen.table.index == 8 and "Emily Hughes [/red]" in text_of(screen, "#preview-head")


@pilot_test
async def test_language_is_the_customers_unless_one_is_chosen(email_app: RetainApp):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "feedback")
        assert "· it (it_IT), the customer's" in text_of(screen, "#preview-head")
        italian = text_of(screen, "#preview-body")
        await choose(pilot, screen, "come-back-bestsellers", lang="de")
        head = text_of(screen, "#preview-head")
        assert head.startswith("1 of 9 · marketing · de (de_IT)\n")  # German words, Italy's money
        assert {status for _who, status in rows(screen) if status in ("en", "nb", "it")} == set()
        assert text_of(screen, "#preview-body") != italian
        assert "Hallo" in text_of(screen, "#preview-body")


@pilot_test
async def test_discount_attached_and_bad_discounts_said_inline(email_app: RetainApp):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "win-back")
        problem = (
            "win-back offers a discount: type one under discount (10% or 5EUR) before exporting."
        )
        assert text_of(screen, "#compose-problem") == problem
        await pilot.press("x")  # refused: nothing to offer yet
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ExportScreen)
        assert f"Cannot export yet: {problem}" in notices(pilot.app)

        await type_discount(pilot, screen, "10x")
        assert text_of(screen, "#compose-problem") == (
            "Discount: discount '10x': write a percentage (10%) or an amount with currency (5EUR)"
        )
        await type_discount(pilot, screen, "5USD")
        assert "the shop's currency is EUR, not USD" in text_of(screen, "#compose-problem")
        await type_discount(pilot, screen, "10%", days="400")
        assert text_of(screen, "#compose-problem") == "Discount: valid days 400: use 1 to 366 days"

        await type_discount(pilot, screen, "10%", days="14")
        assert not screen.query_one("#compose-problem").display
        assert "Discount code: WINBACK10" in text_of(screen, "#preview-head")
        body = text_of(screen, "#preview-body")
        assert "WINBACK10" in body and "10%" in body
        assert "14 dicembre 2024" in body  # valid 14 days from the frozen today, in Italian


@pilot_test
async def test_missing_unsubscribe_setting_is_said_for_marketing_only(
    email_app: RetainApp, shop_db: Path
):
    with open_store(shop_db) as store, store.write() as conn:
        conn.execute("DELETE FROM settings WHERE key LIKE 'shop.unsubscribe%'")
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "feedback")
        assert text_of(screen, "#compose-problem").startswith(
            "marketing emails need these shop settings: "
            "shop.unsubscribe_url (or shop.unsubscribe_mailto)"
        )
        await choose(pilot, screen, "thank-you")
        assert not screen.query_one("#compose-problem").display


def write_typo_template(home: Path) -> None:
    """An owner's template with a misspelt variable on line 1 of its English text."""
    write_template(
        user_templates(home),
        "typo",
        {"en.subject.txt": "Hello", "en.txt": "Hi {{ customer.fist_name }}\n" + FOOTER_EN},
        kind="transactional",
    )


async def compose_typo_for(pilot, customer: int) -> ComposeScreen:
    """The compose screen for one customer with the typo template chosen."""
    screen = ComposeScreen(Audience("Emily", customer_ids=(customer,)), today=TODAY)
    await pilot.app.push_screen(screen)
    await until(pilot, lambda: screen.previews > 0)
    await choose(pilot, screen, "typo")
    return screen


@pilot_test
async def test_template_errors_show_file_and_line_not_a_traceback(email_app: RetainApp, home: Path):
    write_typo_template(home)
    async with email_app.run_test(size=(80, 24)) as pilot:
        emily = customer_id(email_app, "hughes")
        screen = await compose_typo_for(pilot, emily)
        head = text_of(screen, "#preview-head")
        assert head == (
            "1 of 1: Emily Hughes [/red]\nTemplate error in typo/en.txt, line 1: "
            "customer has no field 'fist_name' (did you mean 'first_name'?)"
        )
        assert email_app.is_running


@pilot_test
async def test_compose_from_a_customer(email_app: RetainApp, home: Path):
    # The screen's mechanics, on the whole segment: feedback without its 7-60 days rule.
    without_audience(user_templates(home), "feedback")
    async with email_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await email_app.push_screen(CustomerDetailScreen(customer_id(email_app, "anna")))
        await settle(pilot)
        await pilot.press("c")
        screen = email_app.screen
        assert isinstance(screen, ComposeScreen)
        assert screen.sub_title == "Anna Müller"
        await until(pilot, lambda: screen.previews > 0)
        await choose(pilot, screen, "feedback")
        assert rows(screen) == [("Anna Müller", "de")]
        assert text_of(screen, "#recipient-summary") == "Anna Müller: 1 customer, 1 gets a draft"
        head = text_of(screen, "#preview-head")
        assert "To: Anna Müller <anna.mueller@example.org>" in head
        await pilot.press("escape")
        assert isinstance(email_app.screen, CustomerDetailScreen)


@pilot_test
async def test_recipients_without_a_usable_address_are_listed_with_the_reason(
    email_app: RetainApp, shop_db: Path, home: Path
):
    # The screen's mechanics, on the whole segment: feedback without its 7-60 days rule.
    without_audience(user_templates(home), "feedback")
    with open_store(shop_db) as store, store.write() as conn:
        no_email = conn.execute(
            "INSERT INTO customers(first_name, country, accepts_marketing, imported_at, "
            "updated_at) VALUES ('Nomail', 'DE', 1, '2024-11-30', '2024-11-30')"
        ).lastrowid
        bad_email = conn.execute(
            "INSERT INTO customers(first_name, email, email_key, accepts_marketing, imported_at, "
            "updated_at) VALUES ('Bad', 'bad address', 'bad address', 1, '2024-11-30', "
            "'2024-11-30')"
        ).lastrowid
    async with email_app.run_test(size=(120, 40)) as pilot:
        anna, clicker = customer_id(email_app, "anna"), customer_id(email_app, "clicker")
        audience = Audience("picked", customer_ids=(anna, clicker, no_email, bad_email))
        screen = ComposeScreen(audience, today=TODAY)
        await email_app.push_screen(screen)
        await until(pilot, lambda: screen.previews > 0)
        await choose(pilot, screen, "feedback")
        assert rows(screen) == [
            ("Anna Müller", "de"),
            ("[@click=app.quit]y Clicker", "no consent"),
            ("Nomail", "no email"),
            ("Bad", "bad email"),
        ]
        assert text_of(screen, "#recipient-summary") == (
            "picked: 4 customers, 1 gets a draft; left out: 1 no marketing consent, "
            "1 no email address, 1 email address not usable"
        )
        screen.table.move_to(2)
        await until(pilot, lambda: "Nomail" in text_of(screen, "#preview-head"))
        assert "Left out: no email address (no draft is exported)" in text_of(
            screen, "#preview-head"
        )


@pilot_test
async def test_export_eml_writes_drafts_that_parse(email_app: RetainApp, tmp_path: Path):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen, dialog = await win_back_export_dialog(pilot)
        path = dialog.query_one("#export-path", Input)
        assert path.value == "~/retain-drafts/lapsed-win-back-2024-11-30"
        dialog.query_one("#export-format", Select).value = "mbox"
        await pilot.pause()
        assert path.value == "~/retain-drafts/lapsed-win-back-2024-11-30.mbox"
        dialog.query_one("#export-format", Select).value = "eml"
        await pilot.pause()
        out = tmp_path / "drafts"
        path.value = str(out)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog.finished == 1, "the export")
        summary = text_of(dialog, "#export-summary")
        assert summary.startswith("Drafted 5 of 9 in ")
        assert summary.endswith("Languages: de 1, en 3, nb 1\nLeft out:\n  4 no marketing consent")
        assert "\nCampaign win-back-lapsed-2024-11-30, 5 unique codes\n" in summary
        files = sorted(out.glob("*.eml"))
        assert len(files) == 5
        included = {r.email for r in screen.table.recipients if r.included}
        seen, codes = set(), set()
        for file in files:
            message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
            seen.add(message["To"].addresses[0].addr_spec)
            assert message["X-Unsent"] == "1" and message["Subject"]
            codes.update(re.findall(CODE_PATTERN, message.get_body(("plain",)).get_content()))
        assert seen == included
        assert len(codes) == 5  # each recipient their own code, as the CLI gives them
        with sqlite3.connect(email_app.db_path) as conn:
            stored = {code for (code,) in conn.execute("SELECT code FROM discount_codes")}
        assert stored == codes

        await pilot.press("ctrl+s")  # again: the folder is not empty now
        await until(pilot, lambda: dialog.finished == 2, "the refusal")
        assert "folder is not empty" in text_of(dialog, "#export-summary")
        assert len(list(out.glob("*.eml"))) == 5
        dialog.query_one("#export-overwrite", Checkbox).value = True
        dialog.query_one("#export-campaign", Input).value = "lapsed second try"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog.finished == 3, "the second export")
        # A second campaign to the same people the same day: the frequency cap holds them.
        assert text_of(dialog, "#export-summary").startswith(
            "No drafts written: nobody of 9 gets one.\nCampaign lapsed second try\nLeft out:\n"
            "  5 had a marketing email too recently (frequency cap)"
        )
        assert sorted(out.glob("*.eml")) == files  # nothing written over them
        await pilot.press("escape")
        assert email_app.screen is screen


@pilot_test
async def test_hostile_names_in_previews_are_shown_literally(email_app: RetainApp):
    async with email_app.run_test(size=(120, 40)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "feedback")
        for index in range(9):
            screen.table.move_to(index)
            place = f"{index + 1} of 9 ·"
            await until(pilot, lambda p=place: text_of(screen, "#preview-head").startswith(p))
            svg = email_app.export_screenshot()
            assert not any(ch in svg for ch in ("\x1b", "\x07", "\x9b", "\u202e"))
            text = visible_text(email_app)
            if index == 0:
                assert "Ciao [@click=app.quit]y," in text
            assert "Test [b]Shop[/b]" in text  # the shop's name, in the body
        assert email_app.is_running


@pilot_test
async def test_palette_and_help_offer_the_compose_keys(email_app: RetainApp):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        titles = {command.title for command in email_app.get_system_commands(screen)}
        assert {"Compose: Next", "Compose: Previous", "Compose: Show", "Compose: Export",
                "Compose: Back"} <= titles  # fmt: skip
        await pilot.press("f1")
        keys = {row[0]: row[1:] for row in help_rows(email_app.screen)}
        assert keys["n ]"] == ("Preview the next recipient", "this screen")
        assert keys["p ["] == ("Preview the previous one", "this screen")
        assert {"v", "x", "t", "l", "d", "esc"} <= set(keys)
        await pilot.press("escape")
        assert email_app.screen is screen
        await palette_run(pilot, "compose: next")
        await until(pilot, lambda: screen.table.index == 1)


@pilot_test
async def test_an_empty_segment_says_there_is_nobody(email_app: RetainApp):
    async with email_app.run_test(size=(80, 24)) as pilot:
        segments = await open_segments(pilot)
        segments.table.select_name("new")
        await pilot.press("c")
        screen = email_app.screen
        assert isinstance(screen, ComposeScreen)
        await until(pilot, lambda: screen.plan is not None)
        assert text_of(screen, "#recipient-summary") == "segment new: 0 customers, 0 get a draft"
        assert text_of(screen, "#preview-head") == "Nobody to show (all)."
        await pilot.press("n", "p", "v", "x")
        await settle(pilot)
        assert "Nobody here gets a draft." in notices(email_app)


@pilot_test
async def test_a_settings_change_elsewhere_is_picked_up(email_app: RetainApp, shop_db: Path):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "feedback")
        assert not screen.query_one("#compose-problem").display
        with open_store(shop_db) as store, store.write() as conn:  # e.g. `config unset` meanwhile
            conn.execute("DELETE FROM settings WHERE key LIKE 'shop.unsubscribe%'")
        email_app.check_store()
        await until(pilot, lambda: "shop.unsubscribe_url" in text_of(screen, "#compose-problem"))
        assert screen.query_one("#template", Select).value == "feedback"  # the choice stays


@pilot_test
async def test_an_export_with_failing_drafts_writes_nothing_and_says_why(
    email_app: RetainApp, home: Path, tmp_path: Path
):
    write_typo_template(home)
    async with email_app.run_test(size=(80, 24)) as pilot:
        emily = customer_id(email_app, "hughes")
        await compose_typo_for(pilot, emily)
        await pilot.press("x")
        await settle(pilot)
        dialog = email_app.screen
        assert isinstance(dialog, ExportScreen)
        out = tmp_path / "typo.csv"
        dialog.query_one("#export-path", Input).value = str(out)
        dialog.query_one("#export-format", Select).value = "csv"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog.finished == 1, "the export")
        assert text_of(dialog, "#export-summary") == (
            "1 draft(s) failed to render: nothing was written\n"
            "  typo/en.txt, line 1: customer has no field 'fist_name' (did you mean "
            f"'first_name'?) (customer {emily})"
        )
        assert not out.exists() and list(tmp_path.glob("*typo*")) == []


# -- the first preview waits for nobody else -----------------------------------------------
