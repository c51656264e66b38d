"""SIGTERM and SIGHUP (a cron timeout, a closed SSH session) during any command that writes:
nothing is left behind and the database is as it was.

Signals are real, sent to a real `retain-tui` process paused at a known point by a small
wrapper script: inside the write transaction before its COMMIT, inside the access-request
JSON before its rename, or after forget's commit before the file is rebuilt. The test waits
for the child to say it is there (a line on stdout), never for a time.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.consent import address_hash
from tests.compose_support import build_shop
from tests.conftest import committed_state
from tests.paused_child import run_until_ready as start_paused
from tests.paused_child import signalled
from tui.commands.common import ExitCode

ROOT = Path(__file__).resolve().parent.parent

PAUSED = """
import sys
import types
from contextlib import contextmanager

import core.access_request
import core.erasure
from core.store import Store
from tui.cli import main

where, args = sys.argv[1], sys.argv[2:]


def wait_for_the_signal():
    print("READY", flush=True)
    sys.stdin.readline()


if where == "before-commit":
    original_write = Store.write

    @contextmanager
    def write(self):
        with original_write(self) as conn:
            yield conn  # everything is written inside the transaction...
            wait_for_the_signal()  # ...and the COMMIT has not run

    Store.write = write
elif where == "json-written":
    real_json = core.access_request.json

    def dump(data, file, **options):
        real_json.dump(data, file, **options)
        file.flush()
        wait_for_the_signal()  # the hidden .partial file holds the person's data

    core.access_request.json = types.SimpleNamespace(dump=dump)
elif where == "after-forget-commit":
    original_scrub = core.erasure.scrub_free_space

    def scrub(store):
        wait_for_the_signal()
        return original_scrub(store)

    core.erasure.scrub_free_space = scrub
main(args)
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    build_shop(path).close()
    return path


def run_until_ready(where: str, args: list[str | Path]) -> subprocess.Popen[str]:
    return start_paused(PAUSED, [where, *map(str, args)], env={"COLUMNS": "300"})


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


WRITERS = {
    "segment add": ["segment", "add", "big", "orders >= 2"],
    "segment rm": ["segment", "rm", "mine"],
    "config set": ["config", "set", "shop.name", "Elsewhere"],
    "suppressed lift": ["suppressed", "lift", "ben@example.com"],
    "forget": ["forget", "1", "--yes"],
}


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("command", list(WRITERS))
def test_a_signal_before_the_commit_changes_nothing_and_leaves_nothing(
    db: Path, command: str, number: signal.Signals
) -> None:
    with sqlite3.connect(db) as conn:  # something for `rm` and `lift` to change
        conn.execute(
            "INSERT INTO custom_segments (name, expression, created_at, updated_at) "
            "VALUES ('mine', 'orders >= 5', '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO suppressions VALUES (?, 'withdrawn', '2026-01-01')",
            (address_hash("ben@example.com"),),
        )
    before_state, before_files = committed_state(db), files(db.parent)
    child = run_until_ready("before-commit", [*WRITERS[command], "--db", db])
    err = signalled(child, number)
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "error: interrupted: nothing was changed"
    assert "Traceback" not in err
    assert committed_state(db) == before_state
    assert files(db.parent) == before_files  # no -wal, -shm or journal left


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_the_demo_is_built_leaves_no_half_demo(
    tmp_path: Path, number: signal.Signals
) -> None:
    target = tmp_path / "demo.db"
    child = run_until_ready("before-commit", ["demo", "--db", target])
    assert any(name.startswith("demo.db.building") for name in files(tmp_path))  # midway
    err = signalled(child, number)
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == f"error: interrupted: {target} was not changed"
    assert files(tmp_path) == []


def test_a_signal_while_an_earlier_demo_is_replaced_keeps_the_earlier_one(
    tmp_path: Path,
) -> None:
    target = tmp_path / "demo.db"
    subprocess.run(
        [sys.executable, "-m", "tui", "demo", "--db", str(target)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    before, before_files = committed_state(target), files(tmp_path)
    child = run_until_ready("before-commit", ["demo", "--db", target])
    err = signalled(child, signal.SIGTERM)
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert committed_state(target) == before
    assert files(tmp_path) == before_files  # no demo.db.building*


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("existing", [False, True], ids=["new-file", "over-an-old-file"])
def test_a_signal_during_an_access_request_export_leaves_no_partial_json(
    db: Path, tmp_path: Path, number: signal.Signals, existing: bool
) -> None:
    folder = tmp_path / "requests"
    folder.mkdir()
    out = folder / "anna.json"
    if existing:
        out.write_text('{"old": true}\n')
    child = run_until_ready("json-written", ["customer", "export", "1", "--out", out, "--db", db])
    assert any(name.endswith(".partial") for name in files(folder))  # really midway
    err = signalled(child, number)
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "error: interrupted: nothing was written"
    assert files(folder) == (["anna.json"] if existing else [])
    if existing:
        assert out.read_text() == '{"old": true}\n'


def test_a_signal_after_forget_commits_says_so_and_a_second_run_rebuilds(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        email = conn.execute("SELECT email FROM customers WHERE id = 1").fetchone()[0]
    child = run_until_ready("after-forget-commit", ["forget", "1", "--yes", "--db", db])
    err = signalled(child, signal.SIGTERM)
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert "interrupted after the personal data was cleared (committed)" in " ".join(err.split())
    assert "retain-tui forget 1 --yes" in err
    with sqlite3.connect(db) as conn:  # the erasure itself is complete
        assert conn.execute("SELECT email FROM customers WHERE id = 1").fetchone() == (None,)
    again = subprocess.run(
        [sys.executable, "-m", "tui", "forget", "1", "--yes", "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert email.encode() not in db.read_bytes()
