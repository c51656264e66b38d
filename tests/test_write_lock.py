"""A second writer while another connection holds the write lock (a cron import merging):
it says it waits, succeeds once the lock is free, and gives up with one line, nothing changed.

The other writer is a real second SQLite connection holding `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.store import WRITE_WAIT_ENV, open_store
from tests.conftest import committed_state
from tui.cli import build_app
from tui.commands.common import ExitCode

ROOT = Path(__file__).resolve().parent.parent
app = build_app()


@pytest.fixture
def shop(tmp_path: Path, data: Callable[[str], Path]) -> Path:
    db = tmp_path / "shop.db"
    result = CliRunner().invoke(app, ["import", "orders", str(data("shopify_orders.csv")),
                                      "--db", str(db)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def other_writer(shop: Path) -> Iterator[sqlite3.Connection]:
    """Another program in the middle of a write: it holds the write lock until released."""
    conn = sqlite3.connect(shop, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


WRITERS = {
    "config set": ["config", "set", "shop.name", "Nordlicht"],
    "segment add": ["segment", "add", "Regulars", "orders > 1"],
    "import": ["import", "orders", "{orders}"],
}


@pytest.mark.parametrize("writer", WRITERS)
def test_a_writer_gives_up_with_one_line_and_changes_nothing(
    shop: Path,
    other_writer: sqlite3.Connection,
    data: Callable[[str], Path],
    writer: str,
) -> None:
    before = committed_state(shop)
    args = [arg.format(orders=data("generic_orders.csv")) for arg in WRITERS[writer]]
    result = CliRunner().invoke(
        app, [*args, "--db", str(shop)], env={WRITE_WAIT_ENV: "1.5", "COLUMNS": "200"}
    )
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("waiting for another retain-tui write to finish")
    assert lines[-1] == (
        "error: the shop database is busy: another program has been writing for 1.5 s; "
        "nothing was changed"
    )
    assert committed_state(shop) == before


def test_a_writer_waits_for_the_other_and_then_writes(
    shop: Path, other_writer: sqlite3.Connection
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "config", "set", "shop.name", "Nordlicht",
         "--db", str(shop)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), WRITE_WAIT_ENV: "600"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stderr is not None
        waiting = child.stderr.readline()  # blocks until the child says it waits
        assert waiting.startswith("waiting for another retain-tui write to finish"), waiting
        other_writer.execute("COMMIT")  # the other program is done
        _out, err = child.communicate(timeout=60)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 0, err
    with open_store(shop) as store:
        assert store.get_setting("shop.name") == "Nordlicht"


def test_no_wait_when_nobody_else_writes(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WRITE_WAIT_ENV, "0")
    told: list[str] = []
    with open_store(shop, on_wait=lambda: told.append("waiting")) as store:
        store.set_setting("shop.name", "Nordlicht")
        assert store.get_setting("shop.name") == "Nordlicht"
    assert told == []
