"""NPS in the app: the dashboard tile (with its counts, a hint without answers, Enter opens
the detractors) and the latest answer with its comment in customer detail, shown as text."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from core.nps.figures import Answer
from core.nps.importer import import_responses
from core.store import open_store
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
)
from tui.app import RetainApp
from tui.screens.customer_detail import COMMENT_SHOWN, CustomerDetailScreen, answer_text
from tui.screens.customers import CustomersScreen
from tui.widgets.figure_tile import FigureTile

HOSTILE = "[bold]great[/] \x1b[2J\nsecond line"


def tile_text(app: RetainApp, part: str = "value") -> str:
    tile = app.screen.query_one("#tile-nps", FigureTile)
    return str(tile.query_one(f".tile-{part}", Static).visual)


def add_answers(shop_db: Path, tmp_path: Path) -> None:
    """In 2024-Q3 (the test shop's last complete quarter): C001 answers 3 then 10, C002 9,
    C003 7, C004 2 with a hostile comment: 2 promoters, 1 passive, 1 detractor: NPS +25."""
    path = tmp_path / "answers.csv"
    comment = '"' + HOSTILE.replace('"', '""') + '"'
    path.write_text(
        "customer_id,score,answered_at,comment\n"
        "C001,3,2024-07-02,\nC001,10,2024-08-01,\nC002,9,2024-07-03,\nC003,7,2024-09-30,\n"
        f"C004,2,2024-09-01,{comment}\nC005,0,2024-10-02,next quarter\n",
        encoding="utf-8",
    )
    with open_store(shop_db) as store:
        result = import_responses(store, path)
    assert result.rows_rejected == 0, result.errors


def customer(app: RetainApp, external_id: str) -> int:
    return int(app.store.scalar("SELECT id FROM customers WHERE external_id = ?", (external_id,)))  # type: ignore[arg-type]


@pilot_test
async def test_without_answers_the_tile_says_how_to_get_them(app: RetainApp):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert tile_text(app, "title") == "NPS 2024-Q3"
        assert (tile_text(app), tile_text(app, "caption")) == ("—", "no answers")
        tile = app.screen.query_one("#tile-nps", FigureTile)
        assert "retain-tui import responses FILE" in tile.detail


@pilot_test
async def test_the_tile_shows_the_quarters_nps_with_counts_and_opens_the_detractors(
    app: RetainApp, shop_db: Path, tmp_path: Path
):
    add_answers(shop_db, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert (tile_text(app), tile_text(app, "caption")) == ("+25", "P 2  p 1  D 1")
        tile = app.screen.query_one("#tile-nps", FigureTile)
        assert "(2 − 1) / 4 × 100 = +25.0" in tile.detail
        tile.focus()
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        # As of the shop's last order (2024-10-06): C004's 2 and C005's 0 of October.
        ids = sorted(row.customer_id for row in screen.table.window)
        assert ids == sorted([customer(app, "C004"), customer(app, "C005")])


@pilot_test
async def test_customer_detail_shows_the_latest_answer_and_its_comment_as_text(
    app: RetainApp, shop_db: Path, tmp_path: Path
):
    add_answers(shop_db, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.app.push_screen(CustomerDetailScreen(customer(app, "C004")))
        await settle(pilot)
        shown = str(app.screen.query_one("#nps", Static).visual)
        assert shown == "Survey: 2 (detractor) on 2024-09-01\n“[bold]great[/] ␛[2J\nsecond line”"
        await pilot.app.push_screen(CustomerDetailScreen(customer(app, "C001")))
        await settle(pilot)
        shown = str(app.screen.query_one("#nps", Static).visual)
        assert shown == "Survey: 10 (promoter) on 2024-08-01 · 2 answers"


def test_a_long_comment_is_cut_visibly() -> None:
    long = Answer("2024-09-01", 739130, 5, "ü" * 1_000)
    second_line = str(answer_text([long])).split("\n")[1]
    assert second_line == "“" + "ü" * (COMMENT_SHOWN - 1) + "…”"
