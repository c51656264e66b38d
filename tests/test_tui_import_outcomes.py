"""The import screen shows every outcome `retain-tui import` shows, in the same words: rows
rejected by line (ragged, dated in the future, a negative total), rows applied in part, a
marketing yes refused for a suppressed address (issue 11, the app).

Each case imports the same file into two copies of the same shop, one with the CLI and one
with the app, and compares: every count line the CLI prints is in the app's summary, every
row it lists is in the app's log (cleaned of escape codes, as the screen shows them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input, Log, Select, Static
from typer.testing import CliRunner

from core.consent import set_marketing_consent
from core.customer_pages import ListQuery, fetch_page
from core.importers import summary
from core.store import open_store
from tests.tui_fixtures import (  # noqa: F401
    TEST_THEME,
    open_by_key,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
)
from tui.app import RetainApp
from tui.cli import build_app
from tui.commands.common import ExitCode
from tui.safe_text import clean
from tui.screens.import_file import ImportScreen

CUSTOMERS = (
    "customer_id,first_name,last_name,email,country,accepts_marketing\n"
    "C001,Anna,Müller,anna.mueller@example.org,DE,yes\n"  # suppressed: the yes is refused
    "C002,Bo,Bold,click@example.com,NL,no\n"  # C003's address: applied in part
    "C006,Ragged,Row,ragged@example.com\n"  # too few fields: rejected by line
    "C007,[bold]Evil\x1b[2J,Row,evil@example.com,DE,yes,extra,fields\n"  # too many
)
ORDERS = (
    "order_id,date,email,first_name,last_name,total\n"
    "3001,2024-11-01 10:00:00,new.buyer@example.com,New,Buyer,19.90\n"
    "3002,2100-01-01 10:00:00,future@example.com,Far,Future,10.00\n"  # dated in the future
    "3003,2024-11-02 10:00:00,minus@example.com,Minus,Total,-5.00\n"  # a negative total
)
CASES = {"customers": CUSTOMERS, "orders": ORDERS}


def suppress_anna(db: Path) -> None:
    with open_store(db) as store:
        anna = fetch_page(store, ListQuery(search="anna"))[0].customer_id
        set_marketing_consent(store, anna, False, source="app")


def cli_import(db: Path, kind: str, file: Path):
    result = CliRunner().invoke(
        build_app(), ["import", kind, str(file), "--db", str(db)], env={"COLUMNS": "300"}
    )
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("kind", CASES)
@pilot_test
async def test_the_import_screen_shows_what_the_cli_shows(shop_db: Path, tmp_path: Path, kind):
    suppress_anna(shop_db)
    file = tmp_path / f"{kind}.csv"
    file.write_text(CASES[kind], encoding="utf-8")
    twin = tmp_path / "twin.db"
    shutil.copy(shop_db, twin)
    cli = cli_import(twin, kind, file)
    assert cli.exit_code == ExitCode.PARTIAL, cli.output  # rows were rejected
    printed = [line.strip() for line in cli.stdout.splitlines()]

    app = RetainApp(shop_db, theme=TEST_THEME)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_by_key(pilot, "i", ImportScreen)
        screen.query_one("#path", Input).value = str(file)
        screen.query_one("#kind", Select).value = kind
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = str(screen.query_one("#import-summary", Static).visual)
        logged = [line.strip() for line in screen.query_one("#rejected", Log).lines]
        notice = shown_notices(app)[-1]

    labels = [line.label for line in summary.summary_lines(_any_result(kind))]
    counts = [line for line in printed if line.split("  ")[0].strip() in _all_labels()]
    assert len(counts) >= len(labels)
    for line in counts:
        assert line in shown, line  # the same label, count and note
    rows = [line for line in printed if ":" in line and line.startswith(file.name)]
    assert rows, printed
    for row in rows:
        assert clean(row) in logged, row
    assert notice.severity == "warning" and "rows rejected" in notice.message
    assert "\x1b" not in shown + "".join(logged)


def _all_labels() -> set[str]:
    return {
        "rows read", "orders added", "orders updated", "orders unchanged", "customers added",
        "customers updated", "rows rejected", "rows applied in part", "marketing yes refused",
    }  # fmt: skip


def _any_result(kind: str):
    from core.importers import ImportResult

    return ImportResult(file="f.csv", kind=kind, format="generic", encoding="utf-8",
                        delimiter="comma")  # fmt: skip


def test_every_outcome_of_the_example_files_is_counted(shop_db: Path, tmp_path: Path) -> None:
    """The files above do hold every outcome: the comparison is not empty."""
    from core.importers import import_file

    suppress_anna(shop_db)
    with open_store(shop_db) as store:
        for kind, text in CASES.items():
            file = tmp_path / f"{kind}.csv"
            file.write_text(text, encoding="utf-8")
            result = import_file(store, file, kind)
            said = {line.label: line for line in summary.summary_lines(result)}
            if kind == "customers":
                assert said["marketing yes refused"].count == 1
                assert said["rows applied in part"].count == 1
                assert said["rows rejected"].count == 2
            else:
                assert said["rows rejected"].count == 2
                reasons = " ".join(said["rows rejected"].rows)
                assert "dated in the future" in reasons and "negative total" in reasons
