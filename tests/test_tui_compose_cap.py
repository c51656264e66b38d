"""The compose screen shows the frequency cap's reason like the others (issue 13): the screen
reads the reasons from core, so only the display is tested here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import Static

from core.store import open_store
from tests.test_tui_compose import LAPSED_WIN_BACK, customer_id, rows
from tests.tui_email_fixtures import (  # noqa: F401
    choose,
    compose_for_segment,
    email_app_fixture,
    home_fixture,
)
from tests.tui_fixtures import pilot_test, shop_db_fixture  # noqa: F401
from tui.app import RetainApp


def contacted_yesterday(db: Path, customer: int) -> None:
    """A marketing campaign that drafted `customer` a day ago (as an export records it)."""
    now = datetime.now(UTC)
    at = (now - timedelta(days=1)).isoformat(timespec="seconds")
    with open_store(db) as store, store.write() as conn:
        conn.execute(
            "INSERT INTO campaigns (name, template, kind, audience, created_at, as_of) "
            "VALUES ('earlier', 'feedback', 'marketing', 'customers', ?, '2026-11-05')",
            (at,),
        )
        conn.execute(
            "INSERT INTO campaign_recipients (campaign_id, customer_id, outcome, recorded_at) "
            "VALUES (1, ?, 'drafted', ?)",
            (customer, at),
        )


@pilot_test
async def test_a_customer_under_the_cap_is_shown_as_left_out(
    email_app: RetainApp, shop_db: Path
) -> None:
    contacted_yesterday(shop_db, customer_id(email_app, "Clear"))
    async with email_app.run_test(size=(120, 40)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "win-back")
        expected = [
            (who, "contacted" if who == "[2J Clear" else status) for who, status in LAPSED_WIN_BACK
        ]
        assert rows(screen) == expected
        summary = str(screen.query_one("#recipient-summary", Static).visual)
        assert summary.startswith("segment lapsed: 9 customers, 4 get a draft; left out: ")
        assert "1 had a marketing email too recently (frequency cap)" in summary
