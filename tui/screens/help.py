"""`?` or F1: the keys of the screen underneath, read from its live bindings."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from tui.own_keys import own_bindings
from tui.safe_text import content, plain
from tui.screens.base import RetainScreen
from tui.widgets.footer import RetainFooter

PALETTE_HINT = "ctrl+p opens the command palette: every action here, and every screen by name."
MOVING_HINT = "Arrows, PgUp/PgDn, Home/End move in a list; Tab moves to the next part."


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help", key_display="esc"),
        # A modal screen hides the app's keys from the footer: Quit is said here again.
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under
        self.rows = self._binding_rows(under)

    @staticmethod
    def _binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
        """(keys, what it does, where it applies) for each of the app's own keys (see
        tui/own_keys.py), this screen's first, in the app's own words."""
        app = screen.app
        by_action: dict[tuple[int, str], tuple[list[str], str, str]] = {}
        for active in screen.active_bindings.values():
            binding, node = active.binding, active.node
            own = own_bindings(node).get(binding.action)
            if own is None or not own.description or binding.system:
                continue
            place = "everywhere" if node is app else "this screen" if node is screen else "focused"
            entry = by_action.setdefault(
                (id(node), binding.action), ([], own.tooltip or own.description, place)
            )
            key = app.get_key_display(binding)
            if key not in entry[0]:
                entry[0].append(key)
        order = {"this screen": 0, "focused": 1, "everywhere": 2}
        rows = [(" ".join(keys), text, place) for keys, text, place in by_action.values()]
        return sorted(rows, key=lambda row: order[row[2]])

    def compose(self) -> ComposeResult:
        title = getattr(self.under, "TITLE_TEXT", "") or "retain-tui"
        purpose = getattr(self.under, "PURPOSE", "")
        with Vertical(id="help"):
            yield Static(content(f"Keys: {title}", style="bold"), id="help-title")
            if purpose:
                yield Static(content(purpose), id="help-purpose")
            if isinstance(self.under, RetainScreen) and (lines := self.under.help_lines()):
                yield Static(content("\n".join(lines), multiline=True), id="help-note")
            yield DataTable(id="help-keys", cursor_type="row", show_cursor=False)
            yield Static(content(f"{MOVING_HINT}\n{PALETTE_HINT}", multiline=True), id="help-hint")
        yield RetainFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Key", key="key", width=12)
        table.add_column("Does", key="does", width=43)
        table.add_column("Where", key="where", width=11)
        for keys, text, place in self.rows:
            table.add_row(plain(keys, style="bold"), plain(text), plain(place, style="dim"))
        self.set_focus(table)
