"""The import screen's two views of a chosen file: what was detected with its first rows, and
which column each field comes from (for generic CSVs). The file is customer data: every
header and cell is shown through tui/safe_text.py, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Label, Select, Static

from core.importers.preview import FilePreview
from tui.safe_text import clean, content, plain

DATES = {"DMY": "dates day first (DMY)", "MDY": "dates month first (MDY)", "": "no dates to decide"}
NOT_READ = "not read"
LEGEND = "(* required, † at least one of them)"


def detected_text(preview: FilePreview) -> str:
    """`generic orders, utf-8-sig, semicolon-delimited`: how the import will read the file,
    in the words of the import's summary (core/importers/summary.py `layout`)."""
    name = preview.layout.name if preview.layout else preview.detected
    return f"{name} {preview.kind}, {preview.encoding}, {preview.delimiter}-delimited"


def columns_text(preview: FilePreview) -> str:
    """`4 of 5 columns read, as you chose for these columns on 2026-12-05`, or what is missing."""
    choices = preview.choices
    named = [name for name in preview.header if name]
    said = f"{len(set(choices.values()))} of {len(named)} columns read"
    if preview.remembered is not None:
        said += f", as chosen for these columns on {preview.remembered.saved_at[:10]}"
    missing = preview.missing(choices)
    if missing:
        return f"{said}; no column for {', '.join(missing)}: pick them in Columns"
    return f"{said} (Columns shows which)"


class FileView(Vertical):
    """What was detected (one line, then the dates once read), over the first rows."""

    def compose(self) -> ComposeResult:
        yield Static("", id="import-detected", markup=False)
        yield Static("", id="import-dates", markup=False)
        table: DataTable[object] = DataTable(id="preview-rows", show_cursor=False)
        table.display = False
        yield table

    def show(self, preview: FilePreview) -> None:
        said = f"Detected: {detected_text(preview)}"
        if preview.problem:
            said += f"\n{preview.problem}"
        elif preview.mappable:
            said += f"\n{columns_text(preview)}"
        self._line("#import-detected", said, error=bool(preview.problem))
        self._line("#import-dates", "dates: reading…" if preview.layout else "")
        table = self.query_one("#preview-rows", DataTable)
        table.clear(columns=True)
        for name in preview.header:
            table.add_column(plain(name, empty="(unnamed)"))
        table.add_rows([[plain(cell, empty="") for cell in row] for row in preview.rows])
        table.display = True

    def show_error(self, message: str) -> None:
        """The file cannot be read at all (missing, binary, empty): nothing to preview."""
        self._line("#import-detected", message, error=True)
        self._line("#import-dates", "")
        self.query_one("#preview-rows", DataTable).display = False

    def show_dates(self, order: str | None, problem: str | None) -> None:
        if problem is not None:
            self._line("#import-dates", problem, error=True)
        else:
            self._line("#import-dates", DATES.get(order or "", ""))

    def _line(self, selector: str, text: str, *, error: bool = False) -> None:
        line = self.query_one(selector, Static)
        line.update(content(text, multiline=True))
        line.set_class(error, "error")


class ColumnMapping(VerticalScroll):
    """A picker per field (the fields `--map` accepts; required ones marked *), prefilled
    with the remembered choice or what the column names say, and what is still missing."""

    @dataclass
    class Changed(Message):
        """The owner picked another column for `field`."""

        mapping: ColumnMapping
        field: str

        @property
        def control(self) -> ColumnMapping:
            return self.mapping

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.preview: FilePreview | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="mapping-missing", markup=False)
        yield Grid(id="mapping-grid")

    async def show(self, preview: FilePreview) -> None:
        self.preview = preview
        grid = self.query_one("#mapping-grid", Grid)
        await grid.remove_children()
        chosen = preview.choices
        names = list(dict.fromkeys(name for name in preview.header if name))
        options = [(plain(name), name) for name in names]
        widgets = []
        for field in preview.fields:
            mark = " *" if field in preview.required else " †" if field in preview.one_of else ""
            widgets.append(Label(f"{field}{mark}", classes="mapping-field", markup=False))
            value = chosen.get(field)
            widgets.append(
                Select(
                    options,
                    prompt=NOT_READ,
                    value=value if value in names else Select.NULL,
                    id=f"map-{field}",
                    compact=True,
                    classes="mapping-column",
                )
            )
        await grid.mount_all(widgets)
        self.show_missing()

    def choices(self) -> dict[str, str]:
        """{FIELD: COLUMN} as picked now."""
        picked: dict[str, str] = {}
        for select in self.query(".mapping-column").results(Select):
            if select.value is not Select.NULL and select.id:
                picked[select.id.removeprefix("map-")] = str(select.value)
        return picked

    def missing(self) -> list[str]:
        return self.preview.missing(self.choices()) if self.preview else []

    def show_missing(self, problem: str | None = None) -> None:
        """`Still missing: …`, or `problem` (two fields on one column), or that all is there."""
        missing = self.missing()
        if problem is not None:
            text, error = problem, True
        elif missing:
            text, error = f"Still missing: {', '.join(missing)}. {LEGEND}", True
        else:
            unread = self._unread()
            text = f"Every field needed has its column. {LEGEND}"
            if unread:
                text += f"\nColumns not read: {', '.join(unread)}."
            error = False
        line = self.query_one("#mapping-missing", Static)
        line.update(content(text, multiline=True))
        line.set_class(error, "error")

    def _unread(self) -> list[str]:
        used = set(self.choices().values())
        header = self.preview.header if self.preview else []
        return [clean(name) for name in header if name and name not in used]

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id and event.select.has_class("mapping-column"):
            event.stop()
            self.show_missing()
            self.post_message(self.Changed(self, event.select.id.removeprefix("map-")))
