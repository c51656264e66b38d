"""The compose screen: who gets a draft and why not, preview, language, discount, export."""

from __future__ import annotations

import email
import email.policy
import json
import re
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Select, Static

import tui.screens.compose as compose_screen
import tui.screens.compose_planner as compose_planner
import tui.screens.compose_previewer as compose_previewer
from core.campaigns import CODE_PATTERN
from core.compose import REASONS, Composer, Recipient
from core.customer_pages import ListQuery, fetch_page
from core.recommend.precompute import refresh_customers
from core.store import open_store
from tests.compose_support import FOOTER_EN, without_audience, write_template
from tests.test_tui_navigation import help_rows, palette_run
from tests.tui_email_fixtures import (  # noqa: F401
    TODAY,
    choose,
    compose_for_segment,
    email_app_fixture,
    home_fixture,
    open_segments,
    user_templates,
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
from tui.widgets.recipient_table import STATUS_WIDTH, status, who


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).visual)


def rows(screen: ComposeScreen) -> list[tuple[str, str]]:
    return [(who(r), status(r)) for r in screen.table.recipients]


def notices(app: RetainApp) -> list[str]:
    return [notification.message for notification in shown_notices(app)]


def customer_id(app: RetainApp, search: str) -> int:
    return fetch_page(app.store, ListQuery(search=search))[0].customer_id


async def type_discount(pilot, screen: ComposeScreen, text: str, days: str | None = None):
    """Type a discount (and days) as the owner would; wait until the screen has read it."""
    seen = screen.previews
    field = screen.query_one("#discount", Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)
    if days is not None:
        screen.query_one("#valid-days", Input).value = days
    await until(pilot, lambda: screen._discount_timer is None and screen.previews > seen)


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
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "win-back")
        await type_discount(pilot, screen, "10%")
        await pilot.press("escape", "x")
        await settle(pilot)
        dialog = email_app.screen
        assert isinstance(dialog, ExportScreen)
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


@pilot_test
async def test_the_first_preview_shows_while_the_rest_of_the_list_is_read(
    email_app: RetainApp, monkeypatch: pytest.MonkeyPatch
):
    """A segment of 200,000 shows its first recipients and a preview at once; the counts
    and the export follow when everyone has been read."""
    monkeypatch.setattr(compose_screen, "FIRST_ROWS", 2)
    release = threading.Event()
    read_in_chunks = Composer.recipient_chunks

    def held_after_the_first_chunk(self, *args, **kwargs):
        chunks = read_in_chunks(self, *args, **kwargs)

        def held():
            for number, chunk in enumerate(chunks):
                if number == 1:
                    release.wait(WAIT_LIMIT)
                yield chunk

        return held()

    monkeypatch.setattr(Composer, "recipient_chunks", held_after_the_first_chunk)

    try:
        async with email_app.run_test(size=(80, 24)) as pilot:
            segments = await open_segments(pilot)
            assert segments.table.select_name("lapsed")
            await pilot.press("c")
            screen = email_app.screen
            assert isinstance(screen, ComposeScreen)
            await until(pilot, lambda: screen.previews > 0, workers=False)
            assert screen.plan is not None and not screen.plan.complete
            assert screen.plan.template == "come-back-bestsellers"
            assert len(rows(screen)) == 2
            summary = "segment lapsed: 9 customers; reading who gets a draft…"
            assert text_of(screen, "#recipient-summary") == summary
            head = text_of(screen, "#preview-head")
            assert head.startswith("1 of 9 · marketing · it (it_IT), the customer's")
            await pilot.press("x")
            await until(
                pilot,
                lambda: "The recipients are still being read." in notices(email_app),
                workers=False,
            )
            assert email_app.screen is screen
            release.set()
            await until(pilot, lambda: screen.plan is not None and screen.plan.exact)
            assert len(rows(screen)) == 9
            summary = "segment lapsed: 9 customers, 5 get a draft; left out: 4 no marketing"
            assert text_of(screen, "#recipient-summary") == f"{summary} consent"
    finally:
        release.set()


@pilot_test
async def test_previews_read_their_customers_lines_and_the_count_reads_everyones_once(
    email_app: RetainApp, monkeypatch: pytest.MonkeyPatch
):
    """Opening on come-back-bestsellers: each preview reads what its own customer bought;
    who has bought every bestseller is found for the whole list in one query, by the
    planner, once the list is read (and once before, counting which template fits best)."""
    statements: list[tuple[object, str]] = []

    def traced_store(*args, **kwargs):
        store = open_store(*args, **kwargs)
        store.conn.set_trace_callback(lambda sql: statements.append((store, sql)))
        return store

    monkeypatch.setattr(compose_planner, "open_store", traced_store)
    monkeypatch.setattr(compose_previewer, "open_store", traced_store)
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await until(pilot, lambda: screen.plan is not None and screen.plan.exact)
        await pilot.press("n")
        await until(pilot, lambda: screen.previews > 1, "the second preview")
        assert screen.choice is not None and screen.choice.template == "come-back-bestsellers"
        previewed = [r.customer_id for r in screen.table.recipients[:2]]
        included = [r.customer_id for r in screen.plan.recipients if r.included]
        assert len(included) == 5
        planner = [sql for store, sql in statements if store is screen.planner.store]
        previews = [sql for store, sql in statements if store is screen.previewer.store]
        assert {tuple(ids) for ids in bought(previews)} == {(previewed[0],), (previewed[1],)}
        assert bought(planner) == [included, included]  # counting the best fit, then the plan
        checked = max(i for i, sql in enumerate(planner) if "HAVING count(*)" in sql)
        assert max(i for i, sql in enumerate(planner) if "FROM customers c" in sql) < checked


def bought(statements: list[str]) -> list[list[int]]:
    """The customers each statement reads the bought products of."""
    asked = "customer_id IN (SELECT value FROM json_each('"
    return [
        json.loads(statement.split(asked, 1)[1].split("'", 1)[0])
        for statement in statements
        if "customer_products" in statement and asked in statement
    ]


def anna_buys_the_last_bestseller(shop_db: Path) -> None:
    """Anna lacked only ACC-EVIL: now she has nothing left to be recommended."""
    with open_store(shop_db) as store, store.write() as conn:
        conn.execute(
            "INSERT INTO order_lines(order_id, position, sku, product, quantity, unit_price) "
            "SELECT o.id, 9, 'ACC-EVIL', 'Evil', 1, 100 FROM orders o "
            "JOIN customers c ON c.id = o.customer_id "
            "WHERE c.email = 'anna.mueller@example.org' ORDER BY o.id LIMIT 1"
        )
        anna = conn.execute(
            "SELECT id FROM customers WHERE email = 'anna.mueller@example.org'"
        ).fetchone()[0]
        refresh_customers(conn, [anna])  # as an import would


def a_guest_orders_on(shop_db: Path, day: date) -> None:
    """A guest order (no customer, so no customer figure moves) that makes `day` the date of
    the latest order: the store's as-of date, from which recency rules count."""
    with open_store(shop_db) as store, store.write() as conn:
        conn.execute(
            "INSERT INTO orders(external_id, ordered_at, order_day, total, source, fingerprint, "
            "imported_at) VALUES ('guest-1', ?, ?, 1000, 'test', 0, ?)",
            (day.isoformat(), day.toordinal(), day.isoformat()),
        )


@pilot_test
async def test_the_count_says_up_to_until_everyone_with_nothing_to_recommend_is_found(
    email_app: RetainApp, shop_db: Path, monkeypatch: pytest.MonkeyPatch
):
    anna_buys_the_last_bestseller(shop_db)
    a_guest_orders_on(shop_db, TODAY)  # the data now ends on TODAY: Anna's order is 180+ days old
    release = threading.Event()
    exact_recipients = Composer.exact_recipients

    def held(self, *args, **kwargs):
        release.wait(WAIT_LIMIT)
        return exact_recipients(self, *args, **kwargs)

    monkeypatch.setattr(Composer, "exact_recipients", held)
    try:
        async with email_app.run_test(size=(80, 24)) as pilot:
            anna = customer_id(email_app, "anna")
            screen = ComposeScreen(Audience("Anna", customer_ids=(anna,)), today=TODAY)
            await email_app.push_screen(screen)
            await until(pilot, lambda: screen.fit is not None, "the best fit", workers=False)
            assert screen.fit.template != "come-back-bestsellers"  # it drafts nobody here
            screen.query_one("#template", Select).value = "come-back-bestsellers"
            await until(
                pilot,
                lambda: (
                    screen.plan is not None
                    and screen.plan.template == "come-back-bestsellers"
                    and screen.plan.complete
                    and "bestseller" in text_of(screen, "#preview-head")
                ),
                workers=False,
            )
            assert rows(screen) == [("Anna Müller", "de")]  # the list does not read order lines
            assert text_of(screen, "#recipient-summary") == "Anna: 1 customer, up to 1 get a draft"
            head = text_of(screen, "#preview-head")
            assert "Left out: already bought every bestseller (no draft is exported)" in head
            release.set()
            await until(pilot, lambda: screen.plan.exact, "the exact count")
            assert rows(screen) == [("Anna Müller", "bought all")]
            assert text_of(screen, "#recipient-summary") == (
                "Anna: 1 customer, 0 get a draft; left out: 1 already bought every bestseller"
            )
            assert text_of(screen, "#preview-head") == head
            await pilot.press("v")  # left out
            assert rows(screen) == [("Anna Müller", "bought all")]
            await pilot.press("v")  # drafted
            assert rows(screen) == []
            await pilot.press("x")
            await until(pilot, lambda: "Nobody here gets a draft." in notices(email_app))
    finally:
        release.set()


@pilot_test
async def test_the_selects_first_announcement_arriving_late_neither_plans_nor_stops_the_fit(
    email_app: RetainApp, monkeypatch: pytest.MonkeyPatch
):
    """On mount the Selects announce their placeholder values; on a fast machine that
    message can be handled after the templates are read. It must not plan the first
    template (holding the planner while the best fit waits for it) nor cancel the fit."""
    templates_read, fit_started, release_fit = (threading.Event() for _ in range(3))
    templates = Composer.templates
    fits = compose_planner.template_fits

    def held_templates(self, *args, **kwargs):
        templates_read.wait(WAIT_LIMIT)
        return templates(self, *args, **kwargs)

    def held_fits(*args, **kwargs):
        fit_started.set()
        release_fit.wait(WAIT_LIMIT)
        yield from fits(*args, **kwargs)

    monkeypatch.setattr(Composer, "templates", held_templates)
    monkeypatch.setattr(compose_planner, "template_fits", held_fits)
    try:
        async with email_app.run_test(size=(80, 24)) as pilot:
            anna = customer_id(email_app, "anna")
            screen = ComposeScreen(Audience("Anna", customer_ids=(anna,)), today=TODAY)
            await email_app.push_screen(screen)
            template, language = screen.query_one("#template"), screen.query_one("#language")
            days = screen.query_one("#valid-days", Input)
            early = [
                Select.Changed(template, ""),
                Select.Changed(language, "auto"),
                Input.Changed(days, days.value),  # read after a debounce
            ]
            templates_read.set()
            await until(pilot, fit_started.is_set, "the fit", workers=False)
            assert screen.templates and screen._fitting
            for message in early:
                screen.post_message(message)
            await until(
                pilot,
                lambda: screen._discount_timer is None and not screen._message_queue.qsize(),
                workers=False,
            )
            assert screen._planned_for is None  # nothing was planned
            assert screen._fitting  # and the fit still applies
            release_fit.set()
            await until(pilot, lambda: screen.fit is not None and screen.plan is not None)
            assert screen.query_one("#template", Select).value == screen.fit.template
            assert screen.plan.template == screen.fit.template
    finally:
        templates_read.set()
        release_fit.set()


@pilot_test
async def test_choosing_again_interrupts_the_search_for_who_has_nothing_to_recommend(
    email_app: RetainApp, monkeypatch: pytest.MonkeyPatch
):
    """A newer choice does not wait for the query on the whole list: it is interrupted."""
    started = threading.Event()

    def endless(self, recipients, template):
        started.set()
        self.store.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1e8) "
            "SELECT count(*) FROM n"
        ).fetchall()  # some 20 s, unless interrupted
        raise AssertionError("the query was not interrupted")

    monkeypatch.setattr(Composer, "exact_recipients", endless)
    async with email_app.run_test(size=(80, 24)) as pilot:
        segments = await open_segments(pilot)
        assert segments.table.select_name("lapsed")
        await pilot.press("c")
        screen = email_app.screen
        assert isinstance(screen, ComposeScreen)
        await until(pilot, lambda: started.is_set() and screen.previews > 0, workers=False)
        await until(
            pilot, lambda: "up to 5" in text_of(screen, "#recipient-summary"), workers=False
        )
        seen = screen.previews
        screen.query_one("#template", Select).value = "feedback"
        await until(
            pilot,
            lambda: screen.plan.template == "feedback" and screen.previews > seen,
            workers=False,
        )
        assert screen.plan.exact and not screen.planner.checking
        # Lapsed customers ordered long before feedback's 60 days: the reason is shown.
        assert text_of(screen, "#recipient-summary") == (
            "segment lapsed: 9 customers, 0 get a draft; left out: "
            "5 last order too long ago for this email, 4 no marketing consent"
        )


@pytest.mark.parametrize("reason", sorted(REASONS))
def test_every_reason_fits_the_status_column(reason: str) -> None:
    shown = status(Recipient(1, "Anna", "anna@example.com", None, reason))
    assert shown and "_" not in shown and len(shown) <= STATUS_WIDTH


@pilot_test
async def test_a_discount_typed_while_the_list_is_read_does_not_read_it_again(
    email_app: RetainApp, monkeypatch: pytest.MonkeyPatch
):
    """The discount changes the drafts, not who gets one: typed while the recipients are
    still being read, it re-renders the preview and leaves the reading alone."""
    release = threading.Event()
    plans: list[tuple[str, str | None]] = []
    read_in_chunks = Composer.recipient_chunks

    def held(self, ids, template, lang, **kwargs):
        if "first" not in kwargs:
            return read_in_chunks(self, ids, template, lang)  # counting for the best fit
        plans.append((template, lang))
        release.wait(WAIT_LIMIT)
        return read_in_chunks(self, ids, template, lang, **kwargs)

    monkeypatch.setattr(Composer, "recipient_chunks", held)
    try:
        async with email_app.run_test(size=(80, 24)) as pilot:
            segments = await open_segments(pilot)
            assert segments.table.select_name("lapsed")
            await pilot.press("c")
            screen = email_app.screen
            assert isinstance(screen, ComposeScreen)
            await until(pilot, lambda: plans, "the first plan", workers=False)
            screen.query_one("#discount", Input).value = "10%"
            await until(pilot, lambda: screen.discount is not None, "the discount", workers=False)
            release.set()
            await until(pilot, lambda: screen.plan is not None and screen.plan.exact)
            assert plans == [("come-back-bestsellers", None)]
    finally:
        release.set()


@pilot_test
async def test_the_export_dialog_records_a_campaign_and_a_rerun_drafts_nobody_twice(
    email_app: RetainApp, tmp_path: Path
):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "win-back")
        await type_discount(pilot, screen, "10%")
        await pilot.press("escape", "x")
        await settle(pilot)
        dialog = email_app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query_one("#export-holdout", Input).value = "95%"
        dialog.query_one("#export-path", Input).value = str(tmp_path / "one.mbox")
        dialog.query_one("#export-format", Select).value = "mbox"
        await pilot.pause()
        dialog.query_one("#export-path", Input).value = str(tmp_path / "one.mbox")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Hold out '95%'" in text_of(dialog, "#export-summary"))
        assert "--holdout" not in text_of(dialog, "#export-summary")
        assert not (tmp_path / "one.mbox").exists()

        dialog.query_one("#export-holdout", Input).value = "20%"
        dialog.query_one("#export-campaign", Input).value = "Spring win-back"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog.finished == 1, "the export")
        first = text_of(dialog, "#export-summary")
        assert "Campaign Spring win-back, 1 held out as the control group, 4 unique codes" in first

        dialog.query_one("#export-path", Input).value = str(tmp_path / "two.mbox")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog.finished == 2, "the re-run")
        again = text_of(dialog, "#export-summary")
        assert "5 drafted by an earlier run" not in again  # 4 drafted, 1 held out
        assert "Campaign Spring win-back, 4 drafted by an earlier run" in again
    with sqlite3.connect(email_app.db_path) as conn:
        outcomes = dict(
            conn.execute(
                "SELECT outcome, count(*) FROM campaign_recipients GROUP BY outcome"
            ).fetchall()
        )
    assert outcomes == {"drafted": 4, "held_out": 1, "left_out": 4}
