"""Customer detail in the app shows referrals both ways: the referrer's code and whom it
brought, and on the referred customer's page who referred them. Names are data, not markup."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from core.importers import import_file
from core.store import open_store
from tests.codes_support import SHOPIFY_HEADER, shopify_row, write_csv
from tests.referral_support import add_referral_code
from tests.tui_fixtures import (  # noqa: F401
    TEST_THEME,
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
)
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen

EVE = "eve.new@example.com"


def referred_shop(shop_db: Path, tmp_path: Path) -> tuple[int, int]:
    """bjorn gets a code; a new customer named in markup orders with it: (bjorn, eve)."""
    with open_store(shop_db) as store:
        bjorn = add_referral_code(store, "REF-AAAAAAAA", "bjorn.odegaard@example.org")
        row = shopify_row("#9001", EVE, "2024-12-20", "40.00", "ref-aaaaaaaa")
        row[-1] = "[red]Eve[/red] Neu"
        import_file(store, write_csv(tmp_path / "new.csv", SHOPIFY_HEADER, [row]), "orders")
        eve = store.scalar("SELECT id FROM customers WHERE email = ?", (EVE,))
    return bjorn, int(eve)


async def shown(pilot, customer_id: int) -> str:
    await settle(pilot)
    await pilot.app.push_screen(CustomerDetailScreen(customer_id))
    await settle(pilot)
    widget = pilot.app.screen.query_one("#referrals", Static)
    return str(widget.visual) if widget.display else ""


@pilot_test
async def test_detail_shows_who_referred_whom(shop_db: Path, tmp_path: Path):
    bjorn, eve = referred_shop(shop_db, tmp_path)
    app = RetainApp(shop_db, theme=TEST_THEME)
    async with app.run_test(size=(100, 40)) as pilot:
        text = await shown(pilot, bjorn)
        assert "code REF-AAAAAAAA · referred 1 customer · 500 points credited" in text
        assert f"referred [red]Eve[/red] Neu (customer {eve}) on 2024-12-20 · 500 points" in text
        text = await shown(pilot, eve)
        assert f"referred by Bjørn Ødegård (customer {bjorn}) with REF-AAAAAAAA" in text
        await pilot.app.pop_screen()
        await pilot.app.pop_screen()
        assert await shown(pilot, 1 if bjorn != 1 and eve != 1 else 2) == ""
