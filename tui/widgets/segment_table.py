"""The segments as a table: name, kind, sizes, and the definition when the terminal is wide.

Enter asks for the highlighted segment's customers (the key shows in the footer). The
definition column appears only when it gets at least `MIN_DEFINITION` cells; the detail
panel under the table always shows it in full.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from core.segments import SegmentInfo
from tui import display
from tui.safe_text import EMPTY, plain

KIND_TITLES = {"rfm": "RFM", "behaviour": "built-in", "custom": "yours"}
MIN_DEFINITION = 16
_SCROLLBAR = 2
# (key, title, width, right-aligned); the definition column takes what is left.
_COLUMNS: list[tuple[str, str, int, bool]] = [
    ("name", "Segment", 24, False),
    ("kind", "Kind", 8, False),
    ("count", "Customers", 9, True),
    ("share", "Share", 6, True),
    ("marketing", "Marketing", 9, True),
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
        self._definition_width: int | None = -1

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

    def _wanted_definition_width(self) -> int | None:
        fixed = sum(width for _key, _title, width, _right in _COLUMNS)
        padding = 2 * self.cell_padding * (len(_COLUMNS) + 1)
        spare = self.size.width - _SCROLLBAR - fixed - padding
        return spare if spare >= MIN_DEFINITION else None

    def _rebuild(self) -> None:
        row = self.cursor_row
        width = self._wanted_definition_width()
        new_columns = width != self._definition_width
        self.clear(columns=new_columns)
        if new_columns:
            self._definition_width = width
            for key, title, column_width, right in _COLUMNS:
                label = Text(title, justify="right" if right else "left")
                self.add_column(label, width=column_width, key=key)
            if width is not None:
                self.add_column("Definition", width=width, key="definition")
        for info in self.segments:
            self.add_row(*self._cells(info), key=info.name)
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
        if self._definition_width is not None:
            cells.append(plain(info.definition, style="dim"))
        return cells

    def on_resize(self, event: events.Resize) -> None:
        if self._wanted_definition_width() != self._definition_width:
            self._rebuild()
