"""The demo shop for the dashboard's layout tests and snapshots, and the screen as lines.

The demo is loaded on a pinned day with the clock frozen, so its figures and the "last
import" line are the same on every run.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path

import pytest

from core.demo import create_demo
from tests.clock import frozen_clock
from tests.tui_fixtures import TEST_THEME
from tui.app import RetainApp

DEMO_DAY = date(2027, 3, 15)
"""The demo's orders then run to 2027-03-14: last complete quarter 2026-Q4."""


@pytest.fixture(name="demo_db", scope="session")
def demo_db_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard-demo") / "demo.db"
    with pytest.MonkeyPatch.context() as monkeypatch, frozen_clock(monkeypatch):
        create_demo(path, today=DEMO_DAY)
    return path


def demo_app(demo_db: Path, theme: str = TEST_THEME) -> RetainApp:
    """The app on a copy-free demo: tests only read it."""
    return RetainApp(demo_db, theme=theme, demo_loaded_on=DEMO_DAY)


CELL_WIDTH = 12.2
"""Width of one terminal cell in Textual's SVG screenshots (x is in these units)."""
_TEXT = re.compile(r'<text[^>]*\bx="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', re.DOTALL)


def screen_lines(app: RetainApp) -> list[str]:
    """What the terminal shows, one string per screen row (from an SVG screenshot)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in _TEXT.findall(app.export_screenshot()):
        plain = unescape(re.sub(r"<[^>]+>", "", text)).replace("\xa0", " ")
        rows.setdefault(float(y), []).append((float(x), plain))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / CELL_WIDTH)) + text.rstrip("\n")
        lines.append(line.rstrip())
    return lines
