"""Export the drafts the compose screen shows: format, target path, campaign, progress, summary.

Every export from the app is a campaign (core/campaigns), as from the CLI: a name (a re-run
under the same name drafts only those not drafted yet), the frequency cap, a control group
and unique discount codes. The export runs `export_campaign` in a thread worker with a
Composer and a connection of its own (the compose screen's Composer keeps previewing
meanwhile). The progress bar is fed with `call_from_thread`; Escape while exporting stops
it, and the export then removes its temporary copy and records nothing, so nothing
half-written is ever left at the target.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from core.compose import (
    FORMATS,
    REASONS,
    ComposeError,
    Composer,
    Discount,
    ExportError,
    ExportResult,
)
from core.store import open_store
from tui import display
from tui.safe_text import clean, content
from tui.screens.compose_plan import Audience, Choice
from tui.screens.compose_text import app_words
from tui.widgets.path_suggester import PathSuggester

if TYPE_CHECKING:
    from core.campaigns import CampaignRequest

EXPORT_FOLDER = "~/retain-drafts"
SUFFIXES = {"eml": "", "mbox": ".mbox", "csv": ".csv"}
STOPPED = "Export stopped: nothing was written."


class ExportStopped(Exception):
    """The owner stopped the export; raised inside export_drafts to unwind it."""


@dataclass(frozen=True)
class ExportJob:
    """Everything an export needs, so it can run on its own connection and Composer."""

    db_path: Path
    label: str
    stem: str
    customer_ids: Sequence[int]
    template: str
    lang: str | None = None
    discount: Discount | None = None
    today: date | None = None
    templates_dir: Path | None = None
    audience: str = "customers"
    """The segment's name, or 'customers': what the campaign record says it was sent to."""
    audience_detail: object = None

    @classmethod
    def of(
        cls,
        audience: Audience,
        choice: Choice,
        customer_ids: Sequence[int],
        db_path: Path,
        today: date | None,
        templates_dir: Path | None,
    ) -> ExportJob:
        """The export of the compose screen's drafts for `audience` as `choice` makes them."""
        return cls(
            db_path=db_path,
            label=audience.label,
            stem=audience.stem,
            customer_ids=tuple(customer_ids),
            template=choice.template,
            lang=choice.lang,
            discount=choice.discount,
            today=today,
            templates_dir=templates_dir,
            audience=audience.segment or "customers",
            audience_detail=None if audience.segment else list(customer_ids),
        )


def default_target(job: ExportJob, fmt: str) -> str:
    """`~/retain-drafts/<audience>-<template>-<date>` with the format's suffix."""
    day = (job.today or date.today()).isoformat()
    audience = re.sub(r"[^a-z0-9]+", "-", job.stem.casefold()).strip("-") or "drafts"
    return f"{EXPORT_FOLDER}/{audience[:40]}-{job.template}-{day}{SUFFIXES[fmt]}"


def default_campaign(job: ExportJob) -> str:
    """The CLI's default name: `<template>-<segment or customers>-<date>`."""
    from core.campaigns import default_name

    return default_name(job.template, job.audience, job.today or date.today())


def summary(result: ExportResult) -> str:
    """What an export did, in words: drafted, where, and who was left out why."""
    if result.dry_run or result.path is None:
        lines = [f"No drafts written: nobody of {display.count(result.recipients)} gets one."]
    else:
        lines = [
            f"Drafted {display.count(result.drafted)} of {display.count(result.recipients)} "
            f"in {result.seconds:.1f} s: {clean(result.path)}"
        ]
    if result.campaign:
        parts = [f"Campaign {clean(result.campaign)}"]
        if result.already_drafted:
            parts.append(f"{display.count(result.already_drafted)} drafted by an earlier run")
        if result.held_out:
            parts.append(f"{display.count(result.held_out)} held out as the control group")
        if result.codes:
            parts.append(f"{display.plural(result.codes, 'unique code')}")
        lines.append(", ".join(parts))
    if result.languages:
        languages = ", ".join(f"{lang} {n:,}" for lang, n in sorted(result.languages.items()))
        lines.append(f"Languages: {languages}")
    if result.skipped:
        lines.append("Left out:")
        lines.extend(
            f"  {display.count(n)} {REASONS.get(code, code)}"
            for code, n in result.skipped.most_common()
        )
    return "\n".join(lines)


class ExportScreen(ModalScreen[None]):
    """Choose format and target, then export; the summary stays until Escape."""

    CSS_PATH = "compose.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "start", "Export", tooltip="Write the drafts"),
        Binding("escape", "close", "Close", tooltip="Close (stops an export that is running)"),
    ]

    @dataclass
    class Finished(Message):
        result: ExportResult | None
        error: str | None = None

    def __init__(self, job: ExportJob) -> None:
        super().__init__()
        self.job = job
        self.result: ExportResult | None = None
        self.finished = 0
        """How many exports ended (written, refused or stopped): lets tests wait for one."""
        self.worker: Worker[None] | None = None
        self._default = default_target(job, "eml")

    def compose(self) -> ComposeResult:
        job = self.job
        with Vertical(id="export-dialog"):
            yield Static(
                content(f"Export {job.template} drafts: {job.label}", style="bold"),
                id="export-title",
            )
            with Horizontal(id="export-format-row"):
                yield Label("Format")
                yield Select[str](
                    [(fmt, fmt) for fmt in FORMATS],
                    value="eml",
                    allow_blank=False,
                    id="export-format",
                    compact=True,
                )
                yield Checkbox("Overwrite", id="export-overwrite", compact=True)
            yield Label("Write to (→ completes the path)")
            yield Input(self._default, id="export-path", suggester=PathSuggester(), compact=True)
            with Horizontal(id="export-campaign-row"):
                yield Label("Campaign")
                yield Input(default_campaign(job), id="export-campaign", compact=True)
                yield Label("Hold out")
                yield Input("0%", id="export-holdout", compact=True, max_length=6)
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static("", id="export-summary", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Export (ctrl+s)", variant="primary", id="export-start", compact=True)
                yield Button("Close (esc)", id="export-close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#export-progress", ProgressBar).display = False
        self.query_one("#export-path", Input).focus()

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running

    @property
    def fmt(self) -> str:
        return str(self.query_one("#export-format", Select).value)

    @on(Select.Changed, "#export-format")
    def _format_changed(self) -> None:
        """A path still at its default follows the format (a folder for eml, else a file)."""
        path = self.query_one("#export-path", Input)
        if path.value == self._default:
            self._default = default_target(self.job, self.fmt)
            path.value = self._default

    # -- exporting ----------------------------------------------------------------------------

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-start")
    def action_start(self) -> None:
        if self.running:
            return
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self._say("Type where to write the drafts.", error=True)
            return
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._say("Drafting…")
        overwrite = self.query_one("#export-overwrite", Checkbox).value
        request = self._campaign_request()
        if request is None:
            bar.display = False
            return
        self.worker = self.run_export(Path(text).expanduser(), self.fmt, overwrite, request)

    def _campaign_request(self) -> CampaignRequest | None:
        """The campaign fields read as the CLI reads `--campaign` and `--holdout`, or None
        after saying what is wrong (nothing is written)."""
        from core.campaigns import CampaignError, CampaignRequest, HoldoutError, parse_holdout
        from core.campaigns.run import check_name

        name = self.query_one("#export-campaign", Input).value.strip()
        holdout = self.query_one("#export-holdout", Input).value.strip() or "0%"
        try:
            return CampaignRequest(
                audience=self.job.audience,
                audience_detail=self.job.audience_detail,
                name=check_name(name) if name else None,
                holdout_percent=parse_holdout(holdout),
            )
        except (CampaignError, HoldoutError) as exc:
            self._say(f"Nothing was written: {app_words(str(exc))}", error=True)
            return None

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="export",
        description="Exporting drafts",
    )
    def run_export(self, out: Path, fmt: str, overwrite: bool, request: CampaignRequest) -> None:
        from core.campaigns import CampaignError, export_campaign

        worker = get_current_worker()
        job = self.job

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise ExportStopped
            self.app.call_from_thread(self._progress, done, total)

        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with open_store(job.db_path, migrate=False) as store:
                composer = Composer(store, job.templates_dir, today=job.today)
                result = export_campaign(
                    composer, request, list(job.customer_ids), job.template, out, fmt=fmt,
                    lang=job.lang, discount=job.discount, overwrite=overwrite, progress=progress,
                )  # fmt: skip
        except ExportStopped:
            self.post_message(self.Finished(None, STOPPED))
        except ExportError as exc:
            errors = "\n".join(f"  {error}" for error in exc.result.errors)
            self.post_message(self.Finished(None, f"{exc}\n{errors}"))
        except (ComposeError, CampaignError, OSError) as exc:
            self.post_message(self.Finished(None, f"Nothing was written: {app_words(str(exc))}"))
        else:
            self.post_message(self.Finished(result))

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#export-progress", ProgressBar).update(total=max(total, 1), progress=done)

    def on_export_screen_finished(self, message: ExportScreen.Finished) -> None:
        self.finished += 1
        bar = self.query_one("#export-progress", ProgressBar)
        if message.result is None:
            bar.update(total=1, progress=0)
            self._say(message.error or STOPPED, error=True)
            return
        self.result = message.result
        bar.update(total=1, progress=1)
        self._say(summary(message.result))
        self.notify(f"Drafted {display.plural(message.result.drafted, 'email')}.", markup=False)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self._say(f"Export failed: {event.worker.error}", error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        shown = self.query_one("#export-summary", Static)
        shown.update(content(text, multiline=True))
        shown.set_class(error, "error")

    # -- leaving ------------------------------------------------------------------------------

    @on(Button.Pressed, "#export-close")
    def action_close(self) -> None:
        if self.running:
            assert self.worker is not None
            self.worker.cancel()
            self._say("Stopping…")
            return
        self.dismiss(None)

    def on_unmount(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
