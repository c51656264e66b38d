"""The recipients of a draft run, at most `WINDOW` rows in the widget at a time.

A segment can hold 200,000 customers: the whole list stays in memory (a few small objects
each) but the table only ever holds the window around the cursor. Moving past either end of
the window, or jumping with n/p, Home/End or Page keys, re-centres the window, so the cursor
walks the whole list as if every row were there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from core.compose import Recipient
from tui.safe_text import plain

WINDOW = 200
STATUS_WIDTH = 12
_SCROLLBAR = 2


def who(recipient: Recipient) -> str:
    """The name if there is one, else the address, else the customer's number."""
    return recipient.name or recipient.email or f"customer {recipient.customer_id}"


# What fits the status column; the preview states the whole reason (core.compose.REASONS).
SHORT_REASONS: dict[str, str] = {
    "unknown": "unknown",
    "no_email": "no email",
    "bad_email": "bad email",
    "no_consent": "no consent",
    "suppressed": "suppressed",
    "duplicate": "duplicate",
    "no_order": "no order",
    "ordered_recently": "too recent",
    "order_too_old": "too long ago",
    "no_recommendations": "bought all",
    "contacted_recently": "contacted",
    "not_enough_points": "few points",
    "nps_answer": "other answer",
}


def status(recipient: Recipient) -> str:
    """`de` for a draft in German, or the reason in a few words (`no consent`)."""
    if recipient.included:
        return recipient.language or ""
    reason = recipient.reason or ""
    return SHORT_REASONS.get(reason, reason.replace("_", " "))


def _cells(recipient: Recipient) -> tuple[Text, Text]:
    style = "" if recipient.included else "dim"
    return plain(who(recipient), style=style), plain(status(recipient), style=style)


class RecipientTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,ctrl+home", "first", "First", show=False, tooltip="First recipient"),
        Binding("end,ctrl+end", "last", "Last", show=False, tooltip="Last recipient"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.recipients: Sequence[Recipient] = []
        self.start = 0
        """List position of the window's first row."""
        self._columns_for = -1

    def _who_width(self) -> int:
        spare = self.size.width - STATUS_WIDTH - 4 * self.cell_padding - _SCROLLBAR
        return max(spare, 8)

    def on_resize(self, event: events.Resize) -> None:
        if self._who_width() != self._columns_for:
            self._place(self.index)

    @property
    def index(self) -> int:
        """List position of the recipient under the cursor (0 when the list is empty)."""
        return self.start + self.cursor_row if self.recipients else 0

    @property
    def current(self) -> Recipient | None:
        if not self.recipients:
            return None
        return self.recipients[min(self.index, len(self.recipients) - 1)]

    def show(self, recipients: Sequence[Recipient], index: int = 0) -> None:
        """Show another list, with the cursor on position `index`."""
        self.recipients = recipients
        self._place(index)

    def restate(self, recipients: Sequence[Recipient]) -> None:
        """The same people in the same order, some now left out: redraw the rows in the
        window, leaving the cursor (and so the preview) where it is."""
        if len(recipients) != len(self.recipients):
            raise ValueError("restate() needs the same recipients, in the same order")
        self.recipients = recipients
        for row, recipient in enumerate(recipients[self.start : self.start + self.row_count]):
            for column, cell in enumerate(_cells(recipient)):
                self.update_cell_at(Coordinate(row, column), cell)

    def move_to(self, index: int) -> None:
        """Put the cursor on list position `index` (clamped), moving the window if needed."""
        if not self.recipients:
            return
        index = max(0, min(index, len(self.recipients) - 1))
        if self.start <= index < self.start + self.row_count:
            self.move_cursor(row=index - self.start, animate=False)
        else:
            self._place(index)

    def _place(self, index: int) -> None:
        total = len(self.recipients)
        index = max(0, min(index, total - 1)) if total else 0
        self.start = max(0, min(index - WINDOW // 2, total - WINDOW))
        width = self._who_width()
        self.clear(columns=width != self._columns_for)
        if width != self._columns_for:
            self._columns_for = width
            self.add_column("Recipient", key="who", width=width)
            self.add_column("Draft", key="status", width=STATUS_WIDTH)
        for recipient in self.recipients[self.start : self.start + WINDOW]:
            self.add_row(*_cells(recipient))
        if total:
            self.move_cursor(row=index - self.start, animate=False)

    # -- moving past the window's edges -------------------------------------------------------

    def action_cursor_down(self) -> None:
        if self.cursor_row >= self.row_count - 1:
            self.move_to(self.index + 1)
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.move_to(self.index - 1)
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        self.move_to(self.index + max(self.scrollable_content_region.height - 1, 1))

    def action_page_up(self) -> None:
        self.move_to(self.index - max(self.scrollable_content_region.height - 1, 1))

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self.recipients) - 1)
