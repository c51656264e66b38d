"""Fixtures for the segments and compose screens' tests: the test shop ready for email.

The shop is tests/tui_fixtures' (hostile names among the customers, `Test [b]Shop[/b]`)
with the demo shop's sender, postal address and unsubscribe settings. The owner's template
folder and home are in tmp_path, and dates are fixed: segments are as of the last order
(2024-10-06), drafts are written on `TODAY`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from core.customer_pages import ListQuery, fetch_page
from core.demo import DEMO_SETTINGS
from core.store import open_store
from tests.tui_fixtures import TEST_THEME, settle, shown_notices, until
from tui.app import RetainApp
from tui.screens.compose import ComposeScreen
from tui.screens.export_drafts import ExportScreen
from tui.screens.segments import SegmentsScreen
from tui.widgets.recipient_table import status, who

TODAY = date(2024, 11, 30)
EMAIL_SETTINGS = {
    key: value for key, value in DEMO_SETTINGS.items() if key not in ("shop.name", "shop.currency")
}


@pytest.fixture(name="home")
def home_fixture(own_home: Path) -> Path:
    """The test's own home (see conftest): no real user templates, exports under it."""
    return own_home


@pytest.fixture(name="email_app")
def email_app_fixture(shop_db: Path, home: Path) -> RetainApp:
    with open_store(shop_db) as store:
        for key, value in EMAIL_SETTINGS.items():
            store.set_setting(key, value)
    return RetainApp(shop_db, theme=TEST_THEME)


def user_templates(home: Path) -> Path:
    """The owner's template folder under the test home (see core.compose.user_templates_dir)."""
    return home / ".local" / "share" / "retain-tui" / "templates"


async def open_segments(pilot: Pilot) -> SegmentsScreen:
    """The segments screen with dates frozen, its list read."""
    await settle(pilot)
    screen = SegmentsScreen(today=TODAY)
    await pilot.app.push_screen(screen)
    await until(pilot, lambda: screen.loads > 0, "the segments list")
    return screen


async def open_compose(pilot: Pilot, name: str) -> ComposeScreen:
    """From the segments screen, `c` on segment `name`: the compose screen, as it opens."""
    segments = await open_segments(pilot)
    assert segments.table.select_name(name)
    await pilot.press("c")
    screen = pilot.app.screen
    assert isinstance(screen, ComposeScreen)
    return screen


async def compose_for_segment(pilot: Pilot, name: str) -> ComposeScreen:
    """`open_compose`, returning once the first preview shows."""
    screen = await open_compose(pilot, name)
    await until(pilot, lambda: screen.previews > 0, "the first preview")
    return screen


async def choose(pilot: Pilot, screen: ComposeScreen, template: str, lang: str = "auto") -> None:
    """Pick template and language as the Select widgets would, and wait for the new preview."""
    from textual.widgets import Select

    seen = screen.previews
    select = screen.query_one("#template", Select)
    if select.value == template and lang == "auto":
        return
    select.value = template
    await until(pilot, lambda: screen.plan is not None and screen.plan.template == template)
    if lang != "auto":
        screen.query_one("#language", Select).value = lang
        await until(pilot, lambda: screen.plan is not None and screen.plan.lang == lang)
    await until(pilot, lambda: screen.previews > seen, "the preview")


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).visual)


def rows(screen: ComposeScreen) -> list[tuple[str, str]]:
    """The compose screen's recipients as (who, status) cells."""
    return [(who(r), status(r)) for r in screen.table.recipients]


def notices(app: RetainApp) -> list[str]:
    return [notification.message for notification in shown_notices(app)]


def customer_id(app: RetainApp, search: str) -> int:
    return fetch_page(app.store, ListQuery(search=search))[0].customer_id


async def type_discount(pilot, screen: ComposeScreen, text: str, days: str | None = None):
    """Type a discount (and days) as the owner would; wait until the screen has read it."""
    seen = screen.previews
    field = screen.query_one("#discount", Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)
    if days is not None:
        screen.query_one("#valid-days", Input).value = days
    await until(pilot, lambda: screen._discount_timer is None and screen.previews > seen)


async def win_back_export_dialog(pilot: Pilot) -> tuple[ComposeScreen, ExportScreen]:
    """Compose "win-back" with a 10% discount for the lapsed segment, then `x`: the compose
    screen and, over it, the export dialog, as the owner reaches them."""
    screen = await compose_for_segment(pilot, "lapsed")
    await choose(pilot, screen, "win-back")
    await type_discount(pilot, screen, "10%")
    await pilot.press("escape", "x")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportScreen)
    return screen, dialog
