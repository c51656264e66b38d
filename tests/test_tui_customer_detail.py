"""Customer detail: profile, orders and items, consent and forgetting, each with confirmation."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from core.as_of import resolve_as_of
from core.consent import lift_suppression
from core.customer_pages import ListQuery, fetch_page
from core.customer_profile import load_profile
from core.recommend import Recommender
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
    until,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.dialogs import ConfirmScreen


def find(app: RetainApp, search: str) -> int:
    return fetch_page(app.store, ListQuery(search=search))[0].customer_id


async def open_detail(pilot, customer_id: int) -> CustomerDetailScreen:
    await settle(pilot)
    await pilot.app.push_screen(CustomerDetailScreen(customer_id))
    await settle(pilot)
    return pilot.app.screen


def text(screen: CustomerDetailScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).visual)


@pilot_test
async def test_profile_figures_orders_and_items(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(pilot, find(app, "bjorn"))
        assert screen.sub_title == "Bjørn Ødegård"
        profile = text(screen, "#profile")
        assert "Bjørn Ødegård" in profile and "bjorn.odegaard@example.org" in profile
        assert "NO · nb" in profile
        figures = text(screen, "#figures")
        assert "Marketing email: yes (since 2024-11-30, import)" in figures
        assert "Orders: 3" in figures and "Spent: €120.20" in figures
        orders = screen.query_one("#orders", DataTable)
        assert orders.row_count == 3
        assert [orders.get_row_at(i)[1].plain for i in range(3)] == ["1016", "1015", "1014"]
        lines = screen.query_one("#lines", DataTable)
        assert [lines.get_row_at(i)[0].plain for i in range(2)] == ["TEA-GRN-100", "COF-ESPR-1000"]
        assert text(screen, "#lines-title") == "Items of order 1016 · net €33.40"
        await pilot.press("down")  # the next order's items follow the cursor
        await settle(pilot)
        assert text(screen, "#lines-title").startswith("Items of order 1015")


@pilot_test
async def test_cancelled_orders_are_shown_as_cancelled(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(pilot, find(app, "formula"))
        orders = screen.query_one("#orders", DataTable)
        statuses = [orders.get_row_at(i)[2].plain for i in range(orders.row_count)]
        assert statuses == ["paid", "cancelled"]
        assert "strike" in str(orders.get_row_at(1)[0].style)
        assert "Orders: 1" in text(screen, "#figures")  # the cancelled one does not count


@pilot_test
async def test_withdrawing_consent_asks_first_and_is_recorded_from_the_app(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        anna = find(app, "anna")
        screen = await open_detail(pilot, anna)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "withdraws consent" in str(app.screen.query_one("#question", Static).visual)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        profile = load_profile(app.store, anna)
        assert profile is not None and profile.accepts_marketing is False
        assert (profile.consent_history[-1].accepts_marketing, profile.consent_history[-1].source) \
            == (False, "app")  # fmt: skip
        assert text(screen, "#figures").startswith("Marketing email: no (since")
        assert "app)" in text(screen, "#figures")


@pilot_test
async def test_declining_the_confirmation_changes_nothing(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        anna = find(app, "anna")
        await open_detail(pilot, anna)
        events = app.store.scalar("SELECT count(*) FROM consent_events")
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.store.scalar("SELECT count(*) FROM consent_events") == events
        assert load_profile(app.store, anna).accepts_marketing is True


@pilot_test
async def test_granting_consent_to_a_suppressed_address_is_refused(app: RetainApp):
    """Zoe's "no" came from an import: her address is suppressed until the owner lifts it."""
    async with app.run_test(size=(80, 24)) as pilot:
        zoe = find(app, "zoe")
        await open_detail(pilot, zoe)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert load_profile(app.store, zoe).accepts_marketing is False
        notices = [str(notice.message) for notice in app._notifications]
        assert any("suppression list" in notice for notice in notices)


@pilot_test
async def test_granting_consent_for_someone_who_said_no(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        zoe = find(app, "zoe")
        assert lift_suppression(app.store, "ZOE@example.net ")  # the owner's explicit command
        await open_detail(pilot, zoe)
        await pilot.press("m")
        await settle(pilot)
        assert "agrees to receive marketing email" in str(
            app.screen.query_one("#question", Static).visual
        )
        await pilot.press("enter")  # the focused button is "Yes"
        await settle(pilot)
        assert load_profile(app.store, zoe).accepts_marketing is True


@pilot_test
async def test_a_customer_deleted_meanwhile_is_said_to_be_gone(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        never = find(app, "never")
        screen = await open_detail(pilot, never)
        app.store.execute("DELETE FROM customers WHERE id = ?", (never,))
        screen.reload()
        await settle(pilot)
        assert text(screen, "#profile") == "This customer is no longer in the store."
        await pilot.press("m")  # nothing to toggle: no dialog, no error
        await settle(pilot)
        assert app.screen is screen


@pilot_test
async def test_forgetting_asks_naming_the_customer_then_shows_what_was_removed(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        anna = find(app, "anna")
        screen = await open_detail(pilot, anna)
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#question", Static).visual)
        assert question.startswith("Forget Anna Müller · anna.mueller@example.org for good?")
        await pilot.press("y")
        await until(
            pilot, lambda: "Forgotten" in [n.title for n in shown_notices(app)], "the report"
        )
        await until(pilot, lambda: "(no name)" in text(screen, "#profile"), "the cleared profile")
        assert app.screen is screen
        report = next(n.message for n in shown_notices(app) if n.title == "Forgotten")
        assert "customers.email (1)" in report and "orders kept without personal data" in report
        profile = load_profile(app.store, anna)
        assert profile is not None and (profile.email, profile.name) == (None, "")
        assert "(no email)" in text(screen, "#profile")
        assert screen.query_one("#orders", DataTable).row_count > 0  # the orders stay


@pilot_test
async def test_keeping_the_customer_changes_nothing(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        anna = find(app, "anna")
        await open_detail(pilot, anna)
        await pilot.press("F")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert load_profile(app.store, anna).email is not None


@pilot_test
async def test_a_600_character_name_leaves_the_email_and_figures_on_screen(app: RetainApp):
    """Long values are cut with an ellipsis to one line; the rest of the profile stays."""
    anna = find(app, "anna")
    with app.store.write() as conn:
        conn.execute(
            "UPDATE customers SET first_name = ?, last_name = ? WHERE id = ?",
            ("Annabella" * 66, "Schmidt" * 20, anna),
        )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(pilot, anna)
        shown = visible_text(app)
        email = load_profile(app.store, anna).email
        assert email in shown
        assert "Marketing email:" in shown and "Orders:" in shown and "Spent:" in shown
        assert "AnnabellaAnnabella" in shown and "…" in shown
        assert len(screen.sub_title) <= 60 and screen.sub_title.endswith("…")
        assert screen.query_one("#orders", DataTable).region.height > 2  # the orders show


@pilot_test
async def test_the_recommended_products_are_those_the_emails_would_show(app: RetainApp):
    customer = find(app, "bjorn")
    expected = Recommender(app.store, resolve_as_of(app.store)).for_customers([customer])[customer]
    assert expected  # the small shop has bestsellers Bjørn has not bought
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(pilot, customer)
        await until(pilot, lambda: text(screen, "#recommended").startswith("Recommended: "))
        shown = text(screen, "#recommended")
        for item in expected:
            assert f"{item.name} ({item.reason})" in shown
