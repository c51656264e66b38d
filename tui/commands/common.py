"""What every subcommand shares: the `--db` option, opening the store, printing, failing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import IntEnum, StrEnum
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from core.as_of import AsOfError, check_as_of
from core.store import Store, StoreError, open_store
from core.values import parse_date

# soft_wrap: a `file:line: column: reason` line must stay one line in cron logs and pipes.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="PATH",
        help="Shop database file (default: $RETAIN_DB, else shop.db in your data folder).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Figures as of this date, YYYY-MM-DD (default: the date of the latest order).",
        show_default=False,
    ),
]


class ExitCode(IntEnum):
    """What a command's exit status tells a script (the README's "Exit codes" table)."""

    OK = 0
    FAILED = 1  # ran and found a problem: a template check, drafts that failed, a key not set
    REFUSED = 2  # bad usage, no database, invalid input or settings: nothing was done
    PARTIAL = 3  # done, but some input was rejected (an import's bad rows): look at the log
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it): nothing was done


def choices(name: str, values: Iterable[str]) -> type[StrEnum]:
    """An option type taking one of `values` (from core, never copied here): Typer refuses
    anything else with the list, and the members are the plain strings core expects."""
    return StrEnum(name, {value: value for value in values})  # type: ignore[return-value]


def choices_metavar(values: Iterable[str]) -> str:
    """`[month|quarter|year]`: how `--help` shows an option that takes one of a few values."""
    return "[" + "|".join(values) + "]"


def fail(message: str, code: ExitCode = ExitCode.REFUSED) -> NoReturn:
    """Say what went wrong on stderr and exit non-zero: never a traceback."""
    err_console.print(f"[bold red]error:[/] {_escape(message)}")
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Say on stderr what the command worked around; it goes on (and exits 0)."""
    err_console.print(f"[bold yellow]warning:[/] {_escape(message)}")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@contextmanager
def opened_store(ctx: typer.Context, db: str | None) -> Iterator[Store]:
    """The store named by `--db` here, or on the root command, or by the environment."""
    path = db or (ctx.find_root().obj or {}).get("db")
    try:
        store = open_store(path)
    except (StoreError, OSError) as exc:
        fail(str(exc))
    try:
        yield store
    finally:
        store.close()


def as_of_date(store: Store, text: str | None) -> date:
    """The as-of date for every figure of a command: `--as-of` checked, or the store's."""
    try:
        return check_as_of(store, None if text is None else parse_date(text))
    except (AsOfError, ValueError) as exc:
        fail(f"--as-of: {exc}")


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
