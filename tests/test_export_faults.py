"""Interrupted and failing exports and imports leave nothing behind: no hidden `.partial`
files holding customers' names and addresses, no output, the database as it was.

Signals are real (sent to a real `retain-tui` process, paused at a known point by a small
wrapper script); a full disk is a real, tiny tmpfs mounted for the test (skipped where
mounting is not permitted).
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.compose_support import build_shop
from tests.conftest import committed_state
from tests.disks import fill, small_tmpfs
from tests.paused_child import run_until_ready as start_paused
from tests.paused_child import signalled
from tui.cli import build_app
from tui.commands.common import ExitCode

ROOT = Path(__file__).resolve().parent.parent
app = build_app()

PAUSED = """
import sys
from contextlib import contextmanager

from core.compose import draft_writers
from core.store import Store
from tui.cli import main


def wait_for_the_signal():
    print("READY", flush=True)
    sys.stdin.readline()


def pause_after_first(original):
    def add(self, *args):
        original(self, *args)
        wait_for_the_signal()

    return add


if sys.argv[1] == "export":
    for writer in draft_writers.WRITERS.values():
        writer.add = pause_after_first(writer.add)
else:
    original_write = Store.write

    @contextmanager
    def write(self):
        with original_write(self) as conn:
            yield conn  # every row is written inside the transaction...
            wait_for_the_signal()  # ...and the COMMIT has not run

    Store.write = write
main(sys.argv[1:])
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    build_shop(path).close()
    return path


def run_until_ready(args: list[str]) -> subprocess.Popen[str]:
    return start_paused(PAUSED, args)


def leftovers(folder: Path) -> list[str]:
    """Anything an export may have left: hidden partial files or folders, or its output."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or "out" in p.name)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("suffix", ["", ".mbox", ".csv"])
def test_a_signal_during_an_export_leaves_no_file(
    db: Path, tmp_path: Path, number: signal.Signals, suffix: str
) -> None:
    out = tmp_path / "drafts" / f"out{suffix}"
    out.parent.mkdir()
    child = run_until_ready(["export", "--db", str(db), "-t", "thank-you", "-c", "3,5,6",
                             "--as-of", "2026-10-31", "--out", str(out)])  # fmt: skip
    assert any(p.name.endswith(".partial") for p in out.parent.iterdir())  # really midway
    err = signalled(child, number)
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "error: interrupted: nothing was written"
    assert "Traceback" not in err
    assert leftovers(out.parent) == []


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_an_import_changes_nothing(
    db: Path, data: Callable[[str], Path], number: signal.Signals
) -> None:
    before = committed_state(db)
    child = run_until_ready(["import", "orders", str(data("generic_orders.csv")),
                             "--db", str(db)])  # fmt: skip
    err = signalled(child, number)
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "error: interrupted: nothing was imported"
    assert committed_state(db) == before


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a real 256 KiB tmpfs with every byte taken."""
    with small_tmpfs(tmp_path / "full", "256k") as folder:
        fill(folder)
        yield folder


@pytest.mark.parametrize("suffix", ["", ".mbox", ".csv"])
def test_an_export_onto_a_full_disk_says_so_and_leaves_no_file(
    db: Path, full_disk: Path, suffix: str
) -> None:
    out = full_disk / f"out{suffix}"
    result = CliRunner().invoke(
        app,
        ["export", "--db", str(db), "-t", "thank-you", "-c", "3,5,6", "--as-of", "2026-10-31",
         "--out", str(out)],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert "No space left on device" in result.stderr
    assert result.stderr.strip().endswith("(nothing was written)")
    assert leftovers(full_disk) == []
