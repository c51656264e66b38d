"""Fixtures for the app's tests: a small fixed shop with hostile names, and ways to wait.

The shop is imported from tests/data/tui_shop_*.csv with the clock frozen, so every
timestamp the app shows (last import, consent since) is the same on every run.
"""

from __future__ import annotations

import asyncio
import functools
import html
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

import pytest
from textual.notifications import Notification
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input
from textual.worker import WorkerCancelled

from core.importers import import_file
from core.store import open_store
from tests.clock import frozen_clock
from tui.app import RetainApp

_S = TypeVar("_S", bound=Screen)

DATA = Path(__file__).parent / "data"
SHOP_NAME = "Test [b]Shop[/b]"
HOSTILE_NAMES = ("[bold]x", "[@click=app.quit]y", "[/", "\x1b[2J", "\x1b]52;c;")


def pilot_test(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async Pilot test in its own event loop (no pytest async plugin needed).

    Leaving `run_test()` cancels the app's workers; `asyncio.run` then waits for the loop's
    executor threads, where thread workers run, so none outlives its test into the next.
    """

    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        asyncio.run(test(*args, **kwargs))  # type: ignore[arg-type]

    return run


def build_shop(path: Path) -> Path:
    """The test shop: 14 customers (hostile names among them) and 20 orders."""
    with open_store(path, create=True) as store:
        import_file(store, DATA / "tui_shop_customers.csv", "customers")
        import_file(store, DATA / "tui_shop_orders.csv", "orders")
        store.set_setting("shop.name", SHOP_NAME)
        store.set_setting("shop.currency", "EUR")
    return path


# Test modules import these as `app_fixture, shop_db_fixture` and ask for `app` / `shop_db`.
@pytest.fixture(name="shop_db")
def shop_db_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with frozen_clock(monkeypatch):
        return build_shop(tmp_path / "shop.db")


TEST_THEME = "textual-dark"
"""Tests name the theme: the automatic choice depends on the terminal running them."""


@pytest.fixture(name="app")
def app_fixture(shop_db: Path) -> RetainApp:
    return RetainApp(shop_db, theme=TEST_THEME)


async def open_by_key(pilot: Pilot, key: str, screen_type: type[_S]) -> _S:
    """Press `key` once the app is settled; the screen it opened, settled too."""
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, screen_type), type(screen).__name__
    return screen


WAIT_LIMIT = 120.0
"""Seconds a test waits for a condition before it fails. A bound on failure, never a pace:
a passing test returns as soon as its condition holds, however loaded the machine is."""


async def settle(pilot: Pilot) -> None:
    """Wait until every thread worker finished and every message it posted was handled.

    A worker a message handler has just created is pending, not yet running: it counts as
    busy too, or settle would return just before it starts. Async workers that wait for the
    owner (a confirmation dialog) are not waited for. A worker cancelled meanwhile (an
    exclusive worker replaced by a newer one) is done too: its cancellation is the screen's
    business, not the test's.
    """
    app = pilot.app
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        for worker in [w for w in app.workers if w._thread_worker and w.is_running]:
            with suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()
        if not any(w._thread_worker and not w.is_finished for w in app.workers):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"workers kept running for {WAIT_LIMIT:.0f} s")


async def until(
    pilot: Pilot, ready: Callable[[], object], what: str = "the screen", *, workers: bool = True
) -> None:
    """Let workers, messages and timers (debounces) run until `ready()` holds.

    With `workers=False` it does not wait for thread workers to finish: for a test that
    holds one on purpose. Fails with `what` after WAIT_LIMIT seconds.
    """
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        if workers:
            await settle(pilot)
        else:
            await pilot.pause()
        if ready():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never got ready in {WAIT_LIMIT:.0f} s")
        await pilot.pause(0.01)  # a debounce timer fires only as time passes


async def still(pilot: Pilot) -> None:
    """`settle`, stop cursors blinking and clear notices (they leave after a timeout that a
    loaded machine may or may not reach first), so a screenshot is the same every time."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    pilot.app.clear_notifications()
    await settle(pilot)


def cursor_row_shown(table: DataTable) -> bool:
    """Whether the table has scrolled its cursor's row into view: it does so after a
    refresh, which a loaded machine may not have run when the cursor moved."""
    region = table._get_row_region(table.cursor_row)
    top = table.header_height if table.show_header else 0
    return table.scroll_y + top <= region.y and (
        region.bottom <= table.scroll_y + table.scrollable_content_region.height
    )


def shown_notices(app: RetainApp) -> list[Notification]:
    """Every notification `app` showed in this test, those that timed out included."""
    return list(app.__dict__.get("notices_kept", []))


def visible_text(app: RetainApp) -> str:
    """Roughly what the terminal shows: the text runs of an SVG screenshot, unescaped."""
    svg = app.export_screenshot()
    runs = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.DOTALL)
    return html.unescape("".join(runs)).replace("\xa0", " ")
