"""Small modal dialogs: a yes/no confirmation and a pick-one list."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tui.safe_text import content


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something that matters; `y`/Enter confirms, `n`/Escape declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(content(self.question), id="question")
            with Horizontal(id="dialog-buttons"):
                yield Button(content(f"{self.yes} (y)"), variant="primary", id="yes")
                yield Button(content(f"{self.no} (n)"), id="no")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#yes", Button))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class PickScreen(ModalScreen[int | None]):
    """Choose one of `labels`; returns its index, or None on Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, labels: list[str]) -> None:
        super().__init__()
        self.heading, self.labels = title, labels

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(content(self.heading), id="question")
            yield OptionList(*(Option(content(label)) for label in self.labels), id="choices")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_cancel(self) -> None:
        self.dismiss(None)
