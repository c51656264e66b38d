"""`retain-tui COMMAND --help` for every command: real metavars, the choices, no placeholders.

The commands come from the CLI itself (tui/cli.py's table, then each group's subcommands),
so a command added later is checked without touching this file.
"""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from core.customer_list import sortable_fields
from core.draft_formats import EXPORT_FORMATS as DRAFT_FORMATS
from core.importers.formats import FORMATS as IMPORT_FORMATS
from core.periods import PERIOD_KINDS
from tui.cli import COMMAND_MODULES, build_app

# What a value's metavar may look like: FILE, COLUMN=FIELD, YYYY-MM-DD, or [a|b|c].
METAVAR = re.compile(r"[A-Z][A-Z0-9_=-]*|\[[A-Za-z0-9|-]+\]")


def command_paths() -> list[tuple[str, ...]]:
    """Every command and subcommand, as the words typed after `retain-tui`."""
    paths: list[tuple[str, ...]] = []

    def walk(command: typer.core.TyperCommand, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    root = typer.main.get_command(build_app())
    for name in COMMAND_MODULES:
        walk(root.commands[name], (name,))  # type: ignore[attr-defined]
    return paths


PATHS = command_paths()


def help_text(*path: str) -> str:
    result = CliRunner().invoke(build_app(path[0]), [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_command_and_subcommand_is_covered() -> None:
    assert {path[0] for path in PATHS} == set(COMMAND_MODULES)
    for expected in (("import", "orders"), ("segment", "add"), ("config", "set"),
                     ("templates", "check"), ("segment", "rfm-table")):  # fmt: skip
        assert expected in PATHS


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_help_shows_no_type_names_or_template_placeholders(path: tuple[str, ...]) -> None:
    text = help_text(*path)
    assert not re.search(r"<\w+(\|\w+)*>", text), text  # Typer's <str>, <int>, <path>
    assert not re.search(r"\{\w+\}", text), text  # {file}, {FILE}
    usage = text.splitlines()[0]
    assert usage.startswith(f"Usage: retain-tui {' '.join(path)} [OPTIONS]"), usage


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_every_value_has_a_real_metavar(path: tuple[str, ...]) -> None:
    root = typer.main.get_command(build_app(path[0]))
    command = root
    context = typer.Context(root, info_name="retain-tui")
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
        context = typer.Context(command, info_name=name, parent=context)
    for param in command.params:
        if getattr(param, "is_flag", False) or param.name == "help":
            continue
        metavar = param.make_metavar(context)
        if metavar.startswith("[") and "|" not in metavar:  # an optional argument, [FILE]
            metavar = metavar[1:-1]
        assert METAVAR.fullmatch(metavar), f"{' '.join(path)} {param.name}: {metavar!r}"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (("stats",), f"--period [{'|'.join(PERIOD_KINDS)}]"),
        (("import", "orders"), f"--format [{'|'.join(IMPORT_FORMATS)}]"),
        (("import", "customers"), f"--format [{'|'.join(IMPORT_FORMATS)}]"),
        (("export",), f"-f, --format [{'|'.join(DRAFT_FORMATS)}]"),
        (("import", "orders"), "Usage: retain-tui import orders [OPTIONS] FILE"),
        (("segment", "add"), "Usage: retain-tui segment add [OPTIONS] NAME EXPR"),
        (("segment", "rfm-table"), "Usage: retain-tui segment rfm-table [OPTIONS] [FILE]"),
        (("config", "set"), "Usage: retain-tui config set [OPTIONS] KEY VALUE"),
        (("export",), "-c, --customer ID"),
    ],
)
def test_choices_and_metavars_are_shown(path: tuple[str, ...], shown: str) -> None:
    assert shown in flat(help_text(*path))


def test_sort_lists_every_sortable_field() -> None:
    text = flat(help_text("customers"))
    listed = text.split("Sort by one of: ", 1)[1].split(";", 1)[0]
    assert listed.split(", ") == sortable_fields()
