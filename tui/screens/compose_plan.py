"""What the compose screen works with: the audience, the owner's choice, and the plan of who
gets a draft. Plain data, no widgets: the screen, its workers and the export dialog share it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from core.compose import Discount, Recipient

View = Literal["all", "left out", "drafted"]
VIEWS: tuple[View, ...] = ("all", "left out", "drafted")


@dataclass(frozen=True)
class Audience:
    """Who the drafts are for: a segment's members (read when the screen opens) or customers
    by id. `label` names them on screen and in the export's default file name."""

    label: str
    segment: str | None = None
    customer_ids: tuple[int, ...] = ()

    @property
    def stem(self) -> str:
        """A short name for files: the segment's, or `customer-42`."""
        if self.segment is not None:
            return self.segment
        if len(self.customer_ids) == 1:
            return f"customer-{self.customer_ids[0]}"
        return "customers"


@dataclass(frozen=True)
class Choice:
    """What the owner chose: the preview and the export are made from this."""

    template: str
    lang: str | None = None
    discount: Discount | None = None


@dataclass
class Plan:
    """Everyone in the audience for one template and language, included or left out;
    only the first of them while `complete` is False."""

    template: str
    lang: str | None
    recipients: list[Recipient]
    left_out: Counter[str] = field(default_factory=Counter)
    complete: bool = True
    exact: bool = True
    """False until those with nothing to recommend are known: `drafted` is an upper bound."""

    @property
    def drafted(self) -> int:
        return len(self.recipients) - sum(self.left_out.values())


def make_plan(choice: Choice, recipients: list[Recipient], *, complete: bool, exact: bool) -> Plan:
    """The plan for `choice` with everyone in `recipients`, the left out counted by reason."""
    left_out = Counter(r.reason for r in recipients if r.reason is not None)
    return Plan(choice.template, choice.lang, recipients, left_out, complete, exact)
