"""`retain-tui import orders|customers FILE` and `retain-tui demo`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.text import Text

from core.demo import DemoRefusedError, create_demo, demo_loaded_on
from core.importers import FatalImportError, ImportResult, import_file, parse_mapping, summary
from core.importers.formats import FORMATS
from core.importers.mapping import mapping_text
from core.nps.importer import RESPONSE_FORMATS, ResponsesResult, import_responses
from core.paths import chosen_db_path, demo_db_path, resolve_db_path
from core.store import Store, StoreError, remove_database
from core.values import DATE_ORDERS
from tui.commands.common import (
    DbOption,
    ExitCode,
    JsonOption,
    choices,
    choices_metavar,
    console,
    db_option,
    err_console,
    fail,
    opened_store,
    print_json,
    signals_interrupt,
)

if TYPE_CHECKING:
    from core.predict.refit import RefitOutcome

SHOWN_ERRORS = summary.SHOWN_ROWS

ImportFormat = choices("ImportFormat", FORMATS)
FormatOption = Annotated[
    ImportFormat,
    typer.Option(
        "--format",
        metavar=choices_metavar(FORMATS),
        help="File layout (auto detects it from the header).",
    ),
]
ResponseFormat = choices("ResponseFormat", RESPONSE_FORMATS)
ResponseFormatOption = Annotated[
    ResponseFormat,
    typer.Option(
        "--format",
        metavar=choices_metavar(RESPONSE_FORMATS),
        help="generic (auto): customer_id is the shop's customer id, or an email column; "
        "link: customer_id is the number the feedback link carried (docs/nps.md).",
    ),
]
MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="COLUMN=FIELD",
        help="Read COLUMN as FIELD (repeatable), e.g. --map 'Bestellnummer=order_id'.",
    ),
]
DATE_FORMATS = ("auto", *DATE_ORDERS)
DateFormat = choices("DateFormat", DATE_FORMATS)
DateFormatOption = Annotated[
    DateFormat,
    typer.Option(
        "--date-format",
        metavar=choices_metavar(DATE_FORMATS),
        help="How to read dates like 03/11/2026: DMY (day first, 3 November), MDY (month "
        "first, 11 March), or auto: decided from the whole file. ISO dates (2026-11-03) and "
        "dotted ones (03.11.2026, day first) need no choice.",
    ),
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Any bad row aborts the whole import.")
]
NoRefitOption = Annotated[
    bool,
    typer.Option(
        "--no-refit",
        help="Keep the stored predictions as they are, even when they are due for a refit "
        "(setting predict.refit_after_days).",
    ),
]
FileArgument = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="The exported CSV file.",
        show_default=False,
        readable=False,  # our reader says why in one line; Typer would print a usage box
    ),
]

import_app = typer.Typer(
    help="Import a shop export (Shopify, WooCommerce or any CSV). Re-importing is always safe.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.command("demo")(demo)


@import_app.command("orders")
def import_orders(
    ctx: typer.Context,
    file: FileArgument,
    fmt: FormatOption = ImportFormat.auto,
    map_: MapOption = None,
    date_format: DateFormatOption = DateFormat.auto,
    strict: StrictOption = False,
    no_refit: NoRefitOption = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Import orders (one row per order or per line item)."""
    _run(ctx, file, "orders", fmt.value, map_ or [], strict, json_, db, date_format.value,
         refit=not no_refit)  # fmt: skip


@import_app.command("customers")
def import_customers(
    ctx: typer.Context,
    file: FileArgument,
    fmt: FormatOption = ImportFormat.auto,
    map_: MapOption = None,
    date_format: DateFormatOption = DateFormat.auto,
    strict: StrictOption = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Import customers (names, consent, country, tags)."""
    _run(ctx, file, "customers", fmt.value, map_ or [], strict, json_, db, date_format.value)


@import_app.command("responses")
def import_responses_command(
    ctx: typer.Context,
    file: FileArgument,
    fmt: ResponseFormatOption = ResponseFormat.auto,
    map_: MapOption = None,
    date_format: DateFormatOption = DateFormat.auto,
    strict: StrictOption = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Import survey answers (NPS, 0-10): customer, score, date, optional comment."""
    with opened_store(ctx, db) as store:
        loaded_on = demo_loaded_on(store)
        if loaded_on is not None:
            fail(f"{store.path} is the demo shop (loaded {loaded_on}): your customers' answers "
                 "go into your shop's database")  # fmt: skip
        try:
            with signals_interrupt():
                result = import_responses(
                    store, file, fmt=fmt.value, mapping=parse_mapping(map_ or []),
                    strict=strict, date_format=date_format.value,
                )  # fmt: skip
        except FatalImportError as exc:
            fail(f"{exc} (nothing was imported)" if "nothing" not in str(exc) else str(exc))
        except KeyboardInterrupt:
            fail("interrupted: nothing was imported", code=ExitCode.INTERRUPTED)
    if json_:
        print_json(result.to_dict())
    else:
        _print_summary(result)
    if result.rows_rejected:  # the good rows are in; cron should still notice the bad ones
        raise typer.Exit(ExitCode.PARTIAL)


def demo(ctx: typer.Context, json_: JsonOption = False, db: DbOption = None) -> None:
    """(Re)create the demo shop (about 2,000 customers, 8,000 orders, dates up to yesterday).

    Without --db it goes to its own demo.db, never into your shop. With --db PATH (or
    RETAIN_DB) it loads only into a new or empty database, or replaces an earlier demo.
    """
    path = chosen_db_path(db_option(ctx, db)) or demo_db_path()
    try:
        with signals_interrupt():  # built under a temporary name, removed if interrupted
            results = create_demo(path)
    except (DemoRefusedError, StoreError, OSError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(f"interrupted: {path} was not changed", code=ExitCode.INTERRUPTED)
    if json_:
        print_json([result.to_dict() for result in results])
        return
    for result in results:
        _print_summary(result)
    console.print(f"Demo shop loaded into {escape(str(path))}.")


def _run(
    ctx: typer.Context,
    file: Path,
    kind: str,
    fmt: str,
    mapping: list[str],
    strict: bool,
    as_json: bool,
    db: str | None,
    date_format: str = "auto",
    *,
    refit: bool = True,
) -> None:
    path = resolve_db_path(db_option(ctx, db))
    is_new = not path.exists()
    new_folders = [folder for folder in path.parents if not folder.exists()]
    try:
        with opened_store(ctx, db, create=True) as store:
            loaded_on = demo_loaded_on(store)
            if loaded_on is not None:
                fail(
                    f"{store.path} is the demo shop (loaded {loaded_on}): your own orders go "
                    "into your shop's database (without --db: shop.db), never into the demo"
                )
            try:
                read = partial(
                    import_file, store, file, kind, fmt=fmt, mapping=parse_mapping(mapping),
                    remembered=True, strict=strict, date_format=date_format,
                )  # fmt: skip
                with signals_interrupt():
                    result = _import_with_progress(read, file, as_json)
            except FatalImportError as exc:
                fail(f"{exc} (nothing was imported)" if "nothing" not in str(exc) else str(exc))
            except KeyboardInterrupt:
                fail("interrupted: nothing was imported", code=ExitCode.INTERRUPTED)
            predictions = _refit_predictions(store, result, refit)
    except typer.Exit:
        if is_new:  # a failed first import leaves no empty shop behind (the app would open it)
            remove_database(path)
            for folder in new_folders:  # nearest first; each was empty before
                with suppress(OSError):
                    folder.rmdir()
        raise
    if as_json:
        print_json(result.to_dict() | {"predictions": predictions.to_dict()})
    else:
        _print_summary(result)
        line = predictions.line()
        if line is not None:
            console.print(Text(line))
    if result.remembered_mapping:  # chosen in the app's import screen (docs/import.md)
        chosen = mapping_text(result.remembered_mapping)
        err_console.print(
            f"note: columns read as remembered for this header set: {escape(chosen)} "
            "(--map overrides)"
        )
    if predictions.state == "interrupted":
        fail(f"interrupted while refitting the predictions: the import is saved, the fit as of "
             f"{predictions.as_of} is kept", code=ExitCode.INTERRUPTED)  # fmt: skip
    if predictions.stale_note and predictions.state != "kept":
        err_console.print(f"note: {escape(predictions.stale_note)}")
    if result.rows_rejected:  # the good rows are in; cron should still notice the bad ones
        raise typer.Exit(ExitCode.PARTIAL)


def _refit_predictions(store: Store, result: ImportResult, allowed: bool) -> RefitOutcome:
    """Refit the stored predictions when the import left them `predict.refit_after_days`
    behind (core/predict/refit.py); an interrupt keeps the fit and the import."""
    from core.predict.refit import RefitOutcome, refit_if_stale

    changed = bool(result.orders_added or result.orders_updated)
    try:
        with signals_interrupt():
            return refit_if_stale(store, orders_changed=changed, allowed=allowed)
    except KeyboardInterrupt:
        from core.predict.stored import latest_fit

        fit = latest_fit(store)
        return RefitOutcome("interrupted", as_of=None if fit is None else fit.as_of)


def _import_with_progress(
    read: Callable[..., ImportResult], file: Path, quiet: bool
) -> ImportResult:
    """`read(progress=...)` with a progress bar on a terminal."""
    if quiet or not sys.stderr.isatty():
        return read()
    # Here, not at the top: a cron import (no terminal) or --json never draws a bar (7 ms).
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    columns = (*Progress.get_default_columns()[:-1], BarColumn(), DownloadColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(f"Reading {escape(file.name)}", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return read(progress=advance)


def _print_summary(result: ImportResult | ResponsesResult) -> None:
    """The summary of core.importers.summary, aligned, with the first rows each counts."""
    out = console.print
    out(f"[bold]{escape(result.file)}[/] ({escape(summary.layout(result))})")
    styles = {"": "", "bad": "red", "warning": "yellow"}
    if isinstance(result, ResponsesResult):
        lines = summary.response_lines(result, SHOWN_ERRORS)
    else:
        lines = summary.summary_lines(result, SHOWN_ERRORS)
    for line in lines:
        style = styles[line.tone]
        note = f"  {escape(line.note)}" if line.note else ""
        out(f"  {line.aligned()}{note}", style=style)
        for row in line.rows:
            out(f"    {escape(row)}", style=style)
        if line.more:
            out(f"    {line.more_text()}", style=style)
    out(f"  {summary.timing(result)}")
