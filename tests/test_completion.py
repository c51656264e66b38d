"""Shell completion: `--show-completion` / `--install-completion` for bash, zsh and fish, and
the completion requests the installed scripts make, answered by the real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import COMMAND_MODULES, completed_words

# Typer's own switch for tests: `--show-completion SHELL` names the shell instead of asking
# shellingham which shell is the parent process.
NAMED_SHELL = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


def run(*args: str, env: dict[str, str] | None = None, home: Path | None = None) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("COMP_", "_TYPER"))}
    environ.pop("_RETAIN_TUI_COMPLETE", None)
    environ.update(env or {})
    if home is not None:
        environ["HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        ("bash", "_RETAIN_TUI_COMPLETE=complete_bash"),
        ("zsh", "_RETAIN_TUI_COMPLETE=complete_zsh"),
        ("fish", "_RETAIN_TUI_COMPLETE=complete_fish"),
    ],
)
def test_show_completion_for_each_shell(shell: str, expected: str) -> None:
    script = run("--show-completion", shell, env=NAMED_SHELL)
    assert expected in script
    assert "retain-tui" in script


def test_show_completion_detects_the_shell_it_runs_in() -> None:
    done = subprocess.run(
        # `; exit $?` keeps bash from exec-ing the command in its own place, so bash is the
        # parent the detection finds (not whatever started pytest).
        ["bash", "-c", f"'{sys.executable}' -m tui.cli --show-completion; exit $?"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "complete -o default -F _retain_tui_completion retain-tui" in done.stdout


@pytest.mark.parametrize(
    ("shell", "installed"),
    [
        ("bash", ".bash_completions/retain-tui.sh"),
        ("zsh", ".zfunc/_retain-tui"),
        ("fish", ".config/fish/completions/retain-tui.fish"),
    ],
)
def test_install_completion_writes_the_shells_file(
    shell: str, installed: str, tmp_path: Path
) -> None:
    out = run("--install-completion", shell, env=NAMED_SHELL, home=tmp_path)
    assert f"{shell} completion installed" in out
    assert "_RETAIN_TUI_COMPLETE" in (tmp_path / installed).read_text(encoding="utf-8")


def bash_request(line: str) -> list[str]:
    words = line.split()
    current = len(words) - (0 if line.endswith(" ") else 1)
    env = {"_RETAIN_TUI_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(current)}
    return run(env=env).split()


def test_bash_completes_command_names() -> None:
    assert bash_request("retain-tui cust") == ["customers", "customer"]
    every = set(bash_request("retain-tui "))
    assert set(COMMAND_MODULES) <= every
    assert "--install-completion" not in every  # options only when asked for with "-"


def test_bash_completes_a_commands_options() -> None:
    assert bash_request("retain-tui customers --c") == ["--csv"]
    assert "--rfm-table" in bash_request("retain-tui segments --")
    assert bash_request("retain-tui --db shop.db segment r") == ["rm", "rfm-table"]


def test_zsh_and_fish_complete_command_names_and_options() -> None:
    zsh = run(env={"_RETAIN_TUI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "retain-tui se"})
    assert '"segments"' in zsh and '"segment"' in zsh and '"send"' in zsh
    fish = run(
        env={
            "_RETAIN_TUI_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
            "_TYPER_COMPLETE_ARGS": "retain-tui customers --j",
        }
    )
    assert [line.split("\t")[0] for line in fish.splitlines()] == ["--json"]


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"COMP_WORDS": "retain-tui cust", "COMP_CWORD": "1"}, []),
        ({"COMP_WORDS": "retain-tui customers --c", "COMP_CWORD": "2"}, ["customers"]),
        ({"COMP_WORDS": "retain-tui customers", "COMP_CWORD": "2"}, ["customers"]),
        ({"COMP_WORDS": "retain-tui", "COMP_CWORD": "x"}, []),
        ({"_TYPER_COMPLETE_ARGS": "retain-tui segment "}, ["segment"]),
        ({"_TYPER_COMPLETE_ARGS": "retain-tui segment a"}, ["segment"]),
        ({"_TYPER_COMPLETE_ARGS": "retain-tui seg"}, []),
        ({}, []),
    ],
)
def test_completed_words(environ: dict[str, str], words: list[str]) -> None:
    assert completed_words(environ) == words
