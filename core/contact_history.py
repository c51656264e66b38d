"""A customer's contact history (issue 13): every campaign that selected them (drafted,
held out, or left out and why), every code they were given, and every campaign code their
orders redeemed. Read from the campaign tables and the view `code_redemptions`; an erased
customer keeps this history under their anonymised row, as the campaign figures do."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from core.codes import code_value
from core.store import Store
from core.values import format_cents


@dataclass(frozen=True)
class Contact:
    """The customer's row in one campaign."""

    campaign: str
    template: str
    kind: str  # 'marketing' | 'transactional'
    outcome: str  # 'drafted' | 'held_out' | 'left_out'
    reason: str | None
    language: str | None
    at: str  # UTC ISO time the row was recorded


@dataclass(frozen=True)
class GivenCode:
    """A code drafted for the customer, and the orders (anyone's) that redeemed it."""

    code: str
    campaign: str
    kind: str  # 'percent' (value in basis points) | 'amount' (cents)
    value: int
    currency: str | None
    expires: str | None
    at: str
    redeemed_by: list[str] = field(default_factory=list)

    @property
    def value_text(self) -> str:
        """'10 %' or '5.00 EUR'."""
        unit = "%" if self.kind == "percent" else self.currency or ""
        return f"{code_value(self.kind, self.value)} {unit}".rstrip()


@dataclass(frozen=True)
class Redemption:
    """An order of the customer's that carried a campaign code (theirs or someone else's)."""

    code: str
    campaign: str
    order: str  # the order's id in the shop's export
    ordered_on: str  # ISO date
    net: int  # cents, total less refunds
    currency: str | None
    own_code: bool


@dataclass(frozen=True)
class HistoryEvent:
    """One line of the history as the app lists it, oldest first."""

    when: str  # ISO date (or time) the event happened
    campaign: str
    what: str
    detail: str


OUTCOME_WORDS = {"drafted": "drafted", "held_out": "held out (control group)",
                 "left_out": "left out"}  # fmt: skip


@dataclass
class ContactHistory:
    contacts: list[Contact] = field(default_factory=list)
    codes: list[GivenCode] = field(default_factory=list)
    redemptions: list[Redemption] = field(default_factory=list)

    def events(self) -> list[HistoryEvent]:
        """Contacts, codes and redemptions in one list, oldest first."""
        events = [
            HistoryEvent(
                contact.at, contact.campaign, OUTCOME_WORDS.get(contact.outcome, contact.outcome),
                contact.reason or f"{contact.template} ({contact.kind}, {contact.language or '-'})",
            )
            for contact in self.contacts
        ]  # fmt: skip
        events += [
            HistoryEvent(
                code.at, code.campaign, "code",
                f"{code.code}: {code.value_text}"
                + (f", until {code.expires}" if code.expires else "")
                + (f"; redeemed by {', '.join(code.redeemed_by)}" if code.redeemed_by else ""),
            )
            for code in self.codes
        ]  # fmt: skip
        events += [
            HistoryEvent(
                redemption.ordered_on, redemption.campaign, "redeemed",
                f"{redemption.code} with order {redemption.order} "
                f"({format_cents(redemption.net)}"
                f"{' ' + redemption.currency if redemption.currency else ''})"
                + ("" if redemption.own_code else ", a code given to another customer"),
            )
            for redemption in self.redemptions
        ]  # fmt: skip
        return sorted(events, key=lambda event: (event.when[:10], event.when))

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        for code, shown in zip(data["codes"], self.codes, strict=True):
            code["value_text"] = shown.value_text
        return data


def contact_history(store: Store, customer_id: int) -> ContactHistory:
    """Everything the campaigns did with `customer_id`, oldest first in each list."""
    history = ContactHistory()
    history.contacts = [
        Contact(*row)
        for row in store.execute(
            """
            SELECT c.name, c.template, c.kind, r.outcome, r.reason, r.language, r.recorded_at
            FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
            WHERE r.customer_id = ? ORDER BY r.recorded_at, c.id
            """,
            (customer_id,),
        )
    ]
    redeemed_by: dict[str, list[str]] = {}
    for code, order in store.execute(
        """
        SELECT r.code, o.external_id FROM code_redemptions r JOIN orders o ON o.id = r.order_id
        WHERE r.issued_to = ? ORDER BY r.ordered_day, r.order_id
        """,
        (customer_id,),
    ):
        redeemed_by.setdefault(code, []).append(order)
    history.codes = [
        GivenCode(*row, redeemed_by=redeemed_by.get(row[0], []))
        for row in store.execute(
            """
            SELECT d.code, c.name, d.kind, d.value, d.currency, d.expires, d.created_at
            FROM discount_codes d JOIN campaigns c ON c.id = d.campaign_id
            WHERE d.customer_id = ? ORDER BY d.created_at, d.code
            """,
            (customer_id,),
        )
    ]
    history.redemptions = [
        Redemption(
            code,
            campaign,
            order,
            date.fromordinal(day).isoformat(),
            net,
            currency,
            issued_to == customer_id,
        )
        for code, campaign, order, day, net, currency, issued_to in store.execute(
            """
            SELECT r.code, c.name, o.external_id, r.ordered_day, r.net, o.currency, r.issued_to
            FROM code_redemptions r JOIN orders o ON o.id = r.order_id
            JOIN campaigns c ON c.id = r.campaign_id
            WHERE r.customer_id = ? ORDER BY r.ordered_day, r.order_id
            """,
            (customer_id,),
        )
    ]
    return history
