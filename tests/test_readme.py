"""The README's promises: two commands on a fresh machine, the second being exactly CI's."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _shell_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)


def test_the_readme_test_command_is_what_ci_runs() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ci_command = ci_lines[-1].strip()
    second = _shell_blocks()[1].strip()
    assert second == ci_command
    assert "pytest" in second and "venv" in second


def test_the_readme_try_command_installs_and_opens_the_app() -> None:
    first = _shell_blocks()[0].strip()
    assert "pip install" in first and first.endswith("retain-tui")
