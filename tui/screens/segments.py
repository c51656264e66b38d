"""Every segment with its size: open one's customers, write to it, or make and change your own.

Sizing every segment scans the customers once (about a second at a million orders), so the
list is read in a worker and kept on screen while it is re-read. Built-in segments (RFM rows
and the behaviour segments) are fixed: only the owner's own can be edited or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from core.customer_pages import ListQuery, Restriction
from core.segment_catalog import CUSTOM
from core.segments import (
    SegmentError,
    SegmentInfo,
    list_segments,
    remove_segment,
)
from tui.safe_text import EMPTY, clean, content
from tui.screens.base import RetainScreen
from tui.screens.dialogs import ConfirmScreen
from tui.widgets.footer import RetainFooter
from tui.widgets.segment_table import SegmentTable, kind_title


class SegmentsScreen(RetainScreen):
    SCREEN_NAME = "segments"
    TITLE_TEXT = "Segments"
    CSS_PATH = "segments.tcss"
    PURPOSE = "Every segment with its size; open its customers, email it, or make your own."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", tooltip="Make a segment of your own from a filter"),
        Binding("e", "edit", "Edit", tooltip="Change the filter of your own segment"),
        Binding("d", "delete", "Delete", tooltip="Delete your own segment (asks first)"),
        Binding("c", "compose", "Email", tooltip="Write email drafts to the segment"),
    ]

    @dataclass
    class Loaded(Message):
        segments: list[SegmentInfo]

    @dataclass
    class MembersRead(Message):
        restriction: Restriction

    @dataclass
    class Deleted(Message):
        name: str
        error: str | None = None

    def __init__(self, *, today: date | None = None) -> None:
        """`today`: the day drafts are written on (default: the real today). Segments are
        as of the latest order, as everywhere in the app."""
        super().__init__()
        self.today = today
        self.loads = 0
        """How many lists were shown: lets tests and benchmarks wait for a fresh one."""
        self._select_name: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield SegmentTable(id="segments")
        yield Static("", id="segment-detail", markup=False)
        yield Static("Reading segments…", id="segments-status", markup=False)
        yield RetainFooter()

    @property
    def table(self) -> SegmentTable:
        return self.query_one(SegmentTable)

    @property
    def segments(self) -> list[SegmentInfo]:
        return self.table.segments

    @property
    def current(self) -> SegmentInfo | None:
        """The segment under the cursor."""
        return self.table.current

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    def reload(self) -> None:
        self.load_segments()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="segments",
        description="Reading the segments",
    )
    def load_segments(self) -> None:
        with self.retain_app.pool.borrow() as store:
            segments = list_segments(store)
        self.post_message(self.Loaded(segments))

    # -- showing ------------------------------------------------------------------------------

    def on_segments_screen_loaded(self, message: SegmentsScreen.Loaded) -> None:
        keep = self._select_name or (self.current.name if self.current else None)
        self._select_name = None
        self.table.show(message.segments, keep)
        segments = message.segments
        as_of = segments[0].as_of if segments else EMPTY
        self.query_one("#segments-status", Static).update(
            content(f"{len(segments)} segments as of {as_of} · Marketing: members with consent")
        )
        self._show_detail()
        self.loads += 1

    @on(DataTable.RowHighlighted, "#segments")
    def _show_detail(self) -> None:
        info = self.current
        detail = self.query_one("#segment-detail", Static)
        if info is None:
            detail.update("No segments.")
            return
        kind = kind_title(info.kind)
        lines = [
            Content.assemble(
                content(info.name, style="bold"), content(f" · {kind} · {info.definition}")
            ),
            content(info.description, style="dim"),
        ]
        if info.error:
            lines.append(content(f"Cannot be used: {info.error}", style="red"))
        elif not info.marketing:
            lines.append(content("Not a marketing audience: transactional email only."))
        if info.kind == CUSTOM:
            lines.append(content("Your own segment: e edits it, d deletes it.", style="dim"))
        else:
            lines.append(content("Built in: it cannot be edited or deleted.", style="dim"))
        detail.update(Content("\n").join(lines))

    # -- opening ------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#segments")
    def _open_segment(self) -> None:
        info = self._usable("open")
        if info is not None:
            self.read_members(info)

    def _usable(self, doing: str) -> SegmentInfo | None:
        """The segment under the cursor if it can be used; else a notice saying why not."""
        info = self.current
        if info is None:
            return None
        if info.error:
            self.notify(
                f"Cannot {doing} {clean(info.name)}: {clean(info.error)}",
                severity="error",
                markup=False,
            )
            return None
        return info

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="segment-members",
        description="Reading the segment's customers",
    )
    def read_members(self, info: SegmentInfo) -> None:
        with self.retain_app.pool.borrow() as store:
            restriction = self.retain_app.segments.restriction(store, info.name)
        self.post_message(self.MembersRead(restriction))

    def on_segments_screen_members_read(self, message: SegmentsScreen.MembersRead) -> None:
        from tui.screens.customers import CustomersScreen

        self.app.push_screen(CustomersScreen(ListQuery(restriction=message.restriction)))

    def action_compose(self) -> None:
        from tui.screens.compose import Audience, ComposeScreen

        info = self._usable("email")
        if info is not None:
            audience = Audience(f"segment {info.name}", segment=info.name)
            self.app.push_screen(ComposeScreen(audience, today=self.today))

    # -- the owner's own segments -------------------------------------------------------------

    def action_new(self) -> None:
        from tui.screens.segment_form import SegmentFormScreen

        self.app.push_screen(SegmentFormScreen(), callback=self._form_closed)

    def _own(self, doing: str) -> SegmentInfo | None:
        """The segment under the cursor if it is the owner's own; else say why not."""
        info = self.current
        if info is None:
            return None
        if info.kind != CUSTOM:
            kind = kind_title(info.kind)
            self.notify(
                f"{clean(info.name)} is a {kind} segment: it cannot be {doing}. "
                "Press n to make your own.",
                severity="warning",
                markup=False,
            )
            return None
        return info

    def action_edit(self) -> None:
        from tui.screens.segment_form import SegmentFormScreen

        info = self._own("edited")
        if info is not None:
            form = SegmentFormScreen(info)
            self.app.push_screen(form, callback=self._form_closed)

    def _form_closed(self, saved: str | None) -> None:
        """Put the cursor on the saved segment, now or when the list read after saving arrives."""
        if not saved:
            return
        self._select_name = saved
        self.table.select_name(saved)

    @work(exclusive=True, group="segment-delete")
    async def action_delete(self) -> None:
        info = self._own("deleted")
        if info is None:
            return
        question = f"Delete your segment “{clean(info.name)}”? Its filter is lost."
        if await self.app.push_screen_wait(ConfirmScreen(question, "Delete", "Keep")):
            self.delete_segment(info.name)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="segment-write",
        description="Deleting the segment",
    )
    def delete_segment(self, name: str) -> None:
        try:
            with self.retain_app.writing() as store:
                removed = remove_segment(store, name)
        except SegmentError as exc:
            self.post_message(self.Deleted(name, str(exc)))
        else:
            self.post_message(self.Deleted(removed))

    def on_segments_screen_deleted(self, message: SegmentsScreen.Deleted) -> None:
        if message.error:
            self.notify(clean(message.error), severity="error", timeout=10, markup=False)
            return
        self.notify(f"Deleted your segment {clean(message.name)}.", markup=False)
        if not self.retain_app.check_store():
            self.reload()
