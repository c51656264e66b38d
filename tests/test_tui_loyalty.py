"""The customer detail screen shows the loyalty balance, its value, the tier and what the
next tier takes, as `balances` computes them."""

from __future__ import annotations

from textual.widgets import Static

from core.as_of import resolve_as_of
from core.customer_pages import ListQuery, fetch_page
from core.loyalty import balances
from core.shop_settings import set_setting
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
)
from tui.app import RetainApp
from tui.display import money
from tui.screens.customer_detail import CustomerDetailScreen


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
