"""Add a flow of the owner's own: a name, a trigger, a template, a delay and a discount.

The trigger is read as you type (`parse_trigger`, no database) and said back in words, so a
typo shows before saving. Saving checks everything again in core (`add_flow`, through the
app's writer): what it refuses (a taken name, a segment or template that does not exist, a
bad discount) is shown under the form, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Header, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from core.compose.templates import list_templates
from core.flows import TRIGGER_FORMS, Flow, FlowError, Trigger, add_flow, parse_trigger
from tui.flow_words import days, event_words
from tui.safe_text import clean, content
from tui.screens.base import RetainScreen
from tui.screens.dialogs import ConfirmScreen
from tui.widgets.footer import RetainFooter

NO_TEMPLATE = ""


class FlowFormScreen(RetainScreen):
    SCREEN_NAME = "flow-form"
    TITLE_TEXT = "New flow"
    CSS_PATH = "flows.tcss"
    PURPOSE = "A flow of your own: whom it emails (the trigger), when, and with which template."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Add the flow (it starts off)"),
        Binding("escape", "cancel", "Cancel", tooltip="Back without saving (asks if changed)"),
    ]

    @dataclass
    class TemplatesRead(Message):
        names: list[str]

    @dataclass
    class Saved(Message):
        flow: Flow

    @dataclass
    class Refused(Message):
        reason: str

    def __init__(self) -> None:
        super().__init__()
        self._saving = False
        self.refusals = 0
        """How many refusals were shown: lets tests wait for the one after saving."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="flow-form"):
            yield Label("Name")
            yield Input(
                placeholder="e.g. vip-thanks",
                id="flow-name",
                max_length=60,
                compact=True,
            )
            yield Label("Trigger")
            yield Input(placeholder=TRIGGER_FORMS, id="flow-trigger", compact=True)
            yield Static("", id="trigger-words", markup=False)
            with Horizontal(id="flow-options"):
                with Vertical(id="flow-template-box"):
                    yield Label("Template")
                    yield Select[str](
                        [("reading templates…", NO_TEMPLATE)],
                        value=NO_TEMPLATE,
                        allow_blank=False,
                        id="flow-template",
                        compact=True,
                    )
                with Vertical(id="flow-delay-box"):
                    yield Label("Delay (days)")
                    yield Input("0", type="integer", max_length=4, id="flow-delay", compact=True)
                with Vertical(id="flow-discount-box"):
                    yield Label("Discount")
                    yield Input(placeholder="10% or 5EUR; empty: none", id="flow-discount",
                                compact=True)  # fmt: skip
            yield Static("", id="flow-problem", markup=False)
            yield Static(
                content(
                    "A new flow starts off: Enter on the list turns it on, from the store's "
                    "as-of date (no backlog). Flows run from cron: ? on the list shows the line."
                ),
                id="flow-reference",
            )
        yield RetainFooter()

    def on_mount(self) -> None:
        self.query_one("#flow-name", Input).focus()
        self._show_trigger("")
        self.read_templates()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="flow-templates",
        description="Reading the templates",
    )
    def read_templates(self) -> None:
        names = [info.name for info in list_templates() if info.available]
        self.post_message(self.TemplatesRead(names))

    def on_flow_form_screen_templates_read(self, message: FlowFormScreen.TemplatesRead) -> None:
        select = self.query_one("#flow-template", Select)
        if not message.names:
            self._show_problem("No template can be used: see `retain-tui templates`.")
            return
        select.set_options([(name, name) for name in message.names])

    # -- reading what was typed ---------------------------------------------------------------

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    @on(Input.Changed, "#flow-trigger")
    @on(Input.Changed, "#flow-delay")
    def _trigger_changed(self) -> None:
        self._show_trigger(self._value("#flow-trigger"))

    def _show_trigger(self, text: str) -> None:
        words = self.query_one("#trigger-words", Static)
        if not text.strip():
            words.update(content(f"Forms: {TRIGGER_FORMS}."))
            words.set_class(False, "problem")
            return
        try:
            trigger = parse_trigger(text)
        except FlowError as exc:
            words.update(content(str(exc)))
            words.set_class(True, "problem")
            return
        delay = self._delay()
        when = f"{days(delay)} after" if delay else "on"
        words.update(content(f"✓ Emails each customer {when} {event_words(trigger)}."))
        words.set_class(False, "problem")

    def _delay(self) -> int:
        """The delay as typed; 0 while empty (a `-` alone too: core refuses negative delays)."""
        try:
            return int(self._value("#flow-delay"))
        except ValueError:
            return 0

    def _show_problem(self, problem: str) -> None:
        self.query_one("#flow-problem", Static).update(content(problem))

    # -- saving -------------------------------------------------------------------------------

    @on(Input.Submitted, "#flow-name, #flow-trigger")
    def _next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#flow-delay, #flow-discount")
    def action_save(self) -> None:
        if self._saving:
            return
        template = self.query_one("#flow-template", Select).value
        try:
            trigger = parse_trigger(self._value("#flow-trigger"))
        except FlowError as exc:
            self.on_flow_form_screen_refused(self.Refused(str(exc)))
            return
        self._saving = True
        self._show_problem("")
        self.save_flow(
            self._value("#flow-name"),
            trigger,
            str(template) if template not in (NO_TEMPLATE, Select.NULL) else "",
            self._delay(),
            self._value("#flow-discount").strip() or None,
        )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="flow-write",
        description="Adding the flow",
    )
    def save_flow(
        self, name: str, trigger: Trigger, template: str, delay_days: int, discount: str | None
    ) -> None:
        try:
            with self.retain_app.writing() as store:
                flow = add_flow(
                    store, name, trigger, template, delay_days=delay_days, discount=discount
                )
        except FlowError as exc:
            self.post_message(self.Refused(str(exc)))
        else:
            self.post_message(self.Saved(flow))

    @on(Worker.StateChanged)
    def _allow_saving_after_a_failure(self, event: Worker.StateChanged) -> None:
        # RetainScreen turns the failure itself into a notice.
        if event.worker.group == "flow-write" and event.state is WorkerState.ERROR:
            self._saving = False

    def on_flow_form_screen_refused(self, message: FlowFormScreen.Refused) -> None:
        self._saving = False
        self._show_problem(message.reason)
        self.refusals += 1
        self.notify(f"Not added: {clean(message.reason)}", severity="error", markup=False)

    def on_flow_form_screen_saved(self, message: FlowFormScreen.Saved) -> None:
        self.notify(
            f"Added your flow {clean(message.flow.name)}; it is off until you turn it on.",
            markup=False,
        )
        self.retain_app.check_store()
        self.dismiss(message.flow.name)  # type: ignore[arg-type]

    # -- leaving ------------------------------------------------------------------------------

    @property
    def changed(self) -> bool:
        typed = ("#flow-name", "#flow-trigger", "#flow-discount")
        return any(self._value(selector).strip() for selector in typed)

    @work(exclusive=True, group="flow-cancel")
    async def action_cancel(self) -> None:
        if self.changed:
            question = "Leave without saving? What you typed is lost."
            if not await self.app.push_screen_wait(ConfirmScreen(question, "Leave", "Stay")):
                return
        self.dismiss(None)
