"""Writing drafts as .eml files, one mbox or a mail-merge CSV: all or nothing.

Everything is written into a temporary file or folder beside the target, synced, and moved
into place with `os.replace` only when every draft rendered; any error (or Ctrl-C) removes
the temporary copy, so a half-written export never appears. Files are private (0600): they
hold customers' names and addresses.

Who is included is decided first (`Composer.recipients`), so the duplicate check happens in
one place; then drafts are rendered a chunk at a time, in helper processes when there are many
(`core.compose.workers`), and written in order by this process, numbered as they are written.
A customer with nothing to recommend is left out while rendering, where their order lines are
read anyway (`no_recommendations`): the list itself never reads anyone's order lines.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from core.compose.audience_export import payload as audience_payload
from core.compose.composer import Composer
from core.compose.discount import Discount
from core.compose.draft_writers import WRITERS, NullWriter, Writer, mboxrd_quote
from core.compose.drafts import REASONS, Draft, FailedDraft, Recipient
from core.compose.errors import ComposeError
from core.compose.mime import message_bytes, message_date, new_message_id
from core.compose.workers import HelperPool, Setup
from core.draft_formats import AUDIENCE, EXPORT_FORMATS

SHOWN_ERRORS = 20
CHUNK = 500
PARALLEL_FROM = 5_000  # below this, starting helper processes costs more than it saves
MAX_HELPERS = 4

Progress = Callable[[int, int], None]


class Rendered(NamedTuple):
    """What a renderer hands the writer for one recipient: a payload in `language`, or the
    error that stopped the draft, or the reason the customer turned out to get none."""

    language: str | None
    payload: bytes | tuple[str, ...] | None
    error: str | None = None
    left_out: str | None = None


class ExportError(ComposeError):
    """Nothing was written; `result` holds the counts and the errors met on the way."""

    def __init__(self, message: str, result: ExportResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class ExportResult:
    """The summary an export prints (and `--json` emits)."""

    template: str
    format: str
    path: str | None
    dry_run: bool
    recipients: int = 0
    drafted: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    helpers: int = 0
    seconds: float = 0.0
    campaign: str | None = None
    """The campaign this export is (core/campaigns); None for a plain export."""
    service: str | None = None
    """The mail service an audience file is for (`--for`); None for drafts."""
    already_drafted: int = 0
    """Drafted by an earlier run of the same campaign: not drafted again."""
    held_out: int = 0
    codes: int = 0
    """Unique discount codes issued (stored), or shown as placeholders in a dry run."""

    def to_dict(self) -> dict[str, object]:
        return {
            "template": self.template,
            "format": self.format,
            "path": self.path,
            "dry_run": self.dry_run,
            "recipients": self.recipients,
            "drafted": self.drafted,
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_reasons": {code: REASONS.get(code, code) for code in sorted(self.skipped)},
            "languages": dict(sorted(self.languages.items())),
            "errors": self.errors,
            "error_count": self.error_count,
            "helpers": self.helpers,
            "seconds": round(self.seconds, 3),
            "campaign": self.campaign,
            "for": self.service,
            "already_drafted": self.already_drafted,
            "held_out": self.held_out,
            "codes": self.codes,
        }


def export_drafts(
    composer: Composer,
    customer_ids: Sequence[int],
    template: str,
    out: Path,
    *,
    fmt: str = "eml",
    lang: str | None = None,
    discount: Discount | None = None,
    dry_run: bool = False,
    overwrite: bool = False,
    progress: Progress | None = None,
    helpers: int | None = None,
) -> ExportResult:
    """Render a draft for every included customer and write them to `out` in `fmt`.

    Raises `ComposeError` before writing anything when the export cannot run (unknown
    template, missing shop settings, `out` in the way) and `ExportError` when drafts failed
    to render (nothing is written then either). `helpers` is the number of helper
    processes (0: render here); None chooses by size and cores. A campaign
    (`core.campaigns.export_campaign`) decides the plan itself and calls `write_plan`.
    """
    out = Path(out)
    check_export(out, fmt, dry_run, overwrite)
    if fmt == AUDIENCE:
        raise ComposeError("an audience file is a campaign: core.campaigns.export_campaign")
    started = time.perf_counter()
    composer.prepare(template, lang, discount)
    plan = composer.recipients(customer_ids, template, lang, discount)
    result = ExportResult(template, fmt, None if dry_run else str(out), dry_run)
    write_plan(composer, plan, template, out, result, discount=discount, progress=progress,
               helpers=helpers, overwrite=overwrite)  # fmt: skip
    result.seconds = time.perf_counter() - started
    return result


def check_export(out: Path, fmt: str, dry_run: bool, overwrite: bool) -> None:
    """Refuse an unknown format or a target in the way, before anything is read."""
    if fmt not in EXPORT_FORMATS:
        raise ComposeError(f"unknown format {fmt!r}; choose {', '.join(EXPORT_FORMATS)}")
    if not dry_run:
        _check_target(out, fmt, overwrite)


Outcome = tuple[int, str | None, str | None]
"""(customer id, reason left out while rendering or None when drafted, language)."""
Record = Callable[[sqlite3.Connection, list[Outcome]], None]


def write_plan(
    composer: Composer,
    plan: Sequence[Recipient],
    template: str,
    out: Path,
    result: ExportResult,
    *,
    discount: Discount | None = None,
    progress: Progress | None = None,
    helpers: int | None = None,
    overwrite: bool = False,
    record: Record | None = None,
    total: int | None = None,
    make_writer: Callable[[Path], Writer] | None = None,
) -> None:
    """Render the included recipients of `plan` and write them (unless `result.dry_run`).

    With `record`, what was drafted is handed to it inside one write transaction of the
    store, and the files are moved into place inside that same transaction, before its
    COMMIT: a failure or interrupt before the COMMIT rolls the rows back and takes the
    files away again (restoring what `--overwrite` replaced), so the rows and the files
    exist together or not at all (docs/campaigns.md, "Interruption"). `make_writer`
    replaces the format's own writer (an audience file's columns depend on the service).
    """
    dry_run = result.dry_run
    fmt = result.format
    included = [recipient for recipient in plan if recipient.included]
    result.recipients += len(plan)
    result.skipped.update(r.reason for r in plan if r.reason is not None)
    kind = "none" if dry_run else fmt
    result.helpers = _helper_count(composer, len(included), helpers)
    rendered = _render_all(composer, template, included, discount, kind, result.helpers)
    outcomes: list[Outcome] | None = [] if record is not None else None
    writer: Writer = NullWriter()
    try:
        if not dry_run:
            writer = (make_writer or WRITERS[fmt])(out)
        with closing(rendered):
            _fill(writer, included, rendered, result, progress, total or len(plan), outcomes)
        if result.error_count:
            raise ExportError(
                f"{result.error_count:,} draft(s) failed to render: nothing was written", result
            )
        if result.drafted == 0:
            writer.abort()
            result.path = None
        if record is None or dry_run:
            if result.drafted:
                writer.commit(out, overwrite)
            return
        assert outcomes is not None
        with composer.store.write() as conn:
            record(conn, outcomes)
            if result.drafted:
                writer.place(out, overwrite)
    except BaseException:
        writer.undo()
        raise
    # Committed: the campaign and its files are complete. An interrupt now must not take the
    # files back, nor report that nothing was written; at worst the replaced copy remains.
    with suppress(BaseException):
        writer.finish()


def _fill(
    writer: Writer,
    included: list[Recipient],
    rendered: Iterator[Rendered],
    result: ExportResult,
    progress: Progress | None,
    total: int,
    outcomes: list[Outcome] | None = None,
) -> None:
    """Write drafts in order until the first failure, then only count the rest; note each
    included recipient's outcome in `outcomes` when given."""
    seen_errors: set[str] = set()
    skipped = total - len(included)
    for done, (recipient, (language, payload, error, left_out)) in enumerate(
        zip(included, rendered, strict=True), start=1
    ):
        if error is not None:
            _note_error(result, seen_errors, error, recipient.customer_id)
        elif left_out is not None:
            result.skipped[left_out] += 1
            if outcomes is not None:
                outcomes.append((recipient.customer_id, left_out, language))
        elif not result.error_count:
            result.drafted += 1
            result.languages[language or ""] += 1
            writer.add(result.drafted, recipient.customer_id, payload)
            if outcomes is not None:
                outcomes.append((recipient.customer_id, None, language))
        if progress is not None and (done % 250 == 0 or done == len(included)):
            progress(skipped + done, total)
    if progress is not None and not included:
        progress(total, total)


def _note_error(result: ExportResult, seen: set[str], message: str, customer_id: int) -> None:
    """Count every failure; list each distinct message once (with its first customer)."""
    result.error_count += 1
    if message not in seen and len(result.errors) < SHOWN_ERRORS:
        seen.add(message)
        result.errors.append(f"{message} (customer {customer_id})")


def _helper_count(composer: Composer, drafts: int, requested: int | None) -> int:
    if composer.store.path is None:  # an in-memory store cannot be shared
        return 0
    if requested is not None:
        return max(0, requested)
    cores = os.cpu_count() or 1
    return 0 if drafts < PARALLEL_FROM or cores < 2 else min(cores, MAX_HELPERS)


def _render_all(
    composer: Composer,
    template: str,
    recipients: list[Recipient],
    discount: Discount | None,
    kind: str,
    helpers: int,
) -> Generator[Rendered, None, None]:
    date_header = message_date()
    chunks = [recipients[i : i + CHUNK] for i in range(0, len(recipients), CHUNK)]
    if not helpers:
        for chunk in chunks:
            yield from render_payloads(composer, template, chunk, discount, kind, date_header)
        return
    # The reorder evidence is one pass over every order line: read once here, not per helper.
    reorder = composer.read_reorder_evidence(composer.template(template))
    setup = Setup(
        db_path=str(composer.store.path),
        templates_dir=None if composer.roots.user is None else str(composer.roots.user),
        today=composer.today,
        as_of=composer.as_of,
        template=template,
        discount=discount,
        kind=kind,
        date_header=date_header,
        reorder=reorder,
    )
    pool = HelperPool(helpers, setup)
    try:
        jobs = (
            [(r.customer_id, r.language or "", r.discount_code) for r in chunk] for chunk in chunks
        )
        for payloads in pool.run(jobs):
            yield from payloads
    finally:
        pool.close()


def render_payloads(
    composer: Composer,
    template: str,
    recipients: Sequence[Recipient],
    discount: Discount | None,
    kind: str,
    date_header: str,
) -> list[Rendered]:
    """Render recipients and turn each draft into what the writer of `kind` stores."""
    out: list[Rendered] = []
    shared = None if discount is None else discount.code_for(template)
    items = composer.render_many(template, recipients, discount)
    for recipient, item in zip(recipients, items, strict=True):
        if isinstance(item, FailedDraft):
            out.append(Rendered(None, None, error=str(item.error)))
        elif isinstance(item, Recipient):
            out.append(Rendered(item.language, None, left_out=item.reason))
        elif kind == AUDIENCE:
            code = recipient.discount_code or shared
            out.append(Rendered(item.language, audience_payload(item, code)))
        else:
            out.append(Rendered(item.language, _payload(item, kind, date_header)))
    return out


def _payload(draft: Draft, kind: str, date_header: str) -> bytes | tuple[str, ...] | None:
    if kind == "eml":
        return message_bytes(draft, date=date_header, message_id=new_message_id(draft))
    if kind == "mbox":
        data = message_bytes(
            draft, date=date_header, message_id=new_message_id(draft), linesep=b"\n"
        )
        return mboxrd_quote(data)
    if kind == "csv":
        return (
            str(draft.customer_id), draft.to_address, draft.to_name, draft.language,
            draft.subject, draft.text, draft.discount_code or "",
        )  # fmt: skip
    return None


# -- writers -------------------------------------------------------------------------------


def _check_target(out: Path, fmt: str, overwrite: bool) -> None:
    parent = out.parent
    if not parent.is_dir():
        raise ComposeError(f"{parent}: no such folder (create it first)")
    if fmt == "eml":
        if out.exists() and not out.is_dir():
            raise ComposeError(f"{out}: is a file; eml exports go into a folder")
        if out.is_dir() and any(out.iterdir()) and not overwrite:
            raise ComposeError(f"{out}: folder is not empty (choose another or use --overwrite)")
    else:
        if out.is_dir():
            raise ComposeError(f"{out}: is a folder; {fmt} exports are one file")
        if out.exists() and not overwrite:
            raise ComposeError(f"{out}: already exists (choose another name or use --overwrite)")
