"""The real `retain-tui` command in a pseudo-terminal: starts, shows the dashboard, navigates,
and quits cleanly with exit code 0 (as over SSH or in tmux)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

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
