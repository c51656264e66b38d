"""The customer list at 80 columns and wider: what the terminal shows, read from its cells.

Issue 17: at 80×24 two customers must not look alike ("Abigail Ga", "Abigail Ga"); columns
that matter less give way first and come back when the terminal widens; the Predicted CLV
column is there only when `predict` stored a fit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.customer_pages import ListQuery, fetch_page
from core.importers import import_file
from core.segments import add_segment
from core.store import Store
from tests.prediction_support import store_fit
from tests.sizes_support import LONG_EMAIL, give_long_name
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    until,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.customers import CustomersScreen
from tui.screens.segments import SegmentsScreen

NAME = "Maximiliane Rosewood"  # 20 characters
TWIN = "Maximiliane Rosemary"  # the same first 16
EMAIL = "maxi.rose@wood-shop.de"  # 22 characters


def add_customers(store: Store, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "email,first_name,last_name\n"
        f"{EMAIL},{NAME.split()[0]},{NAME.split()[1]}\n"
        f"maxi.rose@wood-shop.com,{TWIN.split()[0]},{TWIN.split()[1]}\n"
    )
    assert import_file(store, people, "customers").customers_added == 2


def screen_line(app: RetainApp, text: str) -> str:
    """The one line of the screen that shows `text`."""
    lines = [line for line in visible_text(app).splitlines() if text in line]
    assert len(lines) == 1, (text, lines)
    return lines[0]


async def open_customers(pilot) -> CustomersScreen:
    screen = await open_by_key(pilot, "c", CustomersScreen)
    await until(pilot, lambda: "Champions" in visible_text(pilot.app), "the rows and segments")
    return screen


@pilot_test
async def test_at_80_columns_a_20_character_name_and_a_22_character_email_show_whole(
    app: RetainApp, tmp_path: Path
):
    add_customers(app.store, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_customers(pilot)
        line = screen_line(app, NAME)
        assert EMAIL in line  # on the same row, whole
        assert TWIN in visible_text(app)  # and the near twin is told apart


@pilot_test
async def test_columns_give_way_as_the_terminal_narrows_and_come_back_when_it_widens(
    app: RetainApp,
):
    async with app.run_test(size=(200, 30)) as pilot:
        screen = await open_customers(pilot)
        table = screen.table
        wide = ["name", "email", "country", "orders", "spent", "last_order", "segment"]
        assert [key.value for key in table.columns] == wide
        header = screen_line(app, "Name ▲")
        assert all(title in header for title in ("Ctry", "Last order", "Segment"))
        assert "Loyal Customers" in visible_text(app)  # segment names whole
        for width, keys in [
            (80, ["name", "email", "orders", "spent", "segment"]),
            (101, ["name", "email", "orders", "spent", "last_order", "segment"]),
            (102, ["name", "email", "country", "orders", "spent", "last_order", "segment"]),
            (60, ["name", "email", "orders", "spent"]),
            (200, wide),
        ]:
            await pilot.resize_terminal(width, 30)
            await until(pilot, lambda keys=keys: [k.value for k in table.columns] == keys)
            header = screen_line(app, "Name ▲")
            assert ("Last order" in header) == ("last_order" in keys)
            assert ("Segment" in header) == ("segment" in keys)


@pilot_test
async def test_numbers_take_the_width_of_their_values(app: RetainApp):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        widths = {key.value: column.width for key, column in screen.table.columns.items()}
        # "Orders ▼" and "€120.20": the header with room for its arrow, the widest value.
        assert widths["orders"] == len("Orders ▼")
        assert widths["spent"] == len("€120.20")


@pilot_test
async def test_every_sortable_header_shows_its_arrow_whole(app: RetainApp):
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_customers(pilot)
        for sort, title in [("country", "Ctry"), ("orders", "Orders"), ("spent", "Spent"),
                            ("last_order", "Last order"), ("email", "Email")]:  # fmt: skip
            for descending, arrow in [(False, "▲"), (True, "▼")]:
                screen.sort_by(sort, descending)
                wanted = f"{title} {arrow}"
                await until(pilot, lambda wanted=wanted: wanted in visible_text(app), wanted)


@pilot_test
async def test_without_a_stored_fit_there_is_no_clv_column_and_no_clv_sort(app: RetainApp):
    async with app.run_test(size=(200, 30)) as pilot:
        screen = await open_customers(pilot)
        assert "clv" not in [key.value for key in screen.table.columns]
        assert "CLV" not in screen_line(app, "Name ▲")
        assert "clv" not in screen.sorts()


@pilot_test
async def test_a_stored_fit_brings_a_sortable_clv_column_that_gives_way_first(app: RetainApp):
    clvs = store_fit(app.store, lambda cid: 100_000 + 700 * cid)
    async with app.run_test(size=(200, 30)) as pilot:
        screen = await open_customers(pilot)
        table = screen.table
        assert "clv" in [key.value for key in table.columns]
        top = max(clvs, key=clvs.__getitem__)
        screen.sort_by("clv")
        await until(pilot, lambda: "CLV ▼" in visible_text(app), "the CLV sort")
        assert table.window[0].customer_id == top
        first = fetch_page(app.store, ListQuery(sort="clv", descending=True), limit=1)[0]
        assert first.customer_id == top
        line = screen_line(app, f"€{clvs[top] // 100:,}.{clvs[top] % 100:02d}")
        assert first.email and first.email in line
        # Narrower: the CLV column goes before Country, Last order and Segment (unless the
        # list is sorted by it: see below).
        screen.sort_by("name")
        await until(pilot, lambda: "Name ▲" in visible_text(app), "the name sort")
        await pilot.resize_terminal(113, 30)
        await until(pilot, lambda: "clv" in [k.value for k in table.columns], "all columns")
        await pilot.resize_terminal(112, 30)
        await until(
            pilot,
            lambda: (
                [k.value for k in table.columns]
                == ["name", "email", "country", "orders", "spent", "last_order", "segment"]
            ),
            "CLV giving way first",
        )


LONG_SEGMENT = "Bought tea twice in spring and never again since the summer"  # 59 characters


@pilot_test
async def test_segment_names_are_whole_from_120_columns_and_give_way_sensibly_at_80(
    app: RetainApp,
):
    add_segment(app.store, LONG_SEGMENT, "orders >= 2")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_by_key(pilot, "s", SegmentsScreen)
        await until(pilot, lambda: bool(screen.table.segments), "the segments")
        shown = visible_text(app)
        assert LONG_SEGMENT in shown
        assert "Potential Loyalists" in shown
        await pilot.resize_terminal(80, 40)  # tall enough to show the owner's segment too
        await until(pilot, lambda: "Bought tea twice in spring and never…" in visible_text(app))
        line = screen_line(app, "Potential Loyalists")  # every built-in name stays whole
        assert line.split()[-1] == "0"  # and the figures beside it: Marketing last
        await pilot.resize_terminal(200, 50)
        await until(pilot, lambda: "Definition" in visible_text(app), "the definition back")
        assert "orders >= 2" in screen_line(app, LONG_SEGMENT)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pilot_test
async def test_a_1000_character_hostile_name_leaves_the_email_and_figures_on_screen(
    app: RetainApp, tmp_path: Path, size: tuple[int, int]
):
    customer_id = give_long_name(app.store, tmp_path)
    height = size[1]
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await app.push_screen(CustomerDetailScreen(customer_id))
        await until(pilot, lambda: LONG_EMAIL in visible_text(app), "the profile")
        shown = visible_text(app)
        assert "Orders: 3   Spent: €75.90" in shown
        assert "Marketing email:" in shown
        assert "Orders (3)" in shown  # the orders table stays where it was
        # The name's one line, beside the figures: literal, cut with an ellipsis.
        name_line = screen_line(app, "Marketing email:")
        assert name_line.startswith("[bold]Zoë\u200b␍␊[/b][@click=app.quit]x\u200d")
        assert "…" in name_line and LONG_EMAIL not in name_line
        assert len(shown.splitlines()) <= height


@pilot_test
async def test_the_column_the_list_is_sorted_by_stays_at_80_columns(app: RetainApp):
    store_fit(app.store, lambda cid: 10_000 * cid)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_customers(pilot)
        for sort, title in [
            ("clv", "CLV ▼"),
            ("country", "Ctry ▲"),
            ("last_order", "Last order ▼"),
        ]:
            screen.sort_by(sort)
            await until(pilot, lambda title=title: title in visible_text(app), title)
            keys = [key.value for key in screen.table.columns]
            assert keys[:2] == ["name", "email"] and sort in keys
            widths = {key.value: column.width for key, column in screen.table.columns.items()}
            assert widths["name"] >= 20 and widths["email"] >= 22
