"""Remembered preferences: the theme, the dashboard's period and window come back at the next
launch; a broken or wrong file is one notice naming file, key and allowed values, and the app
opens with the defaults; RETAIN_THEME still wins."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.tui_fixtures import pilot_test, settle, shop_db_fixture, shown_notices  # noqa: F401
from tui.app import RetainApp
from tui.preferences import (
    FILE_NAME,
    Preferences,
    load_preferences,
    preferences_path,
    save_preferences,
)
from tui.screens.dashboard import DashboardScreen


@pytest.fixture(name="config")
def config_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("RETAIN_CONFIG_DIR", str(folder))
    return folder / FILE_NAME


def warnings(app: RetainApp) -> list[str]:
    return [str(n.message) for n in shown_notices(app) if n.severity == "warning"]


async def dashboard_choice(app: RetainApp) -> tuple[str, int]:
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        return screen.period, screen.window_days


@pilot_test
async def test_period_and_window_are_back_after_a_relaunch(shop_db: Path, config: Path):
    first = RetainApp(shop_db)
    async with first.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert (first.screen.period, first.screen.window_days) == ("quarter", 365)
        await pilot.press("p", "w")  # quarter -> year, 365 -> 730 days
        await settle(pilot)
        await pilot.press("q")
    assert tomllib.loads(config.read_text())["dashboard"] == {"period": "year", "window_days": 730}
    again = RetainApp(shop_db)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = again.screen
        assert isinstance(screen, DashboardScreen)
        assert (screen.period, screen.window_days) == ("year", 730)
        assert str(screen.query_one("#period-line").visual).startswith("Year · W 730 days")
        assert screen.stats is not None and screen.stats["period"] == "year"
    assert warnings(again) == []


@pilot_test
async def test_a_broken_file_is_one_notice_and_the_defaults(shop_db: Path, config: Path):
    config.parent.mkdir()
    config.write_text('theme = "nord"\n[dashboard\nperiod = "year"\n')
    app = RetainApp(shop_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert (app.screen.period, app.screen.window_days) == ("quarter", 365)
        await pilot.press("p")  # a choice now must not replace the owner's text
        await settle(pilot)
    (notice,) = warnings(app)
    assert str(config) in notice and "not valid TOML" in notice and "line 2" in notice
    assert config.read_text().startswith('theme = "nord"\n[dashboard\n')
    assert app.theme != "nord"


@pilot_test
async def test_wrong_values_name_the_key_and_the_allowed_values(shop_db: Path, config: Path):
    config.parent.mkdir()
    config.write_text(
        'theme = "no-such-theme"\ncolour = 1\n[dashboard]\nperiod = "week"\nwindow_days = 45\n'
    )
    app = RetainApp(shop_db)
    assert await dashboard_choice(app) == ("quarter", 365)
    (notice,) = warnings(app)  # one notice for every problem in the file
    assert notice.count(str(config)) == 4, notice
    assert 'dashboard.period = "week" is not allowed; allowed: month, quarter, year' in notice
    assert "dashboard.window_days = 45 is not allowed; allowed: 30, 90, 180, 365, 730" in notice
    assert "unknown key colour" in notice
    assert 'theme = "no-such-theme" is not a theme; allowed: ' in notice and "nord" in notice


@pilot_test
async def test_a_chosen_theme_is_remembered_and_retain_theme_still_wins(
    shop_db: Path, config: Path, monkeypatch: pytest.MonkeyPatch
):
    app = RetainApp(shop_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.theme = "nord"  # what the palette's Theme command does
        await settle(pilot)
    assert tomllib.loads(config.read_text())["theme"] == "nord"
    again = RetainApp(shop_db)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"
    monkeypatch.setenv("RETAIN_THEME", "gruvbox")
    third = RetainApp(shop_db)
    async with third.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert third.theme == "gruvbox"
    assert load_preferences(config).preferences.theme == "nord"  # the env var chose, not the owner


@pilot_test
async def test_a_folder_that_cannot_be_written_is_one_warning(
    shop_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("RETAIN_CONFIG_DIR", str(blocker / "config"))
    app = RetainApp(shop_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("p", "p", "w")
        await settle(pilot)
        assert app.screen.period == "month"  # the choice works; only remembering it failed
    (notice,) = warnings(app)
    assert notice.startswith(f"Could not save your preferences in {blocker / 'config'}")


def test_saved_preferences_read_back_and_the_default_place(tmp_path: Path, own_home: Path):
    path = tmp_path / "deep" / FILE_NAME
    chosen = Preferences(theme='dark "quoted" \\ théme', period="month", window_days=90)
    save_preferences(path, chosen)
    assert load_preferences(path).preferences == chosen
    assert [p.name for p in path.parent.iterdir()] == [FILE_NAME]  # no temporary file left
    save_preferences(path, Preferences(period="year"))
    assert load_preferences(path).preferences == Preferences(period="year")
    assert load_preferences(tmp_path / "none.toml").problems == []
    assert preferences_path() == own_home / ".config" / "retain-tui" / FILE_NAME


def test_the_documented_keys_are_the_keys_read() -> None:
    from core.metrics import PERIOD_KINDS
    from tui.dashboard_figures import WINDOWS
    from tui.preferences import KEYS

    docs = (Path(__file__).resolve().parent.parent / "docs" / "preferences.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in docs.splitlines() if "| `" in line}
    assert set(rows) == set(KEYS)
    assert all(f"`{kind}`" in rows["dashboard.period"] for kind in PERIOD_KINDS)
    assert all(f"`{days}`" in rows["dashboard.window_days"] for days in WINDOWS)
    assert "RETAIN_CONFIG_DIR" in docs and "RETAIN_THEME" in docs


def test_values_of_the_wrong_type_are_refused_by_key(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_text('theme = 5\n[dashboard]\nwindow_days = "90"\nperiod = true\n')
    loaded = load_preferences(path)
    assert loaded.preferences == Preferences() and loaded.rewritable
    assert loaded.problems == [
        f'{path}: theme = 5 is not allowed; allowed: a theme\'s name in quotes, e.g. "nord"',
        f"{path}: dashboard.period = true is not allowed; allowed: month, quarter, year",
        f'{path}: dashboard.window_days = "90" is not allowed; allowed: 30, 90, 180, 365, 730',
    ]
    path.write_text("dashboard = 3\n")
    assert load_preferences(path).problems == [
        f"{path}: dashboard must be a table ([dashboard]); using the defaults"
    ]
