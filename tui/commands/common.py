"""What every subcommand shares: the `--db` option, opening the store, printing, failing."""

from __future__ import annotations

import csv
import io
import json
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from core.as_of import AsOfError, check_as_of
from core.paths import chosen_db_path, demo_db_path
from core.store import (
    MissingStoreError,
    Store,
    StoreBusyError,
    StoreError,
    StoreWriteError,
    is_busy,
    open_store,
    opening_notes,
    waiting_message,
)
from core.values import parse_date

if TYPE_CHECKING:  # rich tables are imported only when printed, to keep `--json` quick
    from rich.table import Table

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
CsvOption = Annotated[
    bool,
    typer.Option(
        "--csv", help="Print CSV (UTF-8, the --json fields) for spreadsheets and other tools."
    ),
]
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
    INTERRUPTED = 130  # Ctrl-C, SIGTERM or SIGHUP (128 + SIGINT): nothing was done


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


def printable(value: object) -> str:
    """Customer and owner text with control characters (escape sequences, CR/LF) made visible,
    for a terminal or a log (print it with markup off or as `Text`: it may hold `[bold]`)."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def say(line: str) -> None:
    """One line of owner or customer text on stdout, never read as markup (`printable`)."""
    console.print(printable(line), markup=False, soft_wrap=True)


def report_table(title: str) -> Table:
    """A figures table as `stats` and `drivers` print them: a simple head rule, no outer padding."""
    from rich import box
    from rich.table import Table

    return Table(
        title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
        title_justify="left",
    )  # fmt: skip


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@contextmanager
def opened_store(ctx: typer.Context, db: str | None, *, create: bool = False) -> Iterator[Store]:
    """The store named by `--db` here, or on the root command, or by the environment.

    Only `import` and `demo` pass `create`: for every other command a missing file is a typo
    to report, not an empty shop to make. A write that finds another writer at work says it
    waits; one that waited too long, or that the file, folder or disk refuses (a shop on a
    read-only mount still opens for reading), ends here with one line (exit 2), nothing changed.
    SIGTERM and SIGHUP interrupt as Ctrl-C does: the transaction rolls back, the store is
    closed (no -wal/-shm left), `error: interrupted: nothing was changed`, exit 130.
    """
    with signals_interrupt():
        try:
            with _opened_store(ctx, db, create=create) as store:
                yield store
        except KeyboardInterrupt:
            fail("interrupted: nothing was changed", code=ExitCode.INTERRUPTED)


@contextmanager
def _opened_store(ctx: typer.Context, db: str | None, *, create: bool) -> Iterator[Store]:
    path = db_option(ctx, db)
    try:
        store = open_store(path, create=create, on_wait=_say_waiting)
    except MissingStoreError as exc:
        fail(missing_store_message(exc, named=chosen_db_path(path) is not None))
    except (StoreError, OSError) as exc:
        fail(str(exc))
    for note in opening_notes(store):
        err_console.print(_escape(note))
    try:
        yield store
    except (StoreBusyError, StoreWriteError) as exc:
        fail(str(exc))
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        fail(f"the shop database is busy ({exc}); nothing was changed")
    finally:
        store.close()


def _say_waiting() -> None:
    err_console.print(_escape(waiting_message()))


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a cron timeout, a closed SSH session), raised like Ctrl-C so the
    same cleanup runs: no partial files, the write rolled back."""


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """While a command writes files or the shop, SIGTERM and SIGHUP interrupt it as Ctrl-C
    does (exit 130, nothing done); a second signal during the cleanup is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    caught = (signal.SIGTERM, signal.SIGHUP)

    def interrupt(signum: int, frame: object) -> None:
        for number in caught:
            signal.signal(number, signal.SIG_IGN)
        raise Terminated(signal.Signals(signum).name)

    previous = {number: signal.signal(number, interrupt) for number in caught}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def as_of_date(store: Store, text: str | None) -> date:
    """The as-of date for every figure of a command: `--as-of` checked, or the store's."""
    try:
        return check_as_of(store, None if text is None else parse_date(text))
    except (AsOfError, ValueError) as exc:
        fail(f"--as-of: {exc}")


_MAX_ID_DIGITS = 18
"""Customer ids are SQLite integers: 18 digits always fit in 64 bits."""


def customer_ids_option(values: list[str], option: str = "--customer") -> list[int]:
    """Customer ids given as `--customer 12 --customer 15,19`: refuses anything else."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            text = part.strip()
            if not text:
                continue
            if not text.isdigit():
                fail(f"{option} {value!r}: customer ids are numbers (e.g. {option} 42)")
            if len(text) > _MAX_ID_DIGITS:
                fail(f"{option} {text[:30]!r}: no customer has so long an id (nothing was written)")
            ids.append(int(text))
    return ids


def refuse_unknown_customers(store: Store, ids: list[int], option: str = "--customer") -> None:
    """Fail naming the ids that are no customer's: nothing is done for a mistyped id."""
    from core.customer_profile import unknown_customer_ids

    unknown = unknown_customer_ids(store, ids)
    if unknown:
        listed = ", ".join(str(customer_id) for customer_id in unknown)
        which = "no customer has id" if len(unknown) == 1 else "no customers have the ids"
        fail(f"{option}: {which} {listed} (nothing was written)")


def db_option(ctx: typer.Context, db: str | None) -> str | None:
    """`--db` given here, else on the root command (`retain-tui --db PATH stats`)."""
    return db or (ctx.find_root().obj or {}).get("db")


def missing_store_message(exc: MissingStoreError, *, named: bool) -> str:
    """One line: which file is missing, how a shop is made, and where the demo is if the
    owner has only tried the demo so far."""
    option = f" --db {exc.path}" if named else ""
    message = f"{exc}; create your shop with: retain-tui import orders FILE{option}"
    demo = demo_db_path()
    if not named and demo.exists():
        message += f" (the demo shop is in {demo}: add --db {demo})"
    return message


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def one_output_format(*, json_: bool, csv_: bool) -> None:
    """`--json` and `--csv` each say what stdout holds: both at once is refused."""
    if json_ and csv_:
        fail("--json and --csv each choose what is printed: give one of them")


def print_csv(fields: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
    """The rows as CSV on stdout: a header of `fields`, then one line per row.

    Cells read as `--json` writes them (true/false, empty for null, a list joined with "; "),
    and every text cell is formula-safe: a name like `=HYPERLINK(...)` stays text in a
    spreadsheet (core's `neutralise_cell`). Numbers are ours, never customer text.
    """
    from core.compose.draft_writers import neutralise_cell

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, list | tuple):
            return neutralise_cell("; ".join(str(item) for item in value))
        return neutralise_cell(str(value))

    sys.stdout.flush()
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(out)
        writer.writerow(fields)
        for row in rows:
            writer.writerow([cell(row[field]) for field in fields])
    finally:
        out.detach()
