"""The compose screen while it reads: the first preview early, counts read once, who has
nothing to recommend found in the background, and the export dialog's campaign record."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, Select

import tui.screens.compose as compose_screen
import tui.screens.compose_planner as compose_planner
import tui.screens.compose_previewer as compose_previewer
from core.compose import REASONS, Composer, Recipient
from core.recommend.precompute import refresh_customers
from core.store import open_store
from tests.tui_email_fixtures import (  # noqa: F401
    TODAY,
    choose,
    compose_for_segment,
    customer_id,
    email_app_fixture,
    home_fixture,
    notices,
    open_compose,
    rows,
    text_of,
    type_discount,
    win_back_export_dialog,
)
from tests.tui_fixtures import (
    WAIT_LIMIT,
    pilot_test,
    shop_db_fixture,  # noqa: F401
    until,
)
from tui.app import RetainApp
from tui.screens.compose import Audience, ComposeScreen
from tui.widgets.recipient_table import STATUS_WIDTH, status


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
            screen = await open_compose(pilot, "lapsed")
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
        screen = await open_compose(pilot, "lapsed")
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
            screen = await open_compose(pilot, "lapsed")
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
        _, dialog = await win_back_export_dialog(pilot)
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
