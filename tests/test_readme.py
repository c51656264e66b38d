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


def test_the_readme_documents_every_exit_code() -> None:
    from tui.commands.common import ExitCode

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    documented = {int(line.split("|")[1]) for line in table.splitlines()[2:]}
    assert documented == {int(code) for code in ExitCode}
