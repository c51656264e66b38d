"""`retain-tui` loads only the module of the command it runs, and still offers every command."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from core import __version__
from tui.cli import COMMAND_MODULES, build_app, invoked_command, main


def command_names(app: typer.Typer) -> set[str]:
    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_the_full_app_has_exactly_the_commands_the_table_names() -> None:
    assert command_names(build_app()) == set(COMMAND_MODULES)


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_each_command_comes_with_the_module_the_table_names(command: str) -> None:
    names = command_names(build_app(command))
    assert command in names
    assert {COMMAND_MODULES[name] for name in names} == {COMMAND_MODULES[command]}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], None),
        (["--help"], None),
        (["--version"], None),
        (["stats", "--json"], "stats"),
        (["--db", "shop.db", "customers", "--limit", "5"], "customers"),
        (["--db=shop.db", "import", "orders", "x.csv"], "import"),
        (["--db", "stats"], None),  # "stats" is the database's name here
        (["no-such-command"], "no-such-command"),
    ],
)
def test_the_invoked_command_skips_the_root_options(args: list[str], expected: str | None) -> None:
    assert invoked_command(args) == expected


def test_an_unknown_command_is_refused_with_the_full_list_behind_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["stast"])
    assert exit_info.value.code == 2
    assert "No such command 'stast'" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"retain-tui {__version__}"


def test_a_command_does_not_import_the_other_commands() -> None:
    script = (
        "import sys\n"
        "from tui.cli import main\n"
        "try:\n"
        "    main(['stats', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('tui.commands.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "['tui.commands.common', 'tui.commands.stats']"
