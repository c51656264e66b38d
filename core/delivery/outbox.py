"""The outbox: a campaign's messages, rendered once, with each one's state.

`queue_campaign` renders every drafted recipient of a campaign through the composer and the
MIME writer the export uses (the campaign's template, as-of date, language, discount and each
recipient's own code, as recorded), and inserts the rows in ONE transaction. A recipient who
already has a row is not queued again, so queueing twice queues nothing new. The rest of this
module moves rows between states, one commit per change (docs/delivery.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.campaigns import Campaign, require_campaign
from core.compose import Composer, Discount, Draft, FailedDraft, Recipient
from core.compose.mime import message_bytes, message_date, new_message_id
from core.delivery.settings import DeliveryError
from core.store import Store, utc_now

STATES = ("queued", "sending", "sent", "failed", "refused", "uncertain")


@dataclass
class QueueResult:
    """What `queue_campaign` did."""

    campaign: str
    queued: int = 0
    """Rows inserted as 'queued' now."""
    already: int = 0
    """Drafted recipients that had a row from an earlier call."""
    refused: dict[int, str] = field(default_factory=dict)
    """Customer id -> why no message could be made now (no address, nothing to recommend)."""
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "campaign": self.campaign, "queued": self.queued, "already_queued": self.already,
            "not_queued": {str(cid): reason for cid, reason in self.refused.items()},
            "dry_run": self.dry_run,
        }  # fmt: skip


def campaign_discount(campaign: Campaign) -> Discount | None:
    """The campaign's discount as the export had it (`campaigns.discount`)."""
    record = campaign.discount
    if record is None:
        return None
    common: dict[str, Any] = {
        "valid_days": int(record.get("valid_days") or 30),
        "code": record.get("shared_code"),
        "min_order_cents": record.get("min_order"),
        "points": record.get("points"),  # a points code (core/loyalty/codes.py)
    }
    if record["kind"] == "percent":
        return Discount(percent=Decimal(int(record["value"])) / 100, **common)
    return Discount(amount_cents=int(record["value"]), currency=record.get("currency"), **common)


def drafting_day(campaign: Campaign, discount: Discount | None) -> date:
    """The day the drafts were written (their codes expire `valid_days` after it)."""
    recorded = campaign.options.get("today")
    if recorded:
        return date.fromisoformat(recorded)
    if discount is not None and campaign.discount and campaign.discount.get("expires"):
        expires = date.fromisoformat(campaign.discount["expires"])
        return expires - timedelta(days=discount.valid_days)
    return date.fromisoformat(campaign.created_at[:10])


def campaign_composer(store: Store, campaign: Campaign, discount: Discount | None) -> Composer:
    """A composer set as the campaign's export was: its templates folder, as-of date, day."""
    folder = campaign.options.get("templates")
    return Composer(
        store,
        None if folder is None else Path(folder),
        as_of=date.fromisoformat(campaign.as_of),
        today=drafting_day(campaign, discount),
    )


def _unqueued(conn: sqlite3.Connection, campaign_id: int) -> list[Recipient]:
    """The campaign's drafted recipients without an outbox row, with language and code."""
    rows = conn.execute(
        "SELECT r.customer_id, r.language, d.code FROM campaign_recipients r "
        "LEFT JOIN discount_codes d ON d.campaign_id = r.campaign_id "
        "AND d.customer_id = r.customer_id "
        "WHERE r.campaign_id = :id AND r.outcome = 'drafted' AND NOT EXISTS ("
        "SELECT 1 FROM outbox o WHERE o.campaign_id = :id AND o.customer_id = r.customer_id) "
        "ORDER BY r.customer_id",
        {"id": campaign_id},
    )
    return [Recipient(cid, "", "", language, None, code) for cid, language, code in rows]


def queue_campaign(store: Store, campaign_name: str, *, dry_run: bool = False) -> QueueResult:
    """Queue a message for each of the campaign's drafted recipients not queued yet (a
    campaign handed to a mail service as an audience file is refused: it is sent there).

    Everything is rendered first; then one transaction inserts the rows (a recipient queued
    meanwhile by another process is skipped, `INSERT OR IGNORE`). A draft that fails to
    render queues nothing (`DeliveryError` with the first error). `dry_run` renders and
    counts, and writes nothing.
    """
    campaign = require_campaign(store, campaign_name)
    service = campaign.options.get("for")
    if service:
        raise DeliveryError(
            f"campaign {campaign.name!r} was written as an audience file for {service}: send "
            f"it from {service}; sending it here too would mail its recipients twice"
        )
    result = QueueResult(campaign.name, dry_run=dry_run)
    drafted = store.scalar(
        "SELECT count(*) FROM campaign_recipients WHERE campaign_id = ? AND outcome = 'drafted'",
        (campaign.id,),
    )
    recipients = _unqueued(store.conn, campaign.id)
    result.already = int(drafted or 0) - len(recipients)  # type: ignore[call-overload]
    if not recipients:
        return result
    discount = campaign_discount(campaign)
    composer = campaign_composer(store, campaign, discount)
    lang = None if campaign.language_rule in (None, "customer") else campaign.language_rule
    composer.prepare(campaign.template, lang, discount)
    rows = list(_rendered_rows(composer, campaign, recipients, discount, result))
    if dry_run:
        result.queued = sum(1 for row in rows if row[5] == "queued")
        return result
    with store.write() as conn:
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO outbox (campaign_id, customer_id, address, message_id, "
            "message, state, reason, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        inserted = conn.total_changes - before
    result.queued = inserted - len(result.refused)
    return result


def _rendered_rows(
    composer: Composer,
    campaign: Campaign,
    recipients: list[Recipient],
    discount: Discount | None,
    result: QueueResult,
) -> Iterator[tuple[object, ...]]:
    date_header = message_date()
    at = utc_now()
    for item in composer.render_many(campaign.template, recipients, discount):
        if isinstance(item, FailedDraft):
            raise DeliveryError(
                f"campaign {campaign.name!r}: the draft of customer {item.customer_id} does not "
                f"render ({item.error}); nothing was queued"
            )
        if isinstance(item, Recipient):  # left out while rendering (nothing to recommend)
            reason = item.reason or "left_out"
            result.refused[item.customer_id] = reason
            yield (campaign.id, item.customer_id, None, None, None, "refused", reason, at)
            continue
        assert isinstance(item, Draft)
        if not item.to_address:  # the address was removed or erased since the export
            result.refused[item.customer_id] = "no_email"
            yield (campaign.id, item.customer_id, None, None, None, "refused", "no_email", at)
            continue
        message_id = new_message_id(item)
        data = message_bytes(item, date=date_header, message_id=message_id, unsent=False)
        yield (campaign.id, item.customer_id, item.to_address, message_id, data, "queued", None, at)


# -- states, one commit per change -------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    id: int
    customer_id: int
    address: str
    message_id: str


def queued_rows(store: Store, campaign_id: int, limit: int | None) -> list[OutboxRow]:
    """The campaign's queued rows in queueing order (without their bytes: read one by one)."""
    rows = store.execute(
        "SELECT id, customer_id, address, message_id FROM outbox "
        "WHERE campaign_id = ? AND state = 'queued' ORDER BY id LIMIT ?",
        (campaign_id, -1 if limit is None else limit),
    )
    return [OutboxRow(*row) for row in rows]


def message_of(store: Store, row_id: int) -> bytes:
    return bytes(store.scalar("SELECT message FROM outbox WHERE id = ?", (row_id,)))  # type: ignore[arg-type]


def settle_interrupted(store: Store, campaign_id: int) -> list[str]:
    """Rows left 'sending' by a run that stopped between marking and recording (a crash, a
    kill -9, a lost connection): the server may have the message, so they become
    'uncertain' and are not sent again. Their addresses, for the report."""
    with store.write() as conn:
        rows = conn.execute(
            "UPDATE outbox SET state = 'uncertain', finished_at = ? "
            "WHERE campaign_id = ? AND state = 'sending' RETURNING address",
            (utc_now(), campaign_id),
        ).fetchall()
    return sorted(address for (address,) in rows)


def requeue_uncertain(store: Store, campaign_id: int) -> int:
    """`send --retry-uncertain`: the owner asks to send the uncertain ones again."""
    with store.write() as conn:
        return conn.execute(
            "UPDATE outbox SET state = 'queued' WHERE campaign_id = ? AND state = 'uncertain'",
            (campaign_id,),
        ).rowcount


def mark_sending(store: Store, row_id: int) -> None:
    """Committed before the message's first byte goes to the server."""
    with store.write() as conn:
        conn.execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, attempted_at = ? "
            "WHERE id = ? AND state = 'queued'",
            (utc_now(), row_id),
        )


def record_state(
    store: Store, row_id: int, state: str, *, reply: str | None = None, reason: str | None = None
) -> None:
    """The outcome of one attempt (or of the check before it), committed at once."""
    assert state in STATES
    finished = None if state == "queued" else utc_now()
    with store.write() as conn:
        conn.execute(
            "UPDATE outbox SET state = ?, reply = coalesce(?, reply), reason = ?, "
            "finished_at = ? WHERE id = ?",
            (state, reply, reason, finished, row_id),
        )


def state_counts(store: Store, campaign_id: int) -> dict[str, int]:
    """How many of the campaign's rows are in each state (every state listed)."""
    counts = dict.fromkeys(STATES, 0)
    for state, count in store.execute(
        "SELECT state, count(*) FROM outbox WHERE campaign_id = ? GROUP BY state", (campaign_id,)
    ):
        counts[state] = count
    return counts


def campaigns_with_queued(store: Store, names: Iterable[str]) -> list[str]:
    """Those of `names` (in their order) whose outbox still holds queued messages: what an
    earlier run deferred or left when the server was unreachable."""
    waiting = {
        name
        for (name,) in store.conn.execute(
            "SELECT DISTINCT c.name FROM outbox o JOIN campaigns c ON c.id = o.campaign_id "
            "WHERE o.state = 'queued'"
        )
    }
    return [name for name in names if name in waiting]
