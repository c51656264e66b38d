"""Email drafts for a segment or one customer: template, language, discount, preview, export.

Three Composers, each on a connection of its own, so that none waits for another: previews
(`DraftPreviewer`, compose_previewer.py: warmed once the first preview shows, a millisecond
or two each after that), who gets a draft (`RecipientPlanner`, compose_planner.py: the first
`FIRST_ROWS` recipients at once, "up to" until those with nothing to recommend are found;
on opening, the template that drafts the most of the audience), and the export
(export_drafts.py): one Composer must not preview and export at once.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Label, Select, Static
from textual.worker import get_current_worker

from core.compose import (
    ComposeError,
    Discount,
    Recipient,
    TemplateFit,
    TemplateInfo,
    parse_discount,
)
from core.segments import SegmentError, segment_customer_ids
from tui.safe_text import clean, content
from tui.screens import compose_text
from tui.screens.base import RetainScreen
from tui.screens.compose_plan import VIEWS, Audience, Choice, Plan, View
from tui.screens.compose_planner import RecipientPlanner
from tui.screens.compose_previewer import DraftPreviewer, Preview
from tui.screens.compose_text import app_words, preview_head, summary_line
from tui.widgets.footer import RetainFooter
from tui.widgets.recipient_table import WINDOW, RecipientTable, who

AUTO = "auto"
FIRST_ROWS = WINDOW
"""Recipients shown (and the first previewed) before the rest of a large list is read."""
DISCOUNT_DEBOUNCE = 0.15
DEFAULT_VALID_DAYS = 30


class ComposeScreen(RetainScreen):
    SCREEN_NAME = "compose"
    TITLE_TEXT = "Compose"
    CSS_PATH = "compose.tcss"
    PURPOSE = "Email drafts: choose template, language and discount, preview each, export."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "n,right_square_bracket",
            "step(1)",
            "Next",
            tooltip="Preview the next recipient",
        ),
        Binding(
            "p,left_square_bracket",
            "step(-1)",
            "Previous",
            tooltip="Preview the previous one",
            show=False,  # n stands for both in the footer (see `yield Footer`)
        ),
        Binding("v", "next_view", "Show", tooltip="List all, only those left out, or drafted"),
        Binding("x", "export", "Export", tooltip="Write the drafts as eml, mbox or csv"),
        Binding("t", "pick_template", "Template", tooltip="Choose the template (type to narrow)"),
        Binding("l", "focus_option('#language')", "Language", tooltip="Choose the language"),
        Binding("d", "focus_option('#discount')", "Discount", tooltip="Attach a discount"),
        Binding("escape", "back", "Back", tooltip="Leave the options, then go back"),
    ]

    @dataclass
    class Prepared(Message):
        templates: list[TemplateInfo]
        customer_ids: list[int]
        currency: str

    @dataclass
    class Unavailable(Message):
        reason: str

    @dataclass
    class Fitted(Message):
        """The template that drafts the most of the audience (None: none can be used)."""

        fit: TemplateFit | None

    @dataclass
    class Planned(Message):
        plan: Plan

    @dataclass
    class Checked(Message):
        """`plan` is `of` with those who have nothing to recommend left out."""

        plan: Plan
        of: Plan

    @dataclass
    class Previewed(Message):
        preview: Preview

    def __init__(
        self,
        audience: Audience,
        *,
        today: date | None = None,
        templates_dir: Path | None = None,
    ) -> None:
        """`today`: the drafts' date (default: the real today); `templates_dir`: the owner's
        templates folder (default: the one in the data folder). A segment's members are
        read as of its latest order, as the segments screen sizes them."""
        super().__init__()
        self.audience = audience
        self.today = today
        self.templates_dir = templates_dir
        self.sub_title = clean(audience.label)
        self.previewer = DraftPreviewer()
        self.planner = RecipientPlanner()
        """Decides who gets a draft, on a connection of its own (see the module docstring)."""
        self.templates: dict[str, TemplateInfo] = {}
        self.customer_ids: list[int] = []
        self.currency = "EUR"
        self.plan: Plan | None = None
        self._planned_for: tuple[str, str | None] | None = None
        """The template and language of the plan shown or being read: the same choice made
        again (a late Select.Changed, the discount's debounce) is not planned twice."""
        self.view: View = "all"
        self.discount: Discount | None = None
        self.discount_error: str | None = None
        self.preview_seconds: float | None = None
        """How long the last preview took to render (for the speed check)."""
        self.previews = 0
        """How many previews were shown: lets tests wait for the one they asked for."""
        self._discount_timer: Timer | None = None
        self._fitting = False
        """The best-fitting template is being counted; the owner has not chosen one yet."""
        self.fit: TemplateFit | None = None
        """The template the screen opened on, with how many of the audience it drafts."""
        self._options_posted_at = math.inf
        """When the templates were read, on the messages' clock: a Select.Changed posted
        before is a placeholder announced on mount, which may arrive after the real options
        (it must neither plan the first template nor cancel the best fit)."""

    def compose(self) -> ComposeResult:
        yield Header()
        # The summary is above the options: their dropdowns open downwards, over the list.
        yield Static("Reading the recipients…", id="recipient-summary", markup=False)
        with Horizontal(id="compose-options"):
            yield Select[str](
                [("reading templates…", "")],
                value="",
                allow_blank=False,
                id="template",
                compact=True,
            )
            yield Select[str](
                [(AUTO, AUTO)], value=AUTO, allow_blank=False, id="language", compact=True
            )
            yield Input(placeholder="discount: 10% or 5EUR", id="discount", compact=True)
            yield Input(
                str(DEFAULT_VALID_DAYS),
                type="integer",
                max_length=3,
                id="valid-days",
                compact=True,
                tooltip="How many days the discount code is valid",
            )
            yield Label("days", id="valid-days-label")
        yield Static("", id="compose-problem", markup=False)
        with Horizontal(id="compose-body"):
            yield RecipientTable(id="recipients")
            with VerticalScroll(id="preview"):
                yield Static("", id="preview-head", markup=False)
                yield Static("", id="preview-body", markup=False)
        yield RetainFooter()

    @property
    def table(self) -> RecipientTable:
        return self.query_one(RecipientTable)

    def on_mount(self) -> None:
        self.query_one("#compose-problem", Static).display = False
        self.table.focus()
        self.prepare()

    def on_unmount(self) -> None:
        """Close the composer's connection once no worker uses it, without waiting here."""
        self.planner.stop_check()
        threading.Thread(target=self._close_store, name="compose-close", daemon=True).start()

    def _close_store(self) -> None:
        self.previewer.close()
        self.planner.close()

    def reload(self) -> None:
        """The store changed: read the audience, settings and templates again, then re-plan."""
        if self.previewer.composer is not None:
            self.planner.stop_check()  # its answer is for the old data
            self._planned_for = None
            self.prepare()

    # -- opening ------------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="compose-prepare",
        description="Preparing the drafts",
    )
    def prepare(self) -> None:
        """Open the composers (or refresh them) and read the audience. The first preview
        compiles what it needs; `warm_templates` compiles the rest after it."""
        with self.planner.lock:
            self.planner.open(self.retain_app.db_path, self.templates_dir, self.today)
        previewer = self.previewer
        with previewer.lock:
            if not previewer.open(self.retain_app.db_path, self.templates_dir, self.today):
                return  # the screen closed
            assert previewer.composer is not None and previewer.store is not None
            audience = self.audience
            try:
                ids = list(audience.customer_ids)
                if audience.segment is not None:
                    ids = segment_customer_ids(previewer.store, audience.segment)
            except SegmentError as exc:
                self.post_message(self.Unavailable(str(exc)))
                return
            templates = previewer.composer.templates(available_only=True)
            self.post_message(self.Prepared(templates, ids, previewer.composer.shop.currency))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="compose-warm",
        description="Compiling the templates",
    )
    def warm_templates(self) -> None:
        """Compile the other templates before the owner picks one (see DraftPreviewer)."""
        self.previewer.warm()

    def on_compose_screen_unavailable(self, message: ComposeScreen.Unavailable) -> None:
        self._say_problem(f"Cannot write to {clean(self.audience.label)}: {clean(message.reason)}")
        self.query_one("#recipient-summary", Static).update("")

    def on_compose_screen_prepared(self, message: ComposeScreen.Prepared) -> None:
        self._options_posted_at = message.time
        self.templates = {info.name: info for info in message.templates}
        self.customer_ids = message.customer_ids
        self.currency = message.currency
        select = self.query_one("#template", Select)
        chosen = select.value
        if not message.templates:
            self._say_problem("No templates can be used: see `retain-tui templates`.")
            return
        options = [(f"{info.name} ({info.kind})", info.name) for info in message.templates]
        with select.prevent(Select.Changed):
            select.set_options(options)  # selects the first option
        if chosen not in self.templates:  # opening: on the template that drafts the most
            self._fitting = True
            summary = "Finding the template that drafts the most of them…"
            self.query_one("#recipient-summary", Static).update(summary)
            self.fit_template([info.name for info in message.templates])
            return
        if select.value == chosen:
            self._template_changed()
        else:
            select.value = chosen  # posts Changed, which plans the recipients

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="compose-fit",
        description="Finding the template that fits",
    )
    def fit_template(self, templates: list[str]) -> None:
        """Count (never render) how many each template drafts, on the planner's connection."""
        worker = get_current_worker()
        found = self.planner.best_fit(self.customer_ids, templates, lambda: worker.is_cancelled)
        if found is not None:
            self.post_message(self.Fitted(found.fit))

    def on_compose_screen_fitted(self, message: ComposeScreen.Fitted) -> None:
        if not self._fitting:
            return  # the owner chose a template meanwhile
        self._fitting = False
        self.fit = message.fit
        select = self.query_one("#template", Select)
        if message.fit is not None and select.value != message.fit.template:
            select.value = message.fit.template  # posts Changed, which plans the recipients
        else:
            self._template_changed()
        if message.fit is not None:
            said = compose_text.fit_notice(message.fit, len(self.customer_ids))
            self.notify(said, title="Template", markup=False)

    # -- choosing -----------------------------------------------------------------------------

    @property
    def template(self) -> TemplateInfo | None:
        value = self.query_one("#template", Select).value
        return self.templates.get(value) if isinstance(value, str) else None

    @property
    def lang(self) -> str | None:
        value = self.query_one("#language", Select).value
        return None if value in (AUTO, Select.NULL) else str(value)

    @property
    def choice(self) -> Choice | None:
        info = self.template
        return Choice(info.name, self.lang, self.discount) if info else None

    @on(Select.Changed, "#template")
    def _template_chosen(self, message: Select.Changed) -> None:
        if message.time >= self._options_posted_at:
            self._template_changed()

    def _template_changed(self) -> None:
        self._fitting = False  # chosen now: a fit still being counted is not applied
        info = self.template
        if info is None:
            return
        language = self.query_one("#language", Select)
        chosen = language.value
        languages = [(f"{AUTO}: each customer's", AUTO)] + [(lang, lang) for lang in info.languages]
        with language.prevent(Select.Changed):
            language.set_options(languages)
            language.value = chosen if chosen in info.languages else AUTO
        self._choice_changed()

    @on(Select.Changed, "#language")
    def _language_changed(self, message: Select.Changed) -> None:
        if message.time >= self._options_posted_at:
            self._choice_changed()

    @on(Input.Changed, "#discount")
    @on(Input.Changed, "#valid-days")
    def _discount_typed(self) -> None:
        if self._discount_timer is not None:
            self._discount_timer.stop()
        self._discount_timer = self.set_timer(DISCOUNT_DEBOUNCE, self._read_discount)

    @on(Input.Submitted, "#discount")
    @on(Input.Submitted, "#valid-days")
    def _discount_submitted(self) -> None:
        """Enter applies the discount now and leaves the field: keys are commands again."""
        if self._discount_timer is not None:
            self._discount_timer.stop()
        self._read_discount()
        self.table.focus()

    def _read_discount(self) -> None:
        self._discount_timer = None
        text = self.query_one("#discount", Input).value.strip()
        days_text = self.query_one("#valid-days", Input).value.strip()
        self.discount, self.discount_error = None, None
        if text:
            try:
                days = int(days_text) if days_text else DEFAULT_VALID_DAYS
                self.discount = parse_discount(text, currency=self.currency, valid_days=days)
            except (ComposeError, ValueError) as exc:
                self.discount_error = f"Discount: {app_words(str(exc))}"
        self._choice_changed()

    def _choice_changed(self) -> None:
        """Say what stops an export, then plan the recipients of a new template or language,
        or re-render the preview (a discount changes the drafts, not who gets one)."""
        self._say_problem(self._problems())
        choice = self.choice
        if choice is None or self._fitting:
            return  # while fitting, the Select shows the first template, not a choice
        if (choice.template, choice.lang) != self._planned_for:
            self._planned_for = (choice.template, choice.lang)
            self.query_one("#recipient-summary", Static).update("Reading the recipients…")
            self.planner.stop_check()
            self.plan_recipients(choice)
        else:
            self._preview_current()

    def _problems(self) -> str:
        """What stops an export now (see `compose_text.export_problems`)."""
        return compose_text.export_problems(
            self.template,
            self.previewer.composer,
            self.discount,
            self.discount_error,
            self.currency,
        )

    def _say_problem(self, text: str) -> None:
        problem = self.query_one("#compose-problem", Static)
        problem.update(content(text, multiline=True))
        problem.display = bool(text)

    # -- who gets a draft ---------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="compose-plan",
        description="Reading the recipients",
    )
    def plan_recipients(self, choice: Choice) -> None:
        """Post the first FIRST_ROWS recipients as soon as they are read (a partial Plan),
        then everyone, then (for templates with recommendations) the exact plan; stop early
        when the owner has chosen again meanwhile."""
        worker = get_current_worker()
        shown: Plan | None = None
        with self.planner.lock:
            if self.planner.closed:
                return  # the screen closed
            try:
                plans = self.planner.plans(
                    choice, self.customer_ids, FIRST_ROWS, lambda: worker.is_cancelled
                )
                for plan in plans:
                    if shown is not None and shown.complete:  # the exact count of `shown`
                        self.post_message(self.Checked(plan, shown))
                    else:
                        self.post_message(self.Planned(plan))
                    shown = plan
            except ComposeError as exc:
                self.post_message(self.Unavailable(app_words(str(exc))))

    def on_compose_screen_planned(self, message: ComposeScreen.Planned) -> None:
        choice = self.choice
        plan = message.plan
        if choice is None or (plan.template, plan.lang) != (choice.template, choice.lang):
            return  # the owner chose again meanwhile
        current = self.table.current
        self.plan = plan
        self._show_summary()
        self._show_view(current.customer_id if current else None)

    def on_compose_screen_checked(self, message: ComposeScreen.Checked) -> None:
        choice, plan = self.choice, message.plan
        if self.plan is not message.of or choice is None:
            return  # a newer plan (the store changed) or none
        if (plan.template, plan.lang) != (choice.template, choice.lang):
            return  # the owner chose again meanwhile
        self.plan = message.plan
        self._show_summary()
        if self.view == "all":  # the same rows: restate them, keep the cursor and preview
            self.table.restate(message.plan.recipients)
        else:
            current = self.table.current
            self._show_view(current.customer_id if current else None)

    def _show_summary(self) -> None:
        if self.plan is not None:
            self.query_one("#recipient-summary", Static).update(
                content(
                    summary_line(self.plan, self.audience.label, len(self.customer_ids), self.view)
                )
            )

    def _show_view(self, keep_customer: int | None = None) -> None:
        plan = self.plan
        if plan is None:
            return
        shown: Sequence[Recipient] = plan.recipients
        if self.view == "left out":
            shown = [r for r in shown if not r.included]
        elif self.view == "drafted":
            shown = [r for r in shown if r.included]
        index = next(
            (i for i, r in enumerate(shown) if r.customer_id == keep_customer),
            0,
        )
        self.table.show(shown, index)
        if not shown:
            self._show_preview_text(content(f"Nobody to show ({self.view})."), Content(""))
        self._preview_current()

    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        current = self.table.current
        self._show_summary()
        self._show_view(current.customer_id if current else None)

    # -- preview ------------------------------------------------------------------------------

    def action_step(self, by: int) -> None:
        self.table.move_to(self.table.index + by)

    @on(DataTable.RowHighlighted, "#recipients")
    def _recipient_highlighted(self) -> None:
        self._preview_current()

    def _preview_current(self) -> None:
        recipient, choice = self.table.current, self.choice
        if recipient is None or choice is None or self.plan is None:
            return
        self.render_preview(recipient.customer_id, choice)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="compose-preview",
        description="Rendering the preview",
    )
    def render_preview(self, customer_id: int, choice: Choice) -> None:
        preview = self.previewer.render(customer_id, choice)
        if preview is not None:
            self.post_message(self.Previewed(preview))

    def on_compose_screen_previewed(self, message: ComposeScreen.Previewed) -> None:
        recipient, preview = self.table.current, message.preview
        if recipient is None or recipient.customer_id != preview.customer_id:
            return
        if preview.choice != self.choice:
            return
        self.preview_seconds = preview.seconds
        self.previews += 1
        if not self.previewer.warmed:
            self.warm_templates()
        table = self.table
        place = compose_text.place(
            table.index, len(table.recipients), self.plan, len(self.customer_ids), self.view
        )
        if preview.draft is None:
            lines = [
                content(f"{place}: {who(recipient)}", style="bold"),
                content(preview.error or "", style="red", multiline=True),
            ]
            self._show_preview_text(Content("\n").join(lines), Content(""))
            return
        head = preview_head(place, recipient, preview.draft, auto_language=self.lang is None)
        self._show_preview_text(head, content(preview.draft.text, multiline=True))

    def _show_preview_text(self, head: Content, body: Content) -> None:
        self.query_one("#preview-head", Static).update(head)
        self.query_one("#preview-body", Static).update(body)
        self.query_one("#preview", VerticalScroll).scroll_home(animate=False)

    # -- leaving and exporting ----------------------------------------------------------------

    def action_focus_option(self, selector: str) -> None:
        self.query_one(selector).focus()

    def action_pick_template(self) -> None:
        from tui.screens.template_picker import TemplatePickerScreen

        if self.templates:  # else they are still being read
            current = self.template.name if self.template and not self._fitting else None
            picker = TemplatePickerScreen(self.templates.values(), current)
            self.app.push_screen(picker, self._template_picked)

    def _template_picked(self, name: str | None) -> None:
        select = self.query_one("#template", Select)
        if name in self.templates and select.value == name:
            self._template_changed()  # chosen while the best fit was being counted
        elif name in self.templates:
            select.value = name  # posts Changed, which plans the recipients

    def action_back(self) -> None:
        if self.focused is not None and self.focused.parent is self.query_one("#compose-options"):
            self.table.focus()
        else:
            self.app.pop_screen()

    def action_export(self) -> None:
        from tui.screens.export_drafts import ExportJob, ExportScreen

        choice, plan = self.choice, self.plan
        if choice is None or plan is None or not plan.complete:
            self.notify("The recipients are still being read.", severity="warning", markup=False)
            return
        problems = self._problems()
        if problems:
            self.notify(f"Cannot export yet: {problems}", severity="error", markup=False)
            return
        if not plan.drafted:
            self.notify("Nobody here gets a draft.", severity="warning", markup=False)
            return
        app, ids = self.retain_app, self.customer_ids
        job = ExportJob.of(self.audience, choice, ids, app.db_path, self.today, self.templates_dir)
        self.app.push_screen(ExportScreen(job))
