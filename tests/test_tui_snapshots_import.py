"""SVG snapshots of the import screen's File view (what was detected, the first rows) and
Columns view (a generic CSV with fields still missing) at 80x24 and 120x40.

The file is typed as a relative path (the test runs in its own folder), so the screen shows
the same path on every machine. Update after a deliberate change with
`pytest tests/test_tui_snapshots_import.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.tui_fixtures import app_fixture, shop_db_fixture, still, until  # noqa: F401
from tui.app import RetainApp
from tui.screens.import_file import ImportScreen

SIZES = [(80, 24), (120, 40)]
FILES = {
    # Every column recognised by its name; dates day first; a hostile cell.
    "orders_march.csv": (
        "order_id,date,email,first_name,last_name,total,status,note\n"
        "M-1,25/03/2025,ada@example.com,Ada,Lovelace,19.90,paid,[bold]gift\x1b[2J\n"
        "M-2,26/03/2025,grace@example.com,Grace,Hopper,5.00,paid,\n"
        "M-3,27/03/2025,ada@example.com,Ada,Lovelace,42.00,refunded,[/]\n"
    ),
    # A German export: only Status is recognised.
    "bestellungen.csv": (
        "Nr;Datum;Kunde;Betrag;Status\n"
        "A-1;03/11/2024;anna@example.com;12,50;bezahlt\n"
        "A-2;25/11/2024;bo@example.com;5,00;bezahlt\n"
    ),
}


async def _choose(pilot, name: str) -> None:
    await still(pilot)
    await pilot.press("i")
    await still(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    screen.query_one("#path", Input).value = name
    await until(pilot, lambda: screen.preview is not None, "the preview")
    await still(pilot)


async def detected(pilot) -> None:
    await _choose(pilot, "orders_march.csv")


async def columns(pilot) -> None:
    await _choose(pilot, "bestellungen.csv")


SCENES = {"detected": detected, "columns": columns}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("scene", list(SCENES))
def test_import_snapshot(
    snap_compare,
    app: RetainApp,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scene: str,
    size: tuple[int, int],
):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=SCENES[scene])
