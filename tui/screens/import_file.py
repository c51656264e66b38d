"""Import a shop export from inside the app, with the same core code as `retain-tui import`.

The import runs in a thread worker on its own connection; the progress bar follows the bytes
read, then the merge runs as one transaction. Stopping it (Escape, then yes) cancels the
worker and interrupts SQLite, so nothing is written. Rejected rows are listed as plain text.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    Log,
    ProgressBar,
    Select,
    Static,
)
from textual.worker import Worker, get_current_worker

from core.csvfile import open_csv
from core.demo import demo_loaded_on
from core.importers import KINDS, FatalImportError, ImportResult, import_file, summary
from core.importers.formats import FORMATS, detect_format
from core.predict.refit import refit_if_stale
from core.store import StoreError, open_store, remove_database, waiting_message
from core.values import DATE_ORDERS
from tui.safe_text import clean, content
from tui.screens.base import RetainScreen
from tui.screens.dialogs import ConfirmScreen
from tui.widgets.path_suggester import PathSuggester

STOPPED = "Import stopped: nothing was imported."
OWN_DATABASE = (
    "import your own shop into a database of its own: "
    "retain-tui import orders FILE --db YOUR_SHOP.db"
)


class ImportStopped(Exception):
    """The owner stopped the import; raised inside the worker to unwind it."""


class ImportScreen(RetainScreen):
    SCREEN_NAME = "import"
    TITLE_TEXT = "Import"
    PURPOSE = "Import a Shopify, WooCommerce or generic CSV export of orders or customers."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "start", "Import", tooltip="Start importing the file"),
        Binding("escape", "back", "Back", tooltip="Back (asks first while importing)"),
    ]

    @dataclass
    class Progress(Message):
        done: int
        total: int

    @dataclass
    class Finished(Message):
        result: ImportResult | None
        error: str | None = None
        predictions: str | None = None
        """The refit's line (core/predict/refit.py), or the note that the fit is stale."""

    @dataclass
    class Detected(Message):
        path: str
        kind: str

    def __init__(self) -> None:
        super().__init__()
        self.worker: Worker[None] | None = None
        self._connection: sqlite3.Connection | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="import-form"):
            yield Label("File (→ completes the path)")
            yield Input(
                placeholder="e.g. ~/exports/orders_export.csv", id="path", suggester=PathSuggester()
            )
            with Horizontal(id="import-options"):
                yield Select(
                    [(kind, kind) for kind in KINDS],
                    value="orders",
                    id="kind",
                    allow_blank=False,
                    compact=True,
                )
                yield Select(
                    [(fmt, fmt) for fmt in FORMATS],
                    value="auto",
                    id="format",
                    allow_blank=False,
                    compact=True,
                )
                yield Select(
                    [(f"dates {order}", order) for order in ("auto", *DATE_ORDERS)],
                    value="auto",
                    id="date-format",
                    allow_blank=False,
                    compact=True,
                    tooltip="How to read 03/11/2026 (--date-format): DMY day first, MDY month "
                    "first, auto decides from the whole file",
                )
                yield Checkbox(
                    "strict",
                    id="strict",
                    compact=True,
                    tooltip="Any bad row aborts the whole import",
                )
                yield Button("Import", id="start", variant="primary", compact=True)
        yield ProgressBar(id="progress", show_eta=False)
        yield Static("Choose a file and press ctrl+s.", id="import-summary", markup=False)
        yield Log(id="rejected", highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        if self.retain_app.demo_loaded_on is not None:
            target = self.retain_app.import_path
            self._say(
                f"Your file goes into {target}, your own shop, never into the demo."
                if target
                else f"This is the demo shop: {OWN_DATABASE}"
            )
        self.set_focus(self.query_one("#path", Input))
        self.query_one("#rejected", Log).display = False
        self.query_one("#progress", ProgressBar).display = False

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running

    # -- choosing -----------------------------------------------------------------------------

    @on(Input.Changed, "#path")
    def _path_changed(self, event: Input.Changed) -> None:
        path = Path(event.value).expanduser()
        if event.value and path.is_file():
            self.detect_kind(str(path))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="detect",
        description="Reading the file's header",
    )
    def detect_kind(self, path: str) -> None:
        try:
            kind, _format = detect_format(open_csv(path).header)
        except FatalImportError:
            return  # the import itself will say what is wrong
        if kind in KINDS:
            self.post_message(self.Detected(path, kind))

    def on_import_screen_detected(self, message: ImportScreen.Detected) -> None:
        current = Path(self.query_one("#path", Input).value).expanduser()
        if str(current) == message.path and not self.running:
            self.query_one("#kind", Select).value = message.kind

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.running:
            self.notify("An import is already running.", severity="warning", markup=False)
            return
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.notify("Choose a file to import first.", severity="warning", markup=False)
            self.set_focus(self.query_one("#path", Input))
            return
        path = Path(text).expanduser()
        kind = str(self.query_one("#kind", Select).value)
        fmt = str(self.query_one("#format", Select).value)
        strict = self.query_one("#strict", Checkbox).value
        date_format = str(self.query_one("#date-format", Select).value)
        log = self.query_one("#rejected", Log)
        log.clear()
        log.display = False
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._say(f"Reading {clean(path.name)}…")
        self.worker = self.run_import(path, kind, fmt, strict, date_format)

    # -- importing ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="import", description="Importing")
    def run_import(
        self, path: Path, kind: str, fmt: str, strict: bool, date_format: str = "auto"
    ) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise ImportStopped
            self.post_message(self.Progress(done, total))

        target = self.retain_app.import_path
        if target is None:
            self.post_message(self.Finished(None, f"This is the demo shop: {OWN_DATABASE}"))
            return
        is_new = not target.exists()  # the owner's shop, on its first import from the demo
        try:
            store = open_store(target, create=True, on_wait=self._waiting_from_thread)
            if demo_loaded_on(store) is not None:
                store.close()
                self.post_message(self.Finished(None, f"{target} is a demo shop: {OWN_DATABASE}"))
                return
        except Exception as exc:
            self.post_message(self.Finished(None, str(exc)))
            return
        self._connection = store.conn
        try:
            result = import_file(
                store, path, kind, fmt=fmt, strict=strict, progress=progress,
                date_format=date_format,
            )  # fmt: skip
        except FatalImportError as exc:
            message = str(exc)
            if "nothing" not in message:
                message += " (nothing was imported)"
            self.post_message(self.Finished(None, message))
        except ImportStopped:
            self.post_message(self.Finished(None, STOPPED))
        except sqlite3.OperationalError as exc:
            stopped = worker.is_cancelled and "interrupt" in str(exc)
            self.post_message(self.Finished(None, STOPPED if stopped else f"database: {exc}"))
        except StoreError as exc:  # busy for too long, read-only, a full disk: nothing changed
            self.post_message(self.Finished(None, str(exc)))
        else:
            is_new = False
            changed = bool(result.orders_added or result.orders_updated)
            refit = refit_if_stale(store, orders_changed=changed)  # its own transaction
            self.post_message(self.Finished(result, predictions=refit.line() or refit.stale_note))
        finally:
            self._connection = None
            store.close()
            if is_new:  # a failed first import leaves no empty shop behind
                remove_database(target)

    def _waiting_from_thread(self) -> None:
        """`Store.on_wait` of the import's merge: another program holds the write lock."""
        self.app.call_from_thread(self._say_waiting)

    def _say_waiting(self) -> None:
        self._say(waiting_message().capitalize())
        self.retain_app.say_waiting()

    def on_import_screen_progress(self, message: ImportScreen.Progress) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)
        if message.done >= message.total:
            self._say("Merging into the store…")

    def on_import_screen_finished(self, message: ImportScreen.Finished) -> None:
        bar = self.query_one("#progress", ProgressBar)
        if message.result is None:
            bar.update(total=1, progress=0)
            self._say(clean(message.error), error=True)
            self.notify(clean(message.error), severity="error", timeout=10, markup=False)
            return
        bar.update(total=1, progress=1)
        result = message.result
        self._say(_summary(result) + (f"\n{message.predictions}" if message.predictions else ""))
        rows = _rows(result)
        if rows:
            log = self.query_one("#rejected", Log)
            log.display = True
            log.write_lines(rows, scroll_end=False)  # the first rows are the ones to read
        partly = f", {result.rows_rejected:,} rows rejected" if result.rows_rejected else ""
        if result.warnings:
            partly += f", {len(result.warnings):,} rows applied in part"
        if result.consent_suppressed:
            partly += f", marketing yes refused for {result.consent_suppressed:,}"
        elsewhere = self.retain_app.import_path != self.retain_app.db_path
        where = clean(
            f" into your shop {self.retain_app.import_path}: quit and start again to open it"
        )
        self.notify(
            f"Imported {clean(Path(result.file).name)}{partly}{where if elsewhere else ''}.",
            markup=False,
            severity="warning" if partly else "information",
            timeout=20 if elsewhere else self.app.NOTIFICATION_TIMEOUT,
        )
        self.retain_app.check_store()

    def _say(self, text: str, *, error: bool = False) -> None:
        summary = self.query_one("#import-summary", Static)
        summary.update(content(text, multiline=True))
        summary.set_class(error, "error")

    # -- stopping -----------------------------------------------------------------------------

    def stop_import(self) -> None:
        """Cancel the worker and interrupt any statement: the import's transaction rolls back."""
        if self.worker is not None:
            self.worker.cancel()
        connection = self._connection
        if connection is not None:
            connection.interrupt()

    def action_back(self) -> None:
        if not self.running:
            self.app.pop_screen()
            return
        question = ConfirmScreen("Stop the import? Nothing will be imported.", "Stop", "Go on")
        self.app.push_screen(question, callback=self._stop_answered)

    def _stop_answered(self, stop: bool | None) -> None:
        if stop:
            self.stop_import()
            self.app.pop_screen()

    def on_unmount(self) -> None:
        self.stop_import()


def _summary(result: ImportResult) -> str:
    """The CLI's summary (core.importers.summary), without the rows: those go to the log."""
    lines = [f"{clean(Path(result.file).name)}: {summary.layout(result)}, {result.seconds:.2f} s"]
    for line in summary.summary_lines(result):
        lines.append(line.aligned() + (f"  {line.note}" if line.note else ""))
    return "\n".join(lines)


def _rows(result: ImportResult) -> list[str]:
    """The first rows rejected or applied in part, under their count's label (plain text:
    `Log` shows no markup, and `clean` drops escape codes the file may hold)."""
    rows: list[str] = []
    for line in summary.summary_lines(result):
        if line.rows:
            rows.append(f"{line.label}:")
            rows.extend(f"  {clean(row)}" for row in line.rows)
            if line.more:
                rows.append(f"  {line.more_text()}")
    return rows
