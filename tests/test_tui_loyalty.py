"""The customer detail screen shows the loyalty balance, its value, the tier and what the
next tier takes, as `balances` computes them."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from core.as_of import resolve_as_of
from core.customer_pages import ListQuery, fetch_page
from core.loyalty import balances, loyalty_report
from core.shop_settings import set_setting
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
    until,
)
from tui.app import RetainApp
from tui.display import money
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.loyalty import LoyaltyScreen, RuleDialog


@pilot_test
async def test_the_detail_shows_points_tier_and_the_next_tier(app: RetainApp):
    set_setting(app.store, "loyalty.tiers", "Bronze:0,Silver:100,Gold & Co.:100000")
    bjorn = fetch_page(app.store, ListQuery(search="bjorn"))[0].customer_id
    status = balances(app.store, resolve_as_of(app.store), [bjorn])[bjorn]
    currency = app.store.get_setting("shop.currency")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await app.push_screen(CustomerDetailScreen(bjorn))
        await settle(pilot)
        text = str(app.screen.query_one("#loyalty", Static).visual)
    assert status.points > 0 and status.tier == "Silver"
    assert text == (
        f"Loyalty: {status.points:,} points (worth {money(status.points_value, currency)}) "
        f"· Silver · {money(status.spend_to_next_tier, currency)} more to Gold & Co."
    )


async def open_loyalty(pilot) -> LoyaltyScreen:
    await pilot.app.run_action("go('loyalty')")
    await until(pilot, lambda: isinstance(pilot.app.screen, LoyaltyScreen))
    screen = pilot.app.screen
    await until(pilot, lambda: "customers" in str(screen.query_one("#loyalty-summary").visual))
    return screen


@pilot_test
async def test_the_loyalty_screen_shows_the_tiers_and_edits_a_rule(app: RetainApp):
    report = loyalty_report(app.store, resolve_as_of(app.store))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_loyalty(pilot)
        summary = str(screen.query_one("#loyalty-summary", Static).visual)
        assert f"{report.members:,} customers" in summary
        assert f"{report.points_outstanding:,}" in summary
        table = screen.query_one("#rules", DataTable)
        assert table.row_count == 6
        table.move_cursor(row=0)  # loyalty.points_per_unit
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, RuleDialog))
        field = pilot.app.screen.query_one(Input)
        field.value = "20"
        await pilot.press("enter")
        await until(pilot, lambda: app.store.get_setting("loyalty.points_per_unit") == "20")
        await until(pilot, lambda: str(table.get_row_at(0)[1]) == "20")
        now = loyalty_report(app.store, resolve_as_of(app.store))
        assert now.points_outstanding > report.points_outstanding
        await until(pilot, lambda: f"{now.points_outstanding:,}" in str(
            screen.query_one("#loyalty-summary", Static).visual))  # fmt: skip


@pilot_test
async def test_a_bad_rule_is_one_notice_and_changes_nothing(app: RetainApp):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_loyalty(pilot)
        table = screen.query_one("#rules", DataTable)
        table.move_cursor(row=5)  # loyalty.tiers
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, RuleDialog))
        pilot.app.screen.query_one(Input).value = "Gold:100,Silver:[b]x"
        await pilot.press("enter")
        await until(pilot, lambda: any("loyalty.tiers" in str(n.message)
                                       for n in app.notices_kept))  # fmt: skip
        assert app.store.get_setting("loyalty.tiers") is None  # still the default


@pilot_test
async def test_the_loyalty_screen_shows_points_promised_in_open_codes(app: RetainApp):
    from core.loyalty.codes import record_campaign_codes

    bjorn = fetch_page(app.store, ListQuery(search="bjorn"))[0].customer_id
    with app.store.write() as conn:
        campaign = conn.execute(
            "INSERT INTO campaigns (name, template, kind, audience, discount, options, "
            "holdout_percent, created_at, as_of) VALUES ('points', 'loyalty', 'marketing', "
            "'customers', '{}', '{}', 0, '2026-01-01T00:00:00+00:00', '2026-01-01')"
        ).lastrowid
        conn.execute(
            "INSERT INTO discount_codes (code, campaign_id, customer_id, kind, value, created_at)"
            " VALUES ('LOYALTY-ABCDEFGH', ?, ?, 'amount', 1500, '2026-01-01T00:00:00+00:00')",
            (campaign, bjorn),
        )
        record_campaign_codes(conn, [("LOYALTY-ABCDEFGH", bjorn)], 1500, "2026-01-01")
    currency = app.store.get_setting("shop.currency")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_loyalty(pilot)
        summary = str(screen.query_one("#loyalty-summary", Static).visual)
    assert (
        f"Promised in open codes: 1,500 points, worth {money(1500, currency)} "
        "(deducted when an order uses them)"
    ) in summary.replace("\n", " ")
