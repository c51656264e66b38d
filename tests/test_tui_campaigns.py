"""The Campaigns screen: the figures of `retain-tui campaigns`, and the customers behind them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from core.campaigns.results import campaign_results
from core.store import open_store
from tests.clock import frozen_clock
from tests.test_tui_navigation import palette_run
from tests.tui_fixtures import (  # noqa: F401
    TEST_THEME,
    app_fixture,
    build_shop,
    open_by_key,
    pilot_test,
    settle,
    shown_notices,
    until,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.campaigns import CampaignsScreen
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.customers import CustomersScreen

SPRING = "[bold]x spring"
RUN_AT = "2024-04-01T09:00:00+00:00"


@pytest.fixture(name="shop_db")
def campaign_shop_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's test shop with two campaigns (its orders: tests/data/tui_shop_orders.csv).

    "[bold]x spring", as of 2024-04-01, window to 05-01: drafted C001, C002 (no order in
    the window), C006 (04-02), C008 (04-05, with her code): 2 of 4; held out C009 (04-06)
    and C005 (04-01, the as-of day: not counted): 1 of 2; left out C003 (no_consent).
    "june", as of 2024-10-01: drafted C009 (10-06), no holdout; the data ends on 10-06.
    """
    with frozen_clock(monkeypatch):
        path = build_shop(tmp_path / "shop.db")
    with open_store(path) as store:
        ids = dict(store.execute("SELECT external_id, id FROM customers").fetchall())
        with store.write() as conn:
            for name, as_of, outcomes in (
                (SPRING, "2024-04-01", {
                    "C001": "drafted", "C002": "drafted", "C006": "drafted", "C008": "drafted",
                    "C009": "held_out", "C005": "held_out", "C003": "left_out",
                }),
                ("june", "2024-10-01", {"C009": "drafted"}),
            ):  # fmt: skip
                campaign = conn.execute(
                    "INSERT INTO campaigns (name, template, kind, audience, holdout_percent,"
                    " created_at, as_of) VALUES (?, 'win-back', 'marketing', 'lapsed', 10, ?, ?)",
                    (name, RUN_AT, as_of),
                ).lastrowid
                for customer, outcome in outcomes.items():
                    conn.execute(
                        "INSERT INTO campaign_recipients VALUES (?, ?, ?, ?, 'en', ?)",
                        (campaign, ids[customer], outcome,
                         "no_consent" if outcome == "left_out" else None, RUN_AT),
                    )  # fmt: skip
                    if name == SPRING and outcome == "drafted":
                        conn.execute(
                            "INSERT INTO discount_codes VALUES (?, ?, ?, 'percent', 1000, NULL,"
                            " NULL, NULL, ?)",
                            (f"SPRING-{customer}", campaign, ids[customer], RUN_AT),
                        )
            # C008's order of 04-05 carried her code, as an import of it would store it.
            conn.execute(
                "UPDATE orders SET discount_code = ' spring-c008 ' WHERE external_id = '1013'"
            )
    return path


def row_texts(screen: CampaignsScreen) -> list[list[str]]:
    table = screen.table
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).visual)


async def open_campaigns(pilot) -> CampaignsScreen:
    screen = await open_by_key(pilot, "m", CampaignsScreen)
    await until(pilot, lambda: screen.loads > 0, "the campaigns")
    return screen


async def open_group(pilot, key: str) -> CustomersScreen:
    app = pilot.app
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, CustomersScreen), f"the list of {key}")
    customers = app.screen
    await until(pilot, lambda: customers.table.total is not None, "the customers")
    return customers


@pilot_test
async def test_m_lists_the_campaigns_with_their_figures_at_80_columns(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_campaigns(pilot)
        assert row_texts(screen) == [
            [SPRING, "4", "2", "1/4", "€8.50", "+0.0 pp"],
            ["june", "1", "0", "—", "—", "—"],
        ]
        shown = visible_text(app)
        assert SPRING in shown  # a name is not markup
        for title in ("Campaign", "Drafted", "Held", "Redeemed", "Revenue", "Uplift"):
            assert title in shown, title
        detail = text_of(screen, "#campaign-detail")
        assert "Drafted 4 · held out 2 · left out 1 (no_consent 1)" in detail
        assert "Codes 4 issued, 1 redeemed (25.0 %) · revenue 8.50 EUR from 1 order" in detail
        assert "drafted 50.0 % (2 of 4) · held out 50.0 % (1 of 2)" in detail
        assert "uplift +0.0 pp, 95 % CI" in detail
        assert "2 campaigns · reorders within 30 days · data to 2024-10-06" in text_of(
            screen, "#campaigns-status"
        )
        await pilot.press("down")
        detail = text_of(screen, "#campaign-detail")
        assert "Ordered again within 5 of 30 days so far after 2024-10-01:" in detail
        assert "uplift: none to measure (no holdout)" in detail


@pilot_test
async def test_the_figures_are_those_of_the_command(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_campaigns(pilot)
        assert screen.table.campaigns == campaign_results(app.store)


@pilot_test
async def test_enter_opens_the_drafted_customers_and_one_of_them(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await open_campaigns(pilot)
        customers = await open_group(pilot, "enter")
        assert customers.table.total == 4
        with open_store(app.db_path) as store:
            drafted = {
                row[0]
                for row in store.execute(
                    "SELECT customer_id FROM campaign_recipients WHERE outcome = 'drafted'"
                    " AND campaign_id = (SELECT id FROM campaigns WHERE name = ?)",
                    (SPRING,),
                )
            }
        assert {row.customer_id for row in customers.table.window} == drafted
        assert "drafted in [bold]x spring" in visible_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CustomerDetailScreen), "the customer")
        assert app.screen.customer_id in drafted


@pilot_test
async def test_h_r_and_l_open_the_held_out_the_redeemers_and_the_left_out(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await open_campaigns(pilot)
        for key, count in (("h", 2), ("r", 1), ("l", 1)):
            customers = await open_group(pilot, key)
            assert customers.table.total == count, key
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, CampaignsScreen), "back")


@pilot_test
async def test_a_group_with_nobody_says_so(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_campaigns(pilot)
        await pilot.press("down", "h")
        await until(pilot, lambda: shown_notices(app), "a notice")
        assert [n.message for n in shown_notices(app)] == ["Nobody held out in june."]
        assert app.screen is screen


@pilot_test
async def test_the_palette_opens_the_campaigns(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await palette_run(pilot, "campaigns")
        assert isinstance(app.screen, CampaignsScreen)
