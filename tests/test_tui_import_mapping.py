"""The import screen before importing (issue 17): what it detected and the first rows (File),
a column picked per field of a generic CSV (Columns), remembered for the next file with the
same header set, bad input refused in the screen, and one notice per import."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static, TabbedContent

import tui.screens.import_file as import_screen
from core.importers.mapping import remembered_mapping
from tests.tui_fixtures import (  # noqa: F401
    DATA,
    app_fixture,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
    until,
)
from tui.app import RetainApp
from tui.screens.import_file import ImportScreen
from tui.widgets.import_preview import ColumnMapping

HEADER = "Nr;Datum;Kunde;Betrag;Status;[bold]Notiz"
GERMAN = (
    f"{HEADER}\n"
    "A-1;03/11/2024;anna@example.com;12,50;storniert;[red]x\x1b[2J\n"
    "A-2;25/11/2024;bo@example.com;5,00;paid;\n"
)
NEXT_MONTH = (  # the same header set, its columns in another order and case
    "kunde;NR;Datum;Betrag;Status;[bold]Notiz\n"
    "carla@example.com;A-3;13/12/2024;7,00;paid;\n"
    "anna@example.com;A-4;14/12/2024;3,00;paid;\n"
)
PICKS = {"order_id": "Nr", "ordered_at": "Datum", "email": "Kunde", "total": "Betrag"}


@pytest.fixture
def german(tmp_path: Path) -> Path:
    path = tmp_path / "bestellungen.csv"
    path.write_text(GERMAN, encoding="utf-8")
    return path


async def choose(pilot, screen: ImportScreen, path: Path) -> None:
    """Type the path (as the owner would paste it) and wait for the file's views."""
    screen.query_one("#path", Input).value = str(path)
    await until(
        pilot,
        lambda: (
            (screen.preview is not None and screen.preview.file == path.name)
            or path.name in _detected(screen)
        ),
        "the preview",
    )


def _detected(screen: ImportScreen) -> str:
    return str(screen.query_one("#import-detected", Static).visual)


def _dates(screen: ImportScreen) -> str:
    return str(screen.query_one("#import-dates", Static).visual)


def _missing(screen: ImportScreen) -> str:
    return str(screen.query_one("#mapping-missing", Static).visual)


def _summary(screen: ImportScreen) -> str:
    return str(screen.query_one("#import-summary", Static).visual)


def _active(screen: ImportScreen) -> str:
    return screen.query_one("#import-views", TabbedContent).active


def _orders(app: RetainApp) -> int:
    return int(app.store.scalar("SELECT count(*) FROM orders"))


def _runs(app: RetainApp) -> int:
    return int(app.store.scalar("SELECT count(*) FROM import_runs"))


async def pick(pilot, screen: ImportScreen, picks: dict[str, str]) -> None:
    for field, column in picks.items():
        screen.query_one(f"#map-{field}", Select).value = column
    await settle(pilot)


@pilot_test
async def test_mapping_a_generic_csv_imports_it_and_prefills_the_next_file(
    app: RetainApp, german: Path, tmp_path: Path
):
    before = _orders(app)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        await choose(pilot, screen, german)
        assert _active(screen) == "columns-tab"  # fields are missing: the pickers come first
        assert "Still missing: order_id, ordered_at, total, customer_id or email" in _missing(
            screen
        )
        assert screen.query_one(ColumnMapping).choices() == {"status": "Status"}
        await pick(pilot, screen, PICKS)
        assert "Every field needed has its column" in _missing(screen)
        assert "Columns not read: [bold]Notiz" in _missing(screen)
        screen.query_one("#map-status", Select).clear()  # its words are not ours
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _active(screen) == "import-tab"
        assert "Imported." in _summary(screen) and "orders added" in _summary(screen)
        assert _orders(app) == before + 2
        statuses = app.store.conn.execute(
            "SELECT status, cancelled FROM orders WHERE external_id IN ('A-1', 'A-2')"
        ).fetchall()
        assert statuses == [(None, 0), (None, 0)]  # Status was left out: not read
        kept = remembered_mapping(app.store, "orders", HEADER.split(";"))
        assert kept is not None and kept.mapping == {v: k for k, v in PICKS.items()}

        second = tmp_path / "bestellungen_dezember.csv"
        second.write_text(NEXT_MONTH, encoding="utf-8")
        await choose(pilot, screen, second)
        assert screen.query_one(ColumnMapping).choices() == {  # prefilled, as this file names them
            "order_id": "NR", "ordered_at": "Datum", "email": "kunde", "total": "Betrag",
        }  # fmt: skip
        assert _active(screen) == "file-tab"  # nothing missing: the rows come first
        assert "4 of 6 columns read, as chosen for these columns on " in _detected(screen)
        await until(pilot, lambda: "day first" in _dates(screen), "the date order")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _orders(app) == before + 4
        assert app.store.scalar("SELECT ordered_at FROM orders WHERE external_id = 'A-3'") == (
            "2024-12-13"
        )


@pilot_test
async def test_the_file_view_shows_what_was_detected_and_the_first_rows_as_text(
    app: RetainApp, german: Path
):
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        await choose(pilot, screen, german)
        assert _detected(screen) == (
            "Detected: generic orders, utf-8-sig, semicolon-delimited\n1 of 6 columns read; no "
            "column for order_id, ordered_at, total, customer_id or email: pick them in Columns"
        )
        assert "no date column yet" in _dates(screen)
        await pick(pilot, screen, PICKS)
        await until(pilot, lambda: "dates day first (DMY)" in _dates(screen), "the date order")
        table = screen.query_one("#preview-rows", DataTable)
        assert [str(column.label) for column in table.columns.values()][-1] == "[bold]Notiz"
        assert table.row_count == 2
        assert str(table.get_cell_at((0, 5))) == "[red]x␛[2J"  # markup and ESC shown, inert
        shopify = DATA / "shopify_orders.csv"
        await choose(pilot, screen, shopify)
        await until(pilot, lambda: "shopify orders" in _detected(screen), "the next preview")
        assert screen.query_one("#import-views", TabbedContent).get_tab("columns-tab").display is (
            False
        )  # a shop export's columns have fixed names: nothing to pick


@pilot_test
async def test_an_ambiguous_date_order_is_said_before_importing(app: RetainApp, tmp_path: Path):
    slashes = tmp_path / "slashes.csv"
    slashes.write_text("order_id,ordered_at,email,total\nS-1,03/11/2024,new@example.com,5.00\n")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        await choose(pilot, screen, slashes)
        await until(pilot, lambda: "--date-format" in _dates(screen), "the date problem")
        assert screen.query_one("#import-dates", Static).has_class("error")
        screen.query_one("#date-format", Select).value = "MDY"
        await until(pilot, lambda: "month first" in _dates(screen), "the chosen order")


@pytest.mark.parametrize(
    ("picks", "said"),
    [
        ({"customer_id": "Kunde"}, "customer_id and email are both read from column 'Kunde'"),
        ({"total": None}, "no column for total: pick it in Columns"),
    ],
)
@pilot_test
async def test_a_bad_mapping_is_refused_in_the_screen_and_nothing_is_imported(
    app: RetainApp, german: Path, picks: dict[str, str | None], said: str
):
    orders, runs = _orders(app), _runs(app)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        await choose(pilot, screen, german)
        await pick(pilot, screen, PICKS)
        for field, column in picks.items():
            select = screen.query_one(f"#map-{field}", Select)
            if column is None:
                select.clear()
            else:
                select.value = column
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.worker is None  # no import was started
        assert said in _summary(screen) and "nothing was imported" in _summary(screen)
        assert said in _missing(screen) and _active(screen) == "columns-tab"
        assert (_orders(app), _runs(app)) == (orders, runs)
        assert remembered_mapping(app.store, "orders", HEADER.split(";")) is None


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00rest of a zip", "not a CSV file (byte 5 is NUL"),
        (b"", "the file is empty"),
    ],
    ids=["binary", "empty"],
)
@pilot_test
async def test_a_binary_or_empty_file_is_said_in_the_screen_and_nothing_is_imported(
    app: RetainApp, tmp_path: Path, content: bytes, said: str
):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    orders, runs = _orders(app), _runs(app)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        await choose(pilot, screen, path)
        assert said in _detected(screen) and _active(screen) == "file-tab"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert said in _summary(screen) and "nothing was imported" in _summary(screen)
        assert (_orders(app), _runs(app)) == (orders, runs)


@pilot_test
async def test_notices_do_not_pile_up_over_the_result(
    app: RetainApp, german: Path, monkeypatch: pytest.MonkeyPatch
):
    """Each import's notice replaces the last; notices stay long enough here that none
    leaves by itself before the test looks."""
    monkeypatch.setattr(import_screen, "ERROR_TIMEOUT", 600)
    monkeypatch.setattr(RetainApp, "NOTIFICATION_TIMEOUT", 600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        await choose(pilot, screen, german)
        await pilot.press("ctrl+s")  # fields missing: refused
        await settle(pilot)
        await pilot.press("ctrl+s")  # again
        await settle(pilot)
        await pick(pilot, screen, PICKS)
        await pilot.press("ctrl+s")  # imported
        await settle(pilot)
        await pilot.press("ctrl+s")  # again: unchanged
        await settle(pilot)
        said = [
            n for n in shown_notices(app) if "Imported" in n.message or "no column" in n.message
        ]
        assert len(said) == 4, [n.message for n in said]
        showing = [n for n in app._notifications if n in said]
        assert showing == [said[-1]], [n.message for n in showing]
        assert "orders unchanged" in _summary(screen)  # the result is in the screen
