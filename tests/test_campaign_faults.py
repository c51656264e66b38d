"""An interrupted or failing campaign leaves no half-recorded campaign and no files: the rows
and the files are committed together or not at all (docs/campaigns.md, "Interruption").

Signals are real, sent to a real `retain-tui export` paused at a known point: while drafts
are written, when the rows are in and the files about to be moved, and when the files are
in place but the COMMIT has not run. A full disk is a real tmpfs (for the files) and a real
SQLITE_FULL (the database may not grow: `PRAGMA max_page_count`).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

import core.campaigns.records as records
from core.compose import draft_writers
from tests.compose_support import build_shop
from tests.conftest import committed_state
from tests.disks import fill, small_tmpfs
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


def pause_before(original):
    def method(self, *args):
        wait_for_the_signal()
        return original(self, *args)

    return method


point = sys.argv[1]
if point == "drafting":
    for writer in draft_writers.WRITERS.values():
        writer.add = pause_before(writer.add)
elif point == "placing":  # the rows are inserted, the files not moved yet
    for writer in draft_writers.WRITERS.values():
        writer.place = pause_before(writer.place)
else:  # "commit": the rows are inserted and the files in place; the COMMIT has not run
    original_write = Store.write

    @contextmanager
    def write(self):
        with original_write(self) as conn:
            yield conn
            wait_for_the_signal()

    Store.write = write
main(sys.argv[2:])
"""

ARGS = ["-t", "win-back", "-c", "2,4", "--discount", "10%", "--as-of", "2026-11-05",
        "--campaign", "spring"]  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    build_shop(path).close()
    return path


def run_until_ready(point: str, args: list[str]) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", PAUSED, point, *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    line = child.stdout.readline()
    if line != "READY\n":
        _out, err = child.communicate(timeout=60)
        pytest.fail(f"the export did not get to {point}: {line!r} {err}")
    return child


def campaign_rows(db: Path) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return [conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("campaigns", "campaign_recipients", "discount_codes")]  # fmt: skip
    finally:
        conn.close()


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("point", ["drafting", "placing", "commit"])
@pytest.mark.parametrize("suffix", ["", ".csv"])
def test_a_signal_at_any_point_leaves_no_campaign_and_no_file(
    db: Path, tmp_path: Path, point: str, suffix: str
) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir()
    out = folder / f"out{suffix}"
    before = committed_state(db)
    child = run_until_ready(point, ["export", "--db", str(db), *ARGS, "--out", str(out)])
    if point == "commit":
        assert out.exists()  # really in place, yet not committed
        assert campaign_rows(db) == [0, 0, 0]
    child.send_signal(signal.SIGTERM)
    try:
        _out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "error: interrupted: nothing was written"
    assert "Traceback" not in err
    assert files(folder) == []
    assert committed_state(db) == before and campaign_rows(db) == [0, 0, 0]


def test_an_interrupted_overwrite_puts_the_previous_export_back(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "drafts.csv"
    out.write_text("the owner's previous export\n")
    child = run_until_ready(
        "commit", ["export", "--db", str(db), *ARGS, "--out", str(out), "--overwrite"]
    )
    assert out.read_text() != "the owner's previous export\n"  # replaced, not yet committed
    child.send_signal(signal.SIGTERM)
    try:
        child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == ExitCode.INTERRUPTED
    assert out.read_text() == "the owner's previous export\n"
    assert files(tmp_path) == ["drafts.csv", "shop.db"]
    assert campaign_rows(db) == [0, 0, 0]


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "full", "256k") as folder:
        fill(folder)
        yield folder


def test_a_full_disk_for_the_files_records_nothing(db: Path, full_disk: Path) -> None:
    result = CliRunner().invoke(
        app, ["export", "--db", str(db), *ARGS, "--out", str(full_disk / "out.csv")]
    )
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert "No space left on device" in result.stderr
    assert [p.name for p in full_disk.iterdir()] == ["filler"]
    assert campaign_rows(db) == [0, 0, 0]


def test_a_disk_full_at_the_commit_takes_the_placed_files_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with small_tmpfs(tmp_path / "disk", "4m") as disk:
        db = disk / "shop.db"
        build_shop(db).close()
        original = records.insert_campaign

        def insert_then_fill(conn: sqlite3.Connection, *args: object) -> int:
            # The rows go into the page cache; the COMMIT must write them to the WAL on a disk
            # that has just filled up: SQLITE_FULL at the COMMIT, after the files were placed.
            fill(disk)
            return original(conn, *args)  # type: ignore[arg-type]

        monkeypatch.setattr("core.campaigns.run.insert_campaign", insert_then_fill)
        placed: list[Path] = []
        place = draft_writers.FileWriter.place

        def noted_place(self: draft_writers.FileWriter, out: Path, overwrite: bool) -> None:
            place(self, out, overwrite)
            placed.append(out)

        monkeypatch.setattr(draft_writers.FileWriter, "place", noted_place)
        folder = tmp_path / "drafts"
        folder.mkdir()
        out = folder / "out.csv"
        out.write_text("the owner's previous export\n")
        result = CliRunner().invoke(
            app, ["export", "--db", str(db), *ARGS, "--out", str(out), "--overwrite"]
        )
        assert result.exit_code == ExitCode.REFUSED, result.output
        assert "cannot write the shop database" in result.stderr, result.stderr
        assert "nothing was changed" in result.stderr
        assert placed == [out]  # the failure came after the files were in place
        assert files(folder) == ["out.csv"]
        assert out.read_text() == "the owner's previous export\n"
        (disk / "filler").unlink()
        assert campaign_rows(db) == [0, 0, 0]


def test_another_export_creating_the_same_campaign_meanwhile_wins(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CliRunner().invoke(app, ["export", "--db", str(db), *ARGS, "--out",
                                    str(tmp_path / "first.csv")]).exit_code == 0  # fmt: skip
    before = committed_state(db)
    # This run looked before the other one recorded 'spring' (the window between the look-up
    # and the write transaction).
    monkeypatch.setattr("core.campaigns.run.find_campaign", lambda store, name: None)
    result = CliRunner().invoke(
        app, ["export", "--db", str(db), *ARGS, "--out", str(tmp_path / "second.csv")]
    )
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert "another export recorded campaign 'spring' meanwhile" in result.stderr
    assert committed_state(db) == before
    assert not (tmp_path / "second.csv").exists()


def test_a_code_stored_meanwhile_by_another_export_writes_nothing(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ["export", "--db", str(db), *ARGS, "--out", str(tmp_path / "first.csv")]
    assert CliRunner().invoke(app, first).exit_code == 0
    with closing(sqlite3.connect(db)) as conn:
        [(taken,)] = conn.execute("SELECT code FROM discount_codes LIMIT 1")
    before = committed_state(db)
    # As if another export stored this code after our check against the store.
    monkeypatch.setattr(
        "core.campaigns.run.new_codes", lambda prefix, count, in_use: [taken] * count
    )
    second = ["export", "--db", str(db), *ARGS[:-1], "other", "--min-gap-days", "0"]
    result = CliRunner().invoke(app, [*second, "--out", str(tmp_path / "second.csv")])
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert "a discount code was stored by another export meanwhile" in result.stderr
    assert committed_state(db) == before
    assert not (tmp_path / "second.csv").exists()
