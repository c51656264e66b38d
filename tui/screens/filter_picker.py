"""A dialog that picks one of a list, narrowed as you type: the segment and template pickers.

The filter field keeps the focus: typing narrows the list (case-insensitive substring,
accents folded: "zoe" finds "Zoë"), the arrows, PgUp/PgDn, Home and End move in the list,
Enter picks the highlighted entry, Escape clears the filter and then closes (None).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option


def folded(text: str) -> str:
    """`text` for matching: case folded, accents dropped ("Zoë" -> "zoe")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class PickItem:
    """One entry: `key` is what the dialog returns, `text` what typing matches."""

    key: str
    prompt: Content
    text: str
    group: str = ""
    """Entries of another group than the one above start after a separator."""
    disabled: bool = False


class FilterPickerScreen(ModalScreen[str | None]):
    """Subclasses compose an `Input` with id `pick-filter` and an `OptionList` with id
    `pick-list`, then call `show_items()`."""

    DEFAULT_CSS = """
    FilterPickerScreen #pick-filter {
        background: $boost;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_or_cancel", "Cancel", tooltip="Clear the filter, then close"),
        Binding("down", "move('cursor_down')", show=False, priority=True),
        Binding("up", "move('cursor_up')", show=False, priority=True),
        Binding("pagedown", "move('page_down')", show=False, priority=True),
        Binding("pageup", "move('page_up')", show=False, priority=True),
        Binding("home", "move('first')", show=False, priority=True),
        Binding("end", "move('last')", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[PickItem] = []
        self.shown: list[PickItem] = []
        """The items the filter lets through, in the list's order (tests read it)."""

    @property
    def filter_input(self) -> Input:
        return self.query_one("#pick-filter", Input)

    @property
    def option_list(self) -> OptionList:
        return self.query_one("#pick-list", OptionList)

    def show_items(self, items: list[PickItem], highlight: str | None = None) -> None:
        self.items = items
        self.option_list.can_focus = False  # the filter keeps the focus: typing narrows
        self._narrow(highlight)
        self.filter_input.focus()

    @on(Input.Changed, "#pick-filter")
    def _filter_changed(self) -> None:
        self._narrow()

    def _narrow(self, highlight: str | None = None) -> None:
        wanted = folded(self.filter_input.value.strip())
        self.shown = [item for item in self.items if wanted in folded(item.text)]
        options: list[Option | None] = []
        for index, item in enumerate(self.shown):
            if index and item.group != self.shown[index - 1].group:
                options.append(None)
            options.append(Option(item.prompt, id=item.key, disabled=item.disabled))
        option_list = self.option_list
        option_list.clear_options()
        option_list.add_options(options)
        keys = [item.key for item in self.shown if not item.disabled]
        if keys:
            option_list.highlighted = option_list.get_option_index(
                highlight if highlight in keys else keys[0]
            )

    def action_move(self, how: str) -> None:
        getattr(self.option_list, f"action_{how}")()

    @on(Input.Submitted, "#pick-filter")
    def _submitted(self) -> None:
        option_list = self.option_list
        if option_list.highlighted is not None:
            option = option_list.get_option_at_index(option_list.highlighted)
            if not option.disabled:
                self.dismiss(option.id)

    @on(OptionList.OptionSelected, "#pick-list")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_clear_or_cancel(self) -> None:
        if self.filter_input.value:
            self.filter_input.value = ""
        else:
            self.dismiss(None)
