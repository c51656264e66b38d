"""Running retain-tui as a user who is not root, for the permission tests.

We run as root, and root reads and writes any file whatever its mode: a 0400 database or a
0000 CSV proves nothing. Run as root, these tests start the command in a real subprocess
as `nobody` (uid and gid 65534, set in `preexec_fn`), with a HOME and files that user owns;
run as an ordinary user, the command runs as that user. The interpreter must be one that
user may execute: ours may live in root's home (pyenv), so the system's Python of the same
version is tried with our packages on PYTHONPATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534
_PYTHONS = (sys.executable, f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}")


def _drop_to_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


@dataclass
class Unprivileged:
    """A user who is not root, a home folder of theirs, and a way to run commands as them."""

    home: Path
    python: str
    as_root: bool

    def env(self) -> dict[str, str]:
        packages = sysconfig.get_paths()["purelib"]
        return {"HOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PYTHONPATH": f"{ROOT}{os.pathsep}{packages}", "PYTHONDONTWRITEBYTECODE": "1",
                "COLUMNS": "300", "LANG": "C.UTF-8"}  # fmt: skip

    def run(self, args: list[str], *, code: str | None = None) -> subprocess.CompletedProcess[str]:
        """`retain-tui ARGS` (or `python -c CODE`) as the user, in their home."""
        command = [self.python, "-c", code] if code else [self.python, "-m", "tui", *args]
        return subprocess.run(
            command, cwd=self.home, env=self.env(), capture_output=True, text=True,
            check=False, timeout=120, preexec_fn=_drop_to_nobody if self.as_root else None,
        )  # fmt: skip

    def own(self, *paths: Path) -> None:
        """Give files made by the test (as root) to the user."""
        if self.as_root:
            for path in paths:
                os.chown(path, NOBODY, NOBODY)


@pytest.fixture
def unprivileged() -> Iterator[Unprivileged]:
    as_root = os.geteuid() == 0
    # Not under pytest's tmp_path: root's is private (0700) and nobody could not enter it.
    home = Path(tempfile.mkdtemp(prefix="retain-unprivileged-"))
    try:
        if as_root:
            os.chown(home, NOBODY, NOBODY)
        tried = []
        for python in dict.fromkeys(_PYTHONS):
            user = Unprivileged(home, python, as_root)
            try:
                probe = user.run([], code="import typer, core.store")
            except OSError as exc:  # that user may not execute it (root's pyenv)
                tried.append(f"{python}: {exc.strerror}")
                continue
            if probe.returncode == 0:
                yield user
                return
            tried.append(f"{python}: {(probe.stderr.strip().splitlines() or ['?'])[-1]}")
        pytest.skip(
            "cannot run retain-tui as a user who is not root: no Python that user may run "
            f"with our packages ({'; '.join(tried)})"
        )
    except PermissionError as exc:  # chown refused: root without CAP_CHOWN
        pytest.skip(f"cannot give files to an unprivileged user here: {exc}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
