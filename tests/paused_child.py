"""A real retain-tui process stopped at a point a test chose, to be sent a signal there.

The child runs a small script (each test module has its own) that prints READY at the
chosen point and then waits; the test reads that line, so it waits for the condition,
never for time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_until_ready(
    script: str, args: list[str], env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start `python -c script ARGS` and return once it printed READY."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    line = child.stdout.readline()  # blocks until the child is there
    if line != "READY\n":
        _out, err = child.communicate(timeout=60)
        pytest.fail(f"the command did not get there: {line!r} {err}")
    return child


def signalled(child: subprocess.Popen[str], number: signal.Signals) -> str:
    """Send the signal, wait for the child to end, and return what it said on stderr."""
    child.send_signal(number)
    try:
        _out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    return err
