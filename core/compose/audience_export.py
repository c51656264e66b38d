"""`export --format audience --for SERVICE`: a contacts file a mail service imports.

An owner who already sends through Mailchimp, Klaviyo or listmonk hands a campaign's
recipients there instead of sending drafts. The file is written by the campaign export
(`core.campaigns.export_campaign`) like any other format, so consent, suppression, the
frequency cap, unique codes and the holdout decide who is in it exactly as they decide who
gets a draft; only the writer differs. The columns of each service are fixed and explained
in docs/handoff.md, with the pages of each service's import format they follow.

Every cell is customer data: one line (`header_text`), cut to what the services keep
(255 bytes in Mailchimp's text fields), and formula-safe (`neutralise_cell`). Files are
plain UTF-8 without a BOM: the services read the first header as the email column, a BOM
would hide it from Klaviyo's and Mailchimp's matching.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from core.addresses import header_text
from core.codes import code_value
from core.compose.draft_writers import CsvWriter
from core.compose.drafts import Draft
from core.compose.errors import ComposeError
from core.draft_formats import AUDIENCE, SERVICES
from core.values import format_cents

MAX_CHARS = 100
"""The longest name or tag written: the services' limits are larger (Mailchimp tags 100)."""
MAX_BYTES = 255
"""Mailchimp clips text fields at 255 bytes of UTF-8; a name is cut, with an ellipsis, first."""


class Contact(NamedTuple):
    """One recipient as the renderer hands it to the writer (`payload`)."""

    customer_id: str
    email: str
    first_name: str
    last_name: str
    language: str
    code: str


def payload(draft: Draft, code: str | None) -> tuple[str, ...]:
    """What a rendered draft contributes to an audience file: the recipient's own code is
    written even when the template's text never prints it (the service's email will)."""
    return tuple(
        Contact(
            str(draft.customer_id), draft.to_address, draft.first_name, draft.last_name,
            draft.language, code or "",
        )
    )  # fmt: skip


@dataclass(frozen=True)
class HandOff:
    """What every row of one audience file shares."""

    service: str
    campaign: str
    run: int
    """1 for the campaign's first run that writes, 2 for the next (re-runs add newcomers)."""
    discount: dict[str, Any] | None = None
    """The campaign's discount as stored (core.campaigns.run.discount_record)."""

    @property
    def value(self) -> str:
        """'10%' or '5.00 EUR'; '' without a discount."""
        if self.discount is None:
            return ""
        text = code_value(self.discount["kind"], self.discount["value"])
        return (
            f"{text}%"
            if self.discount["kind"] == "percent"
            else f"{text} {self.discount['currency']}"
        )

    @property
    def expires(self) -> str:
        return "" if self.discount is None else self.discount["expires"] or ""

    @property
    def min_order(self) -> str:
        cents = None if self.discount is None else self.discount["min_order"]
        return format_cents(cents) if cents else ""

    @property
    def run_label(self) -> str:
        """`<campaign> run <n>`: names exactly the contacts of this file (a tag, a list)."""
        suffix = f" run {self.run}"
        return clip(self.campaign, MAX_CHARS - len(suffix)) + suffix


def clip(text: str, chars: int = MAX_CHARS) -> str:
    """`text` on one line, at most `chars` characters and `MAX_BYTES` bytes of UTF-8, ending
    in an ellipsis when cut."""
    text = header_text(text)
    if len(text) <= chars and len(text.encode()) <= MAX_BYTES:
        return text
    cut = text[: chars - 1]
    while len(cut.encode()) > MAX_BYTES - 3:  # the ellipsis takes 3 bytes
        cut = cut[:-1]
    return cut.rstrip() + "…"


def _coupon(contact: Contact, handoff: HandOff) -> tuple[str, str, str, str]:
    """Code, value, expiry and minimum order; all empty for a campaign without a discount."""
    if not contact.code:
        return "", "", "", ""
    return contact.code, handoff.value, handoff.expires, handoff.min_order


def _full_name(contact: Contact) -> str:
    return clip(f"{contact.first_name} {contact.last_name}".strip())


MAILCHIMP_COLUMNS = ("Email Address", "First Name", "Last Name", "COUPON", "DISCOUNT",
                     "COUPONEXP", "MINORDER", "LANGUAGE", "CUSTID", "Tags")  # fmt: skip


def _mailchimp(contact: Contact, handoff: HandOff) -> list[str]:
    code, value, expires, min_order = _coupon(contact, handoff)
    # The Tags column is split at commas: neither tag may hold one.
    tags = (clip(handoff.campaign), handoff.run_label)
    return [
        contact.email, clip(contact.first_name), clip(contact.last_name), code, value, expires,
        min_order, contact.language, contact.customer_id,
        ",".join(tag.replace(",", " ") for tag in tags),
    ]  # fmt: skip


KLAVIYO_COLUMNS = ("Email", "First Name", "Last Name", "Coupon Code", "Coupon Value",
                   "Coupon Expires", "Coupon Minimum Order", "Language", "Retain Customer ID",
                   "Retain Campaign")  # fmt: skip


def _klaviyo(contact: Contact, handoff: HandOff) -> list[str]:
    code, value, expires, min_order = _coupon(contact, handoff)
    return [
        contact.email, clip(contact.first_name), clip(contact.last_name), code, value, expires,
        min_order, contact.language, contact.customer_id, handoff.run_label,
    ]  # fmt: skip


LISTMONK_COLUMNS = ("email", "name", "attributes")


def _listmonk(contact: Contact, handoff: HandOff) -> list[str]:
    code, value, expires, min_order = _coupon(contact, handoff)
    attributes = {
        "customer_id": int(contact.customer_id),
        "first_name": clip(contact.first_name),
        "last_name": clip(contact.last_name),
        "language": contact.language,
        "coupon": code or None,
        "coupon_value": value or None,
        "coupon_expires": expires or None,
        "min_order": min_order or None,
        "campaign": clip(handoff.campaign),
        "run": handoff.run,
    }
    # Compact JSON on one line: json escapes every control character and line break.
    text = json.dumps(attributes, ensure_ascii=False, separators=(",", ":"))
    return [contact.email, _full_name(contact), text]


@dataclass(frozen=True)
class Layout:
    columns: tuple[str, ...]
    row: Callable[[Contact, HandOff], list[str]]


LAYOUTS: dict[str, Layout] = {
    "mailchimp": Layout(MAILCHIMP_COLUMNS, _mailchimp),
    "klaviyo": Layout(KLAVIYO_COLUMNS, _klaviyo),
    "listmonk": Layout(LISTMONK_COLUMNS, _listmonk),
}
assert tuple(LAYOUTS) == SERVICES


def check_handoff(fmt: str, service: str | None) -> None:
    """`--for` goes with `--format audience` and names one of the services."""
    if fmt == AUDIENCE and service is None:
        raise ComposeError(f"--format audience needs --for {'|'.join(SERVICES)}")
    if service is not None and fmt != AUDIENCE:
        raise ComposeError("--for needs --format audience (a contacts file for a mail service)")
    if service is not None and service not in LAYOUTS:
        raise ComposeError(f"--for {service[:40]!r}: choose one of {', '.join(SERVICES)}")


def next_run(conn: sqlite3.Connection, campaign_id: int | None) -> int:
    """The number of this run among the campaign's runs that drafted someone, plus one:
    every run writes its drafted rows with its own time (core.campaigns.records)."""
    if campaign_id is None:
        return 1
    (runs,) = conn.execute(
        "SELECT count(DISTINCT recorded_at) FROM campaign_recipients "
        "WHERE campaign_id = ? AND outcome = 'drafted'",
        (campaign_id,),
    ).fetchone()
    return int(runs) + 1


class AudienceWriter(CsvWriter):
    """One row per recipient in the columns of `handoff.service`; plain UTF-8."""

    encoding = "utf-8"

    def __init__(self, out: Path, handoff: HandOff) -> None:
        self.handoff = handoff
        self.layout = LAYOUTS[handoff.service]
        super().__init__(out)

    def header(self) -> Sequence[str]:
        return self.layout.columns

    def cells(self, payload: object) -> Sequence[str]:
        assert isinstance(payload, tuple)
        return [header_text(cell) for cell in self.layout.row(Contact(*payload), self.handoff)]


def audience_writer(handoff: HandOff) -> Callable[[Path], AudienceWriter]:
    """The writer factory `write_plan` calls with the target path."""
    return lambda out: AudienceWriter(out, handoff)
