"""Stored predictions in the app: the dashboard's "Next 90 days" tile and the customer detail.

The test shop has 14 customers, too few to fit; the predictions a fit would store are written
with the same function `predict` uses (core/predict/stored.py), so what the screens read is
exactly what a real run leaves in the database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from core.customer_pages import ListQuery, fetch_page
from core.predict.stored import save_predictions
from core.store import open_store
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
)
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen
from tui.widgets.figure_tile import FigureTile

FIT = {
    "as_of": "2024-11-30", "horizon_days": 365, "monthly_discount_rate": 0.01,
    "time_unit": "weeks", "r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4, "p": 6.2, "q": 3.7,
    "v": 15.4, "customers": 13, "repeat_customers": 5, "revenue_90_days": 123_456,
}  # fmt: skip


def store_predictions(db: Path, as_of: str) -> int:
    """Predictions for every customer with orders; the one searched as 'bjorn' gets known ones."""
    with open_store(db) as store:
        bjorn = fetch_page(store, ListQuery(search="bjorn"))[0].customer_id
        ids = [row[0] for row in store.execute("SELECT customer_id FROM customer_stats")]
        rows = [(i, 0.5, 1.0, 2000, 4000) for i in ids if i != bjorn]
        rows.append((bjorn, 0.83, 2.5, 3550, 8875))
        save_predictions(store, {**FIT, "as_of": as_of}, rows)
    return bjorn


def tile_text(app: RetainApp, part: str) -> str:
    tile = app.screen.query_one("#tile-predicted", FigureTile)
    return str(tile.query_one(f".tile-{part}", Static).visual)


def latest_order_day(db: Path) -> str:
    from core.as_of import latest_order_date

    with open_store(db) as store:
        return latest_order_date(store).isoformat()  # type: ignore[union-attr]


@pilot_test
async def test_without_a_fit_the_tile_says_how_to_get_one(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert tile_text(app, "caption") == "run predict"
        tile = app.screen.query_one("#tile-predicted", FigureTile)
        assert "needs predictions" in tile.detail


@pytest.mark.parametrize("fresh", [True, False])
def test_the_tile_shows_the_expected_revenue_of_the_stored_fit(shop_db: Path, fresh: bool) -> None:
    as_of = latest_order_day(shop_db) if fresh else "2024-01-31"
    store_predictions(shop_db, as_of)

    @pilot_test
    async def run() -> None:
        app = RetainApp(shop_db, theme="textual-dark")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert tile_text(app, "value") == "€1,234.56"
            caption = tile_text(app, "caption")
            assert caption == f"{'as of' if fresh else 'stale'} {as_of}"
            tile = app.screen.query_one("#tile-predicted", FigureTile)
            assert ("run `retain-tui predict`" in tile.detail) is not fresh

    run()


def test_customer_detail_shows_the_customers_predictions(shop_db: Path) -> None:
    bjorn = store_predictions(shop_db, "2024-01-31")

    @pilot_test
    async def run() -> None:
        app = RetainApp(shop_db, theme="textual-dark")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await app.push_screen(CustomerDetailScreen(bjorn))
            await settle(pilot)
            figures = str(app.screen.query_one("#figures", Static).visual)
            assert "Still active: 83%   Next 365 days: 2.5 orders, CLV €88.75" in figures
            assert "predicted as of 2024-01-31 (stale: run retain-tui predict)" in figures

    run()
