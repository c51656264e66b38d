"""What every subcommand shares: the `--db` option, opening the store, printing, failing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from core.store import Store, StoreError, open_store

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


def fail(message: str, code: int = 2) -> NoReturn:
    """Say what went wrong on stderr and exit non-zero: never a traceback."""
    err_console.print(f"[bold red]error:[/] {_escape(message)}")
    raise typer.Exit(code)


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


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
