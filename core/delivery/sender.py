"""Sending a campaign's outbox: exactly once, or reported as uncertain, never twice.

For each queued row, in order: re-check consent and the suppression list (someone may have
opted out since the export: 'refused', reason `suppressed` or `no_consent`); wait for the
rate limit; mark the row 'sending' and COMMIT; hand the message to the server; record its
answer and COMMIT. A run that finds rows still 'sending' (a crash, `kill -9` or power loss
between the two commits) turns them 'uncertain' and does not send them again:
`send --retry-uncertain` does, on the owner's word. One run at a time per shop (a lock file
beside the database), so a second run never mistakes the first's rows for a crash's.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.campaigns import Campaign, require_campaign
from core.consent import is_suppressed
from core.delivery.outbox import (
    OutboxRow,
    queue_campaign,
    queued_rows,
    record_state,
    requeue_uncertain,
    settle_interrupted,
    state_counts,
)
from core.delivery.outbox import mark_sending as _mark_sending
from core.delivery.outbox import message_of as _message_of
from core.delivery.settings import (
    DeliveryError,
    SmtpAuthError,
    SmtpSettings,
    SmtpUnreachableError,
    read_password,
    redact,
    smtp_settings,
)
from core.delivery.smtp import Answer, Handover, Session
from core.shop_settings import all_settings, load_shop_settings
from core.store import Store

Progress = Callable[[int, int], None]


class SendBusyError(DeliveryError):
    """Another `send` is at work on this shop."""


@dataclass
class SendReport:
    """What one run did (and where the campaign's outbox stands after it)."""

    campaign: str
    sent: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    """Address -> the server's reply: it refused the message itself (5xx after MAIL/DATA)."""
    refused: dict[str, str] = field(default_factory=dict)
    """Address -> the server's reply to the recipient (5xx), or why we did not send
    (`suppressed`, `no_consent`: opted out since the export)."""
    deferred: dict[str, str] = field(default_factory=dict)
    """Address -> a temporary (4xx) reply: still queued, tried again by the next run."""
    uncertain: list[str] = field(default_factory=list)
    """Maybe sent: a run stopped between handing a message over and recording the answer.
    Never sent again unless `--retry-uncertain`."""
    still_queued: int = 0
    stopped: str | None = None
    """Why the run stopped before the end (login refused, server unreachable or gone)."""
    auth_failed: bool = False
    queued_now: int = 0
    """Messages `send_campaign` queued before sending."""
    totals: dict[str, int] = field(default_factory=dict)
    """The campaign's rows per state after the run."""
    interrupted: bool = False
    dry_run: bool = False

    @property
    def problems(self) -> bool:
        return bool(self.failed or self.deferred or self.uncertain or
                    any(reply[:1].isdigit() for reply in self.refused.values()))  # fmt: skip

    def to_dict(self) -> dict[str, object]:
        return {
            "campaign": self.campaign, "dry_run": self.dry_run, "queued_now": self.queued_now,
            "sent": self.sent, "failed": self.failed, "refused": self.refused,
            "deferred": self.deferred, "uncertain": self.uncertain,
            "still_queued": self.still_queued, "stopped": self.stopped,
            "interrupted": self.interrupted, "totals": self.totals,
        }  # fmt: skip


class SendInterrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP during a send: every answer so far is recorded (`report`)."""

    def __init__(self, report: SendReport) -> None:
        super().__init__("interrupted")
        self.report = report


class Pacer:
    """At most `per_minute` messages a minute, evenly spaced (0: no limit). The clock and
    the sleep are injected so tests measure the waits without waiting."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if self.next_at is not None and now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


@contextmanager
def send_lock(store: Store) -> Iterator[None]:
    """One sender per shop: an exclusive `flock` on `<database>.send-lock` (released by the
    system if the process dies, so a crash never leaves it held)."""
    if store.path is None:
        yield
        return
    path = Path(f"{store.path}.send-lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SendBusyError(
                f"another retain-tui send is at work on {store.path} (lock {path.name}); "
                "nothing was sent: run again when it has finished"
            ) from None
        yield
    finally:
        os.close(fd)


def load_smtp_settings(store: Store) -> SmtpSettings:
    return smtp_settings(all_settings(store))


def consent_refusal(store: Store, campaign: Campaign, row: OutboxRow) -> str | None:
    """Why this message must not go now: a marketing campaign to an address on the
    suppression list or to a customer who withdrew consent since the export."""
    if campaign.kind != "marketing":
        return None
    if is_suppressed(store.conn, row.address):
        return "suppressed"
    consent = store.scalar("SELECT accepts_marketing FROM customers WHERE id = ?",
                           (row.customer_id,))  # fmt: skip
    return None if consent == 1 else "no_consent"


def send_outbox(
    store: Store,
    campaign_name: str,
    *,
    limit: int | None = None,
    per_minute: int | None = None,
    settings: SmtpSettings | None = None,
    password: str | None = None,
    progress: Progress | None = None,
    retry_uncertain: bool = False,
    dry_run: bool = False,
    pacer: Pacer | None = None,
) -> SendReport:
    """Send the campaign's queued messages (at most `limit`) through the shop's server.

    Raises `DeliveryError` subclasses for what stops a run before anything is done (no
    settings, the password file's mode, another sender), `SendInterrupted` on Ctrl-C or
    SIGTERM (the report of what was recorded). A refused login, an unreachable server or a
    lost connection end the run with `report.stopped` said; the rest stays queued.
    """
    campaign = require_campaign(store, campaign_name)
    settings = settings or load_smtp_settings(store)
    if password is None:
        password = read_password(settings)
    rate = settings.per_minute if per_minute is None else per_minute
    report = SendReport(campaign.name, dry_run=dry_run)
    sender = load_shop_settings(store).from_address
    if not sender:
        raise DeliveryError("shop.from is not set: retain-tui config set shop.from 'Shop <a@b>'")
    with send_lock(store):
        if dry_run:
            report.uncertain = _uncertain_addresses(store, campaign.id)
            report.still_queued = len(queued_rows(store, campaign.id, limit))
            report.totals = state_counts(store, campaign.id)
            return report
        settle_interrupted(store, campaign.id)
        if retry_uncertain:
            requeue_uncertain(store, campaign.id)
        rows = queued_rows(store, campaign.id, limit)
        try:
            _send_rows(store, campaign, rows, sender, settings, password,
                       pacer or Pacer(rate), report, progress)  # fmt: skip
        except KeyboardInterrupt:
            report.interrupted = True
            _finish(store, campaign, report, password)
            raise SendInterrupted(report) from None
        _finish(store, campaign, report, password)
    return report


def _mark_durably(store: Store, row_id: int) -> None:
    """The 'sending' mark synced to disk before the message leaves. In WAL mode with the
    store's usual `synchronous = NORMAL` a power cut can take back the last commits: a lost
    mark would let the next run send the message again. (A lost answer only turns the row
    back to 'sending', hence uncertain: its commit need not wait for the disk, and the next
    mark's sync writes it down too.)"""
    store.execute("PRAGMA synchronous = FULL")
    try:
        _mark_sending(store, row_id)
    finally:
        store.execute("PRAGMA synchronous = NORMAL")


def _uncertain_addresses(store: Store, campaign_id: int) -> list[str]:
    rows = store.execute(
        "SELECT address FROM outbox WHERE campaign_id = ? AND state = 'uncertain' ORDER BY id",
        (campaign_id,),
    )
    return [address for (address,) in rows]


def _finish(store: Store, campaign: Campaign, report: SendReport, password: str | None) -> None:
    report.totals = state_counts(store, campaign.id)
    report.uncertain = _uncertain_addresses(store, campaign.id)
    report.still_queued = report.totals["queued"]
    if report.stopped:
        report.stopped = redact(report.stopped, password)


def _send_rows(
    store: Store,
    campaign: Campaign,
    rows: list[OutboxRow],
    sender: str,
    settings: SmtpSettings,
    password: str | None,
    pacer: Pacer,
    report: SendReport,
    progress: Progress | None,
) -> None:
    if not rows:
        return
    session = Session(settings, password)
    try:
        session.open()
    except SmtpAuthError as exc:
        report.stopped, report.auth_failed = str(exc), True
        return
    except SmtpUnreachableError as exc:
        report.stopped = str(exc)
        return
    try:
        for done, row in enumerate(rows, start=1):
            reason = consent_refusal(store, campaign, row)
            if reason is not None:
                record_state(store, row.id, "refused", reason=reason)
                report.refused[row.address] = reason
            else:
                pacer.wait()
                answer = _attempt(store, session, row, sender)
                _note(report, row, answer)
                if answer.stop:
                    report.stopped = answer.stop
                    return
            if progress is not None:
                progress(done, len(rows))
    except SmtpUnreachableError as exc:  # Handover included
        report.stopped = f"{exc}; the rest stays queued"
    except BaseException:
        session.close(polite=False)
        raise
    finally:
        session.close()


def _attempt(store: Store, session: Session, row: OutboxRow, sender: str) -> Answer:
    """Mark, hand over, record: the only place a message leaves."""
    message = _message_of(store, row.id)
    _mark_durably(store, row.id)
    try:
        answer = session.transmit(sender, row.address, message)
    except Handover:
        record_state(store, row.id, "uncertain", reply="connection lost before the reply")
        raise
    except SmtpUnreachableError:
        record_state(store, row.id, "queued")  # the message's final dot never left
        raise
    except KeyboardInterrupt:
        # Before the DATA command the server has nothing: queued again. After it, the server
        # may have the whole message: uncertain. If this write fails too, the row stays
        # 'sending' and the next run calls it uncertain. Never twice.
        if session.handing_over:
            record_state(store, row.id, "uncertain", reply="interrupted while handing it over")
        else:
            record_state(store, row.id, "queued")
        raise
    record_state(store, row.id, answer.state, reply=answer.reply)
    return answer


def _note(report: SendReport, row: OutboxRow, answer: Answer) -> None:
    if answer.state == "sent":
        report.sent += 1
    elif answer.state == "refused":
        report.refused[row.address] = answer.reply
    elif answer.state == "failed":
        report.failed[row.address] = answer.reply
    elif answer.state == "queued" and not answer.stop:
        report.deferred[row.address] = answer.reply


def send_campaign(store: Store, campaign_name: str, **options: object) -> SendReport:
    """`queue_campaign` then `send_outbox` (what `flows run --send` calls per campaign)."""
    dry_run = bool(options.get("dry_run", False))
    queued = queue_campaign(store, campaign_name, dry_run=dry_run)
    report = send_outbox(store, campaign_name, **options)  # type: ignore[arg-type]
    report.queued_now = queued.queued
    if dry_run:
        report.still_queued += queued.queued
    return report


def send_campaigns(store: Store, names: Sequence[str], **options: object) -> list[SendReport]:
    """`send_campaign` for each of `names` in turn (`flows run --send`). Stops after a run
    that was stopped (login refused, server unreachable, connection lost): the server is in
    trouble, and the rest stays queued for the next run."""
    reports: list[SendReport] = []
    for name in names:
        reports.append(send_campaign(store, name, **options))
        if reports[-1].stopped:
            break
    return reports
