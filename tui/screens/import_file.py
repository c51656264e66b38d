"""Import a shop export from inside the app, with the same core code as `retain-tui import`.

Choosing a file shows what was detected and its first rows (File), and for a generic CSV a
column picker per field (Columns), prefilled with the choice remembered for the file's header
set (core/importers/mapping.py). The import runs in a thread worker on its own connection;
the progress bar follows the bytes read, then the merge runs as one transaction. Stopping it
(Escape, then yes) cancels the worker and interrupts SQLite, so nothing is written. The
result and rejected rows are shown in the screen (Import); one notice per import replaces
the last.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import Notification, Notify, SeverityLevel
from textual.widgets import (
    Button,
    Checkbox,
    Header,
    Input,
    Label,
    Log,
    ProgressBar,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, get_current_worker

from core.demo import demo_loaded_on
from core.importers import KINDS, FatalImportError, ImportResult, import_file, summary
from core.importers.dates import DATE_FIELDS
from core.importers.formats import FORMATS
from core.importers.mapping import mapping_from_choices, remember_mapping
from core.importers.preview import FilePreview, date_order, preview_file
from core.predict.refit import refit_if_stale
from core.store import Store, StoreError, open_store, remove_database, waiting_message
from core.values import DATE_ORDERS
from tui.safe_text import clean, content
from tui.screens.base import RetainScreen
from tui.screens.dialogs import ConfirmScreen
from tui.widgets.footer import RetainFooter
from tui.widgets.import_preview import ColumnMapping, FileView
from tui.widgets.path_suggester import PathSuggester

NO_DATE_COLUMN = "dates: no date column yet (pick it in Columns)"
STOPPED = "Import stopped: nothing was imported."
ERROR_TIMEOUT = 10
"""Seconds an error notice stays (the screen keeps saying it after)."""
OWN_DATABASE = (
    "import your own shop into a database of its own: "
    "retain-tui import orders FILE --db YOUR_SHOP.db"
)


class ImportStopped(Exception):
    """The owner stopped the import; raised inside the worker to unwind it."""


class PreviewReplaced(Exception):
    """Another file or choice was made while the dates were being read: stop reading."""


@dataclass(frozen=True)
class Columns:
    """How the import reads the file's columns: `mapping` ({COLUMN: FIELD}) as the whole
    choice, or (None) the remembered choice, else the column names, as the CLI does.
    `remember` is what to keep for the header set after a successful import."""

    mapping: dict[str, str] | None = None
    header: list[str] | None = None
    remember: dict[str, str] | None = None


class ImportScreen(RetainScreen):
    CSS_PATH = "import_file.tcss"
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
    class Previewed(Message):
        """What the file holds (or why it cannot be read), for the choices it was read with."""

        path: str
        fmt: str
        preview: FilePreview | None
        error: str | None = None

    @dataclass
    class DatesFound(Message):
        path: str
        order: str | None
        problem: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.worker: Worker[None] | None = None
        self._connection: sqlite3.Connection | None = None
        self.preview: FilePreview | None = None
        self._previewed: tuple[str, str, str] | None = None
        """(path, kind, format) `preview` was read for."""
        self._notice: Notification | None = None

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
        with TabbedContent(id="import-views", initial="import-tab"):
            with TabPane("File", id="file-tab"):
                yield FileView(id="file-view")
            with TabPane("Columns", id="columns-tab"):
                yield ColumnMapping(id="column-mapping")
            with TabPane("Import", id="import-tab"):
                yield ProgressBar(id="progress", show_eta=False)
                yield Static("Choose a file and press ctrl+s.", id="import-summary", markup=False)
                yield Log(id="rejected", highlight=False)
        yield RetainFooter()

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
        views = self.query_one("#import-views", TabbedContent)
        views.disable_tab("file-tab")
        views.hide_tab("columns-tab")

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running

    # -- choosing -----------------------------------------------------------------------------

    @on(Input.Changed, "#path")
    @on(Select.Changed, "#kind")
    @on(Select.Changed, "#format")
    def _choice_changed(self) -> None:
        if self.running:
            return
        path = self._chosen_path()
        if path is not None and path.is_file():
            self.inspect_file(str(path), self._kind(), self._format())

    def _chosen_path(self) -> Path | None:
        text = self.query_one("#path", Input).value.strip()
        return Path(text).expanduser() if text else None

    def _kind(self) -> str:
        return str(self.query_one("#kind", Select).value)

    def _format(self) -> str:
        return str(self.query_one("#format", Select).value)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="detect",
        description="Reading the file's first rows",
    )
    def inspect_file(self, path: str, kind: str, fmt: str) -> None:
        store = self._owner_store()
        try:
            preview = preview_file(path, kind, fmt, store, follow_detected=True)
        except FatalImportError as exc:
            self.post_message(self.Previewed(path, fmt, None, str(exc)))
            return
        finally:
            if store is not None:
                store.close()
        self.post_message(self.Previewed(path, fmt, preview))

    def _owner_store(self) -> Store | None:
        """The shop the file goes into, for the column choice remembered there (None: a
        first import, or the demo)."""
        target = self.retain_app.import_path
        if target is None or not target.exists():
            return None
        try:
            store = open_store(target)
        except StoreError:
            return None
        if demo_loaded_on(store) is not None:
            store.close()
            return None
        return store

    async def on_import_screen_previewed(self, message: ImportScreen.Previewed) -> None:
        path = self._chosen_path()
        if path is None or str(path) != message.path or self.running:
            return  # the owner has chosen another file meanwhile
        views = self.query_one("#import-views", TabbedContent)
        view = self.query_one("#file-view", FileView)
        views.enable_tab("file-tab")
        preview = message.preview
        # Until the pickers are in place, an import started meanwhile reads the columns as
        # the CLI does; then it reads them as picked.
        self.preview, self._previewed = None, None
        if preview is None:
            view.show_error(clean(message.error))
            views.hide_tab("columns-tab")
            views.active = "file-tab"
            return
        if self._kind() != preview.kind:  # the file is a shop export of the other kind
            with self.prevent(Select.Changed):
                self.query_one("#kind", Select).value = preview.kind
        view.show(preview)
        mapping = self.query_one("#column-mapping", ColumnMapping)
        if preview.mappable:
            await mapping.show(preview)
            views.show_tab("columns-tab")
        else:
            views.hide_tab("columns-tab")
        if self.running:
            return
        self.preview, self._previewed = preview, (message.path, preview.kind, message.fmt)
        missing = preview.mappable and mapping.missing()
        views.active = "columns-tab" if missing else "file-tab"
        if preview.layout is not None:
            self._read_dates()

    def _read_dates(self) -> None:
        preview, chosen = self.preview, self._previewed
        if preview is None or chosen is None or preview.layout is None:
            return
        mapping = self.query_one("#column-mapping", ColumnMapping)
        choices = mapping.choices() if preview.mappable else preview.recognised
        if not any(field in choices for field in DATE_FIELDS):
            self.query_one("#file-view", FileView).show_dates(None, NO_DATE_COLUMN)
            return
        self.find_dates(chosen[0], choices, str(self.query_one("#date-format", Select).value))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="dates",
        description="Reading the file's dates",
    )
    def find_dates(self, path: str, choices: dict[str, str], date_format: str) -> None:
        worker = get_current_worker()

        def stop_if_replaced(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise PreviewReplaced

        try:
            order = date_order(path, choices, date_format, stop_if_replaced)
        except PreviewReplaced:
            return
        except FatalImportError as exc:
            self.post_message(self.DatesFound(path, None, str(exc)))
            return
        self.post_message(self.DatesFound(path, order))

    def on_import_screen_dates_found(self, message: ImportScreen.DatesFound) -> None:
        if self._previewed is not None and self._previewed[0] == message.path:
            problem = clean(message.problem) if message.problem is not None else None
            self.query_one("#file-view", FileView).show_dates(message.order, problem)

    @on(Select.Changed, "#date-format")
    def _date_format_changed(self) -> None:
        self._read_dates()

    def on_column_mapping_changed(self, message: ColumnMapping.Changed) -> None:
        if message.field in DATE_FIELDS:
            self._read_dates()

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.running:
            self._say_once("An import is already running.", severity="warning")
            return
        path = self._chosen_path()
        if path is None:
            self._say_once("Choose a file to import first.", severity="warning")
            self.set_focus(self.query_one("#path", Input))
            return
        kind, fmt = self._kind(), self._format()
        columns = self._columns(path, kind, fmt)
        if columns is None:
            return
        strict = self.query_one("#strict", Checkbox).value
        date_format = str(self.query_one("#date-format", Select).value)
        log = self.query_one("#rejected", Log)
        log.clear()
        log.display = False
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.query_one("#import-views", TabbedContent).active = "import-tab"
        self._say(f"Reading {clean(path.name)}…")
        self.worker = self.run_import(path, kind, fmt, strict, date_format, columns)

    def _columns(self, path: Path, kind: str, fmt: str) -> Columns | None:
        """The columns as picked in Columns for this file, or None (refused, and said why:
        a required field without a column, two fields on one column)."""
        preview = self.preview
        if preview is None or self._previewed != (str(path), kind, fmt) or not preview.mappable:
            return Columns()  # not previewed yet: as the CLI reads it
        mapping = self.query_one("#column-mapping", ColumnMapping)
        choices = mapping.choices()
        missing = preview.missing(choices)
        try:
            if missing:
                them = "it" if len(missing) == 1 else "them"
                raise FatalImportError(
                    f"{preview.file}: no column for {', '.join(missing)}: pick {them} in Columns"
                )
            chosen = mapping_from_choices(choices)
        except FatalImportError as exc:
            refusal = f"{exc} (nothing was imported)"
            mapping.show_missing(clean(refusal))
            self.query_one("#import-views", TabbedContent).active = "columns-tab"
            self._say(clean(refusal), error=True)
            self._say_once(clean(refusal), severity="error", timeout=ERROR_TIMEOUT)
            return None
        remember = None if choices == preview.recognised else chosen
        return Columns(chosen, preview.header, remember)

    # -- importing ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="import", description="Importing")
    def run_import(
        self,
        path: Path,
        kind: str,
        fmt: str,
        strict: bool,
        date_format: str = "auto",
        columns: Columns | None = None,
    ) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise ImportStopped
            self.post_message(self.Progress(done, total))

        columns = columns or Columns()
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
                date_format=date_format, mapping=columns.mapping,
                aliases=columns.mapping is None, remembered=columns.mapping is None,
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
            if columns.header is not None:
                _remember(store, kind, columns.header, columns.remember)
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
            self._say_once(clean(message.error), severity="error", timeout=ERROR_TIMEOUT)
            return
        bar.update(total=1, progress=1)
        result = message.result
        elsewhere = self.retain_app.import_path != self.retain_app.db_path
        where = clean(
            f" into your shop {self.retain_app.import_path}: quit and start again to open it"
        )
        refit = f"\n{message.predictions}" if message.predictions else ""
        self._say(f"Imported{where if elsewhere else ''}.\n{_summary(result)}{refit}")
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
        self._say_once(
            f"Imported {clean(Path(result.file).name)}{partly}{where if elsewhere else ''}.",
            severity="warning" if partly else "information",
            timeout=20 if elsewhere else None,
        )
        self.retain_app.check_store()

    def _say(self, text: str, *, error: bool = False) -> None:
        summary = self.query_one("#import-summary", Static)
        summary.update(content(text, multiline=True))
        summary.set_class(error, "error")

    def _say_once(
        self, text: str, *, severity: SeverityLevel = "information", timeout: float | None = None
    ) -> None:
        """A notice that replaces this screen's last one: toasts never pile up over the
        result, which the screen shows anyway. `text` is shown as is (no markup)."""
        if self._notice is not None:
            self.app._unnotify(self._notice)  # Textual has no public way to take one back
        notice = Notification(
            text, severity=severity, timeout=timeout or self.app.NOTIFICATION_TIMEOUT
        )
        self._notice = notice
        self.app.post_message(Notify(notice))

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


def _remember(store: Store, kind: str, header: list[str], mapping: dict[str, str] | None) -> None:
    """Keep the owner's column choice for the next file with this header set. The orders are
    in by now: failing to remember costs only the prefill next time, never the import."""
    with suppress(StoreError, sqlite3.Error):
        remember_mapping(store, kind, header, mapping)


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
