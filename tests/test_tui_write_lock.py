"""Every write the app makes while another program holds the write lock (a cron import
merging): the owner is told the app waits, the screen stays usable, the write lands once the
lock is free; and if the wait runs out, one notice, nothing changed, and the same write
works once the other program is done (issue 11, the app).

The other program is a real second SQLite connection on the same file holding
`BEGIN IMMEDIATE`; RETAIN_WRITE_WAIT is set per test. The waiting worker is not waited for
(`until(..., workers=False)`): it is blocked on purpose, and the one that gives up fails on
purpose (the screen turns the failure into its notice).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from core.customer_pages import ListQuery, fetch_page
from core.segments import add_segment
from core.store import WRITE_WAIT_ENV, open_store
from tests.conftest import committed_state
from tests.tui_email_fixtures import open_segments
from tests.tui_fixtures import (  # noqa: F401
    DATA,
    WAIT_LIMIT,
    app_fixture,
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
    until,
)
from tui.app import RetainApp
from tui.screens.customer_detail import CustomerDetailScreen
from tui.screens.dialogs import ConfirmScreen
from tui.screens.import_file import ImportScreen
from tui.screens.segment_form import SegmentFormScreen

WAITING = "Waiting for another retain-tui write to finish (an import?); giving up after"
GAVE_UP = (
    "the shop database is busy: another program has been writing for 1.5 s; nothing was changed"
)


class OtherWriter:
    """Another program in the middle of a write, until `release()`."""

    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None)

    def hold(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


@pytest.fixture
def other_writer(shop_db: Path) -> Iterator[OtherWriter]:
    writer = OtherWriter(shop_db)
    yield writer
    writer.release()
    writer.conn.close()


def notices(app: RetainApp) -> list[str]:
    return [notification.message for notification in shown_notices(app)]


def anna(db: Path) -> int:
    with open_store(db) as store:
        return fetch_page(store, ListQuery(search="anna"))[0].customer_id


def custom_segments(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT name, expression FROM custom_segments").fetchall())
    finally:
        conn.close()


def committed(db: Path, sql: str, *params: object) -> object:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]
    finally:
        conn.close()


@dataclass(frozen=True)
class AppWrite:
    """One kind of write from the app: open its screen, start the write, see it landed."""

    open: Callable[[Pilot, Path], Awaitable[None]]
    start: Callable[[Pilot], Awaitable[None]]
    landed: Callable[[Path], bool]


async def open_anna(pilot: Pilot, db: Path) -> None:
    await settle(pilot)
    await pilot.app.push_screen(CustomerDetailScreen(anna(db)))
    await settle(pilot)


async def confirmed(pilot: Pilot, key: str) -> None:
    """Press `key`, then yes in the confirmation it asks."""
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), workers=False)
    await pilot.press("y")


async def withdraw_consent(pilot: Pilot) -> None:
    await confirmed(pilot, "m")


async def forget(pilot: Pilot) -> None:
    await confirmed(pilot, "F")


async def open_new_segment(pilot: Pilot, db: Path) -> None:
    await open_segments(pilot)
    await pilot.press("n")
    form = pilot.app.screen
    assert isinstance(form, SegmentFormScreen)
    await pilot.press(*"Regulars", "enter", *"orders >= 2")
    await until(pilot, lambda: form.last_check and form.last_check.text == "orders >= 2")


async def save(pilot: Pilot) -> None:
    await pilot.press("ctrl+s")


async def open_segment_to_delete(pilot: Pilot, db: Path) -> None:
    with open_store(db) as store:
        add_segment(store, "Dutch", 'country = "NL"')
    screen = await open_segments(pilot)
    assert screen.table.select_name("Dutch")


async def delete(pilot: Pilot) -> None:
    await confirmed(pilot, "d")


async def open_import(pilot: Pilot, db: Path) -> None:
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    screen.query_one("#path", Input).value = str(DATA / "tui_import_bad.csv")


async def start_import(pilot: Pilot) -> None:
    await pilot.press("ctrl+s")


WRITES = {
    "consent": AppWrite(
        open_anna,
        withdraw_consent,
        lambda db: (
            committed(db, "SELECT accepts_marketing FROM customers WHERE id = ?", anna(db)) == 0
        ),
    ),
    "forget": AppWrite(
        open_anna,
        forget,
        lambda db: committed(db, "SELECT count(*) FROM customers WHERE email LIKE 'anna%'") == 0,
    ),
    "segment add": AppWrite(open_new_segment, save, lambda db: "Regulars" in custom_segments(db)),
    "segment delete": AppWrite(
        open_segment_to_delete, delete, lambda db: "Dutch" not in custom_segments(db)
    ),
    "import": AppWrite(
        open_import,
        start_import,
        lambda db: committed(db, "SELECT count(*) FROM import_runs") == 3,
    ),
}


@pytest.mark.parametrize("kind", WRITES)
@pilot_test
async def test_a_write_waits_for_the_other_program_says_so_and_then_lands(
    app: RetainApp,
    shop_db: Path,
    other_writer: OtherWriter,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
):
    write = WRITES[kind]
    monkeypatch.setenv(WRITE_WAIT_ENV, str(WAIT_LIMIT))
    async with app.run_test(size=(80, 24)) as pilot:
        await write.open(pilot, shop_db)
        screen = app.screen
        other_writer.hold()
        before = committed_state(shop_db)
        await write.start(pilot)
        await until(pilot, lambda: any(WAITING in n for n in notices(app)), workers=False)
        busy = [w for w in app.workers if w.is_running and w._thread_worker]
        assert busy, "the write runs in a worker"
        assert app.screen is screen  # the UI thread showed the notice: it is not blocked
        assert committed_state(shop_db) == before
        other_writer.release()
        await until(pilot, lambda: write.landed(shop_db), "the write")
        await settle(pilot)
        assert not any("failed" in n or "busy" in n for n in notices(app))


@pytest.mark.parametrize("kind", WRITES)
@pilot_test
async def test_a_write_that_gives_up_says_so_once_changes_nothing_and_can_be_retried(
    app: RetainApp,
    shop_db: Path,
    other_writer: OtherWriter,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
):
    write = WRITES[kind]
    monkeypatch.setenv(WRITE_WAIT_ENV, "1.5")
    async with app.run_test(size=(80, 24)) as pilot:
        await write.open(pilot, shop_db)
        screen = app.screen
        other_writer.hold()
        before = committed_state(shop_db)
        await write.start(pilot)
        # The failed worker is the screen's business (one notice): wait for the notice only.
        await until(pilot, lambda: any(GAVE_UP in n for n in notices(app)), workers=False)
        await pilot.pause()
        said = notices(app)
        assert sum(GAVE_UP in n for n in said) == 1, said
        assert any(WAITING in n for n in said)
        assert "Traceback" not in "".join(said)
        assert committed_state(shop_db) == before
        assert app.screen is screen
        other_writer.release()
        await write.start(pilot)  # the same write, now that the other program is done
        await until(pilot, lambda: write.landed(shop_db), "the retried write", workers=False)
