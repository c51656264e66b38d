"""The real `retain-tui` command in a pseudo-terminal: starts, shows the dashboard, navigates,
and quits cleanly with exit code 0 (as over SSH or in tmux)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from core.paths import DB_ENV
from tests.tui_fixtures import shop_db_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("term", ["xterm-256color", "screen-256color", "screen"])
def test_launch_navigate_and_quit_in_a_terminal(shop_db: Path, term: str):
    env = {**os.environ, "TERM": term, "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        sys.executable, ["-m", "tui", "--db", str(shop_db)], cwd=str(ROOT), env=env,
        dimensions=(24, 80), timeout=60, encoding="utf-8", codec_errors="replace",
    )  # fmt: skip
    try:
        child.expect("have ordered")  # the dashboard's figures are in
        child.send("c")
        child.expect("of 14 customers")
        child.send("/")
        child.send("bjorn")
        child.expect("matching")
        child.send("\r")  # Enter: back to the list (Escape then q would read as alt+q)
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before


def spawn(args: list[str], env: dict[str, str]) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable, ["-m", "tui", *args], cwd=str(ROOT), env=env,
        dimensions=(24, 100), timeout=60, encoding="utf-8", codec_errors="replace",
    )  # fmt: skip


def test_without_a_terminal_the_app_exits_at_once(shop_db: Path) -> None:
    """A crontab line that forgets the subcommand: one line and exit 2, not a hang."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--db", str(shop_db)], cwd=ROOT, env=env,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "needs a terminal" in done.stderr


def test_output_to_a_file_is_not_a_terminal_either(shop_db: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "out.txt"
    child = pexpect.spawn(
        "/bin/sh", ["-c", f'"{sys.executable}" -m tui --db "{shop_db}" > "{out}"'],
        cwd=str(ROOT), env=env, timeout=60, encoding="utf-8",
    )  # fmt: skip
    child.expect("needs a terminal")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert out.read_text() == ""


def test_a_missing_database_is_refused_before_the_app_starts(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    missing = tmp_path / "typo.db"
    child = spawn(["--db", str(missing)], env)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "no such shop database" in child.before
    assert not missing.exists()


def test_without_a_shop_the_app_opens_the_demo_in_its_own_file(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp_path)}
    env.pop(DB_ENV, None)
    child = spawn([], env)
    try:
        child.expect("DEMO")
        child.expect("have ordered")  # the dashboard's figures are in
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert sorted(p.name for p in (tmp_path / "retain-tui").iterdir()) == ["demo.db"]
