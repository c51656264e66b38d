"""The contact history section of the customer detail screen (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Log, Static

from core.store import open_store
from tests.codes_support import GENERIC_HEADER, add_campaign, generic_row, write_csv
from tests.tui_fixtures import (  # noqa: F401
    TEST_THEME,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
)
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.import_file import ImportScreen

CAMPAIGN = "[red]spring[/red] \x1b[2J"
"""An owner's campaign name that looks like markup and holds an escape: shown as text."""


@pytest.fixture
def shop(shop_db: Path) -> tuple[Path, int, int]:
    """The test shop with a campaign that gave customer C001 the code their order 1002
    used (WELCOME10); returns the path, C001's id and another customer's id."""
    with open_store(shop_db) as store:
        ids = dict(store.execute("SELECT external_id, id FROM customers"))
        add_campaign(store, CAMPAIGN, {"WELCOME10": ids["C001"]},
                     created_at="2024-03-01T09:00:00+00:00", as_of="2024-03-01")  # fmt: skip
        other = next(number for external, number in ids.items() if external != "C001")
    return shop_db, ids["C001"], other


async def open_detail(pilot, customer_id: int) -> CustomerDetailScreen:
    await settle(pilot)
    await pilot.app.push_screen(CustomerDetailScreen(customer_id))
    await settle(pilot)
    return pilot.app.screen


@pilot_test
async def test_the_history_lists_draft_code_and_redemption(shop: tuple[Path, int, int]):
    path, customer, _other = shop
    app = RetainApp(path, theme=TEST_THEME)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_detail(pilot, customer)
        history = screen.query_one("#history", DataTable)
        assert history.display
        rows = [[cell.plain for cell in history.get_row_at(i)] for i in range(history.row_count)]
        assert [row[2] for row in rows] == ["drafted", "code", "redeemed"]
        assert {row[1] for row in rows} == {"[red]spring[/red] ␛[2J"}
        assert rows[1][3] == "WELCOME10: 10 %, until 2024-12-31; redeemed by 1002"
        assert rows[2][3].startswith("WELCOME10 with order 1002 (8.50")
        title = str(screen.query_one("#history-title", Static).visual)
        assert title == "Contact history (3): campaigns, codes, redemptions"
        await pilot.press("h")
        await settle(pilot)
        assert app.focused is history


@pilot_test
async def test_a_customer_no_campaign_selected_has_no_history_section(
    shop: tuple[Path, int, int],
):
    path, _customer, other = shop
    app = RetainApp(path, theme=TEST_THEME)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(pilot, other)
        assert not screen.query_one("#history", DataTable).display
        assert not screen.query_one("#history-title", Static).display
        await pilot.press("h")  # nothing to move to: the orders keep the focus
        await settle(pilot)
        assert app.focused is screen.query_one("#orders", DataTable)


@pilot_test
async def test_the_import_screen_reports_redeemed_and_reused_codes(
    shop: tuple[Path, int, int], tmp_path: Path
):
    path, _customer, _other = shop
    orders = write_csv(tmp_path / "later.csv", GENERIC_HEADER, [
        generic_row("L-1", "new@example.com", "2024-12-02", "30.00", "welcome10"),
        generic_row("L-2", "[b]x@example.com", "2024-12-03", "20.00", " WELCOME10"),
    ])  # fmt: skip
    app = RetainApp(path, theme=TEST_THEME)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        screen.query_one("#path", Input).value = str(orders)
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = " ".join(str(screen.query_one("#import-summary", Static).visual).split())
        assert "campaign codes redeemed 1" in text
        assert "codes used twice or more 1" in text
        log = screen.query_one("#rejected", Log)
        assert log.display
        assert list(log.lines) == [
            "codes used twice or more:", "  WELCOME10 used by 3 orders: 1002, L-1, L-2",
        ]  # fmt: skip
