"""The segments as a table: name, kind, sizes, and the definition when the terminal is wide.

Enter asks for the highlighted segment's customers (the key shows in the footer). Widths
come from the names and numbers shown and the terminal's width (tui/column_fit.py): names
are whole whenever they fit (every built-in name from 80 columns, an owner's 60-character
name from 120), cut with an ellipsis to `MIN_NAME` cells at worst. The definition column
appears only when every name is whole and it gets at least `MIN_DEFINITION` cells; the
detail panel under the table always shows it in full.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from core.segments import SegmentInfo
from tui import display
from tui.column_fit import ColumnWant, fit_columns
from tui.safe_text import EMPTY, plain

KIND_TITLES = {"rfm": "RFM", "behaviour": "built-in", "custom": "yours"}
MIN_DEFINITION = 16
MIN_NAME = 20
"""Every built-in segment name fits ("Potential Loyalists"); an owner's may be cut to it."""
_SCROLLBAR = 2
# (key, title, right-aligned); the definition column takes what is left.
_COLUMNS: list[tuple[str, str, bool]] = [
    ("name", "Segment", False),
    ("kind", "Kind", False),
    ("count", "Customers", True),
    ("share", "Share", True),
    ("marketing", "Marketing", True),
    ("definition", "Definition", False),
]


def kind_title(kind: str) -> str:
    return KIND_TITLES.get(kind, kind)


class SegmentTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", tooltip="Open the segment's customers"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.segments: list[SegmentInfo] = []
        self._widths: dict[str, int] = {}

    @property
    def current(self) -> SegmentInfo | None:
        """The segment under the cursor."""
        row = self.cursor_row
        return self.segments[row] if 0 <= row < len(self.segments) else None

    def show(self, segments: list[SegmentInfo], keep: str | None = None) -> None:
        """Show `segments`, with the cursor on the one named `keep` (else the first)."""
        self.segments = segments
        self._rebuild()
        names = [info.name.casefold() for info in segments]
        if keep and keep.casefold() in names:
            self.move_cursor(row=names.index(keep.casefold()), animate=False)

    def select_name(self, name: str) -> bool:
        """Put the cursor on the segment `name` if it is listed."""
        names = [info.name.casefold() for info in self.segments]
        if name.casefold() not in names:
            return False
        self.move_cursor(row=names.index(name.casefold()), animate=False)
        return True

    def layout(self) -> dict[str, int]:
        """The columns shown at the table's width, and their widths (tui/column_fit.py)."""
        widest: dict[str, int] = {}
        for info in self.segments:
            for key, cell in zip((key for key, *_ in _COLUMNS), self._cells(info), strict=True):
                widest[key] = max(widest.get(key, 0), cell.cell_len)
        wants = [
            ColumnWant(
                key,
                title=cell_len(title),
                content=widest.get(key, 0),
                minimum={"name": MIN_NAME, "definition": MIN_DEFINITION}.get(key, 0),
                flexible=key in ("name", "definition"),
                required=key != "definition",
                give_way=1,
            )
            for key, title, _right in _COLUMNS
        ]
        available = self.size.width - _SCROLLBAR
        widths = fit_columns(available, wants, padding=2 * self.cell_padding)
        if "definition" in widths and widths["name"] < wants[0].natural:
            # The detail panel shows the definition whole: names come first.
            widths = fit_columns(available, wants[:-1], padding=2 * self.cell_padding)
        return widths

    def _rebuild(self) -> None:
        row = self.cursor_row
        widths = self.layout()
        new_columns = widths != self._widths
        self.clear(columns=new_columns)
        if new_columns:
            self._widths = widths
            for key, title, right in _COLUMNS:
                if key in widths:
                    label = Text(title, justify="right" if right else "left")
                    self.add_column(label, width=widths[key], key=key)
        for info in self.segments:
            cells = self._cells(info)
            self.add_row(*cells[: len(self._widths)], key=info.name)
        if self.segments:
            self.move_cursor(row=min(row, len(self.segments) - 1), animate=False)

    def _cells(self, info: SegmentInfo) -> list[Text]:
        broken = info.error is not None
        style = "dim" if info.count == 0 and not broken else ""
        cells = [
            plain(("⚠ " if broken else "") + info.name, style="bold red" if broken else style),
            plain(kind_title(info.kind), style="dim"),
            plain(EMPTY if broken else display.count(info.count), justify="right", style=style),
            plain(EMPTY if broken else f"{info.share:.1f}%", justify="right", style=style),
            plain(
                display.count(info.marketing_count) if info.marketing and not broken else EMPTY,
                justify="right",
                style=style,
            ),
        ]
        cells.append(plain(info.definition, style="dim"))
        return cells

    def on_resize(self, event: events.Resize) -> None:
        if self.layout() != self._widths:
            self._rebuild()
