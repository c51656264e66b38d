"""`t` on the compose screen: the templates, narrowed as you type (by name and kind).

Returns the chosen template's name, or None on Escape; the compose screen's Select then shows
it (the Select still opens with the mouse or Enter when focused).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static

from core.compose import TemplateInfo
from tui.safe_text import clean, content
from tui.screens.filter_picker import FilterPickerScreen, PickItem

NAME_WIDTH = 28
LINE_WIDTH = 66
"""What fits in the dialog at 80 columns: each template on one line."""


def template_item(info: TemplateInfo) -> PickItem:
    """'win-back (marketing)         A discount to win back…', matched on name and kind."""
    name = clean(f"{info.name} ({info.kind})")
    line = f"{name:<{NAME_WIDTH}} {clean(info.description)}"
    if len(line) > LINE_WIDTH:
        line = line[: LINE_WIDTH - 1] + "…"
    return PickItem(info.name, content(line), name, group=info.source)


class TemplatePickerScreen(FilterPickerScreen):
    DEFAULT_CSS = """
    TemplatePickerScreen {
        align: center middle;
    }
    #template-picker {
        width: 76;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    #template-picker-title {
        height: 1;
    }
    #pick-filter {
        margin: 1 0;
    }
    #pick-list {
        height: auto;
        max-height: 20;
    }
    """

    def __init__(self, templates: Iterable[TemplateInfo], current: str | None) -> None:
        super().__init__()
        self.templates = list(templates)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="template-picker"):
            yield Static(content("Choose the template", style="bold"), id="template-picker-title")
            yield Input(placeholder="type to narrow the list", id="pick-filter", compact=True)
            yield OptionList(id="pick-list")

    def on_mount(self) -> None:
        self.show_items([template_item(info) for info in self.templates], self.current)
