"""What every subcommand shares: the `--db` option, opening the store, printing, failing."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from core.paths import chosen_db_path
from core.store import MissingStoreError, Store, StoreError, open_store

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
def opened_store(ctx: typer.Context, db: str | None, *, create: bool = False) -> Iterator[Store]:
    """The store named by `--db` here, or on the root command, or by the environment.

    Only `import` and `demo` pass `create`: for every other command a missing file is a typo
    to report, not an empty shop to make.
    """
    path = db_option(ctx, db)
    try:
        store = open_store(path, create=create)
    except MissingStoreError as exc:
        fail(missing_store_message(exc, named=chosen_db_path(path) is not None))
    except (StoreError, OSError) as exc:
        fail(str(exc))
    if store.backup_path is not None:
        err_console.print(
            f"Upgraded {_escape(str(store.path))} to this version's schema; "
            f"the old one is kept in {_escape(str(store.backup_path))}"
        )
    try:
        yield store
    finally:
        store.close()


def db_option(ctx: typer.Context, db: str | None) -> str | None:
    """`--db` given here, else on the root command (`retain-tui --db PATH stats`)."""
    return db or (ctx.find_root().obj or {}).get("db")


def missing_store_message(exc: MissingStoreError, *, named: bool) -> str:
    """One line: which file is missing and how a shop is made."""
    option = f" --db {exc.path}" if named else ""
    return f"{exc}; create your shop with: retain-tui import orders FILE{option}"


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
