"""What composing produces: a draft, a customer left out (with the reason), a failed draft.

Kept apart from `composer` so that export, MIME and the workers can name these types without
the whole composer.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.compose.errors import TemplateError
from core.shop_settings import format_mailbox

REASONS: dict[str, str] = {
    "unknown": "no such customer",
    "no_email": "no email address",
    "bad_email": "email address not usable",
    "no_consent": "no marketing consent",
    "suppressed": "address on the suppression list (withdrew consent or was erased)",
    "duplicate": "same email address as an earlier recipient",
    "no_order": "no order to write about",
    "ordered_recently": "ordered too recently for this email",
    "order_too_old": "last order too long ago for this email",
    "no_recommendations": "already bought every bestseller",
    "contacted_recently": "had a marketing email too recently (frequency cap)",
    "not_enough_points": "fewer loyalty points than the points code costs",
    "nps_answer": "their latest survey answer is not the kind this email answers",
}


@dataclass(frozen=True)
class Recipient:
    """A customer in the list, with the reason code when they get no draft."""

    customer_id: int
    name: str
    email: str
    language: str | None
    reason: str | None = None
    discount_code: str | None = None
    """The recipient's own code (a campaign with unique codes); None: the shared one."""

    @property
    def included(self) -> bool:
        return self.reason is None

    @property
    def reason_text(self) -> str:
        return REASONS.get(self.reason or "", "")

    def to_dict(self) -> dict[str, object]:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "email": self.email,
            "language": self.language,
            "included": self.included,
            "reason": self.reason,
            "reason_text": self.reason_text,
        }


@dataclass(frozen=True)
class Draft:
    """One rendered email, not yet a file (see `core.compose.mime`)."""

    customer_id: int
    template: str
    kind: str
    language: str
    locale: str
    to_name: str
    to_address: str
    subject: str
    text: str
    html: str | None
    from_name: str
    from_address: str
    reply_to: str
    discount_code: str | None = None
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""
    excluded: str | None = None
    first_name: str = ""
    last_name: str = ""
    """The parts of `to_name` (one line each): an audience file has a column for each."""

    @property
    def marketing(self) -> bool:
        return self.kind == "marketing"

    @property
    def headers(self) -> dict[str, str]:
        """The headers as a person reads them (encoding happens when the file is written)."""
        headers = {
            "From": format_mailbox(self.from_name, self.from_address),
            "To": format_mailbox(self.to_name, self.to_address) if self.to_address else "",
            "Subject": self.subject,
        }
        if self.reply_to and self.reply_to != self.from_address:
            headers["Reply-To"] = self.reply_to
        if self.list_unsubscribe:
            headers["List-Unsubscribe"] = self.list_unsubscribe
            if self.unsubscribe_url:
                headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return headers

    @property
    def list_unsubscribe(self) -> str:
        if not self.marketing:
            return ""
        links = [self.unsubscribe_url, self.unsubscribe_mailto]
        return ", ".join(f"<{link}>" for link in links if link)


@dataclass(frozen=True)
class FailedDraft:
    """A customer whose draft did not render: the export reports it and writes nothing."""

    customer_id: int
    error: TemplateError
