"""What a flow is (docs/flows.md): a saved rule, a trigger, a template, a delay, and what one
run of the flows reports. Plain values only: the store and the composer live elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.nps.figures import DETRACTOR_MAX, PROMOTER_MIN

__all__ = [
    "FLOW_NAME",
    "TRIGGER_FORMS",
    "Flow",
    "FlowError",
    "FlowRunResult",
    "FlowStatus",
    "FlowsReport",
    "Trigger",
    "check_flow_name",
    "parse_trigger",
]


class FlowError(ValueError):
    """Bad input for a flow (one line naming the option or the flow): exit 2, nothing changed."""


TRIGGER_FORMS = (
    "nth-order:N, order, last-order, segment:NAME, tier:NAME, replenishment, "
    "p-alive-below:X or nps-answer:detractor|passive|promoter"
)
"""Every form `parse_trigger` reads, as the option's help and its refusal say them."""

MAX_NTH_ORDER = 1000
NPS_ANSWERS = {
    "detractor": (0, DETRACTOR_MAX),
    "passive": (DETRACTOR_MAX + 1, PROMOTER_MIN - 1),
    "promoter": (PROMOTER_MIN, 10),
}
"""`nps-answer:KIND` -> the scores (inclusive) it fires on (docs/nps.md's categories)."""
_P_ALIVE = re.compile(r"0?\.[0-9]{1,6}")
"""A threshold strictly between 0 and 1 as written: 0.3, .25 (up to 6 decimals)."""
FLOW_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,49}")
"""A flow's name: it goes into its campaigns' names (`flow-<name>-<date>`) and folders."""


@dataclass(frozen=True)
class Trigger:
    """When a customer enters a flow; `str(trigger)` gives the text `parse_trigger` reads."""

    kind: str
    """"nth-order" | "order" | "last-order" | "segment" | "tier" | "replenishment" |
    "p-alive-below" | "nps-answer"."""
    value: int | float | str | None = None
    """n for nth-order, the segment's or tier's name for segment and tier, the threshold
    (0 < X < 1) for p-alive-below, the answer's kind for nps-answer, None otherwise."""

    def __str__(self) -> str:
        return self.kind if self.value is None else f"{self.kind}:{self.value}"


def parse_trigger(text: str) -> Trigger:
    """`nth-order:1`, `order`, `last-order`, `segment:Champions`, `tier:Gold`,
    `replenishment`, `p-alive-below:0.3`, `nps-answer:detractor`; FlowError otherwise."""
    cleaned = text.strip()
    kind, colon, value = cleaned.partition(":")
    kind = kind.strip().lower()
    value = value.strip()
    if kind in ("order", "last-order", "replenishment") and not colon:
        return Trigger(kind)
    if kind == "nth-order" and value.isdigit() and len(value) <= 4:
        n = int(value)
        if 1 <= n <= MAX_NTH_ORDER:
            return Trigger(kind, n)
        raise FlowError(f"--trigger {text[:60]!r}: n must be 1 to {MAX_NTH_ORDER}")
    if kind in ("segment", "tier") and value and value.isprintable():
        return Trigger(kind, value)
    if kind == "p-alive-below" and colon:
        if _P_ALIVE.fullmatch(value) and 0 < float(value) < 1:
            return Trigger(kind, float(value))
        raise FlowError(f"--trigger {text[:60]!r}: X is a probability between 0 and 1, "
                        "exclusive, e.g. p-alive-below:0.3")  # fmt: skip
    if kind == "nps-answer" and colon:
        if value.lower() in NPS_ANSWERS:
            return Trigger(kind, value.lower())
        raise FlowError(f"--trigger {text[:60]!r}: use nps-answer:detractor (scores 0-6), "
                        "nps-answer:passive (7-8) or nps-answer:promoter (9-10)")  # fmt: skip
    raise FlowError(f"--trigger {text[:60]!r}: use {TRIGGER_FORMS}")


def check_flow_name(name: str) -> str:
    """The name as given, or FlowError: letters, digits, '-' and '_', up to 50."""
    if not FLOW_NAME.fullmatch(name):
        raise FlowError(
            f"flow name {name[:60]!r}: 1 to 50 letters, digits, '-' or '_', starting with a "
            "letter or digit"
        )
    return name


@dataclass(frozen=True)
class Flow:
    """A saved rule (table `flows`)."""

    name: str
    trigger: Trigger
    template: str
    delay_days: int
    discount: str | None
    """As typed for export --discount ("10%", "5EUR"); None: no discount."""
    min_gap_days: int | None
    """The flow's own frequency cap; None: the shop's `campaigns.min_gap_days`."""
    holdout_percent: Decimal
    enabled: bool
    enabled_as_of: date | None
    """The store's as-of date when it was enabled: no event before it is handled."""
    shipped: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "trigger": str(self.trigger), "template": self.template,
            "delay_days": self.delay_days, "discount": self.discount,
            "min_gap_days": self.min_gap_days, "holdout_percent": str(self.holdout_percent),
            "enabled": self.enabled,
            "enabled_as_of": _iso(self.enabled_as_of),
            "shipped": self.shipped,
        }  # fmt: skip


@dataclass(frozen=True)
class FlowStatus:
    """A flow as listed: its last run and how many customers it would reach at the as-of date."""

    flow: Flow
    last_run_as_of: date | None
    """As-of date of its last run that wrote (not --dry-run)."""
    last_run_at: str | None
    """UTC time of that run (ISO)."""
    due_today: int | None
    """Customers due at the as-of date (before consent, cap and the template's own rules);
    None when it cannot run (`problem` says why) or was not counted."""
    problem: str | None

    def to_dict(self) -> dict[str, object]:
        return self.flow.to_dict() | {
            "last_run_as_of": _iso(self.last_run_as_of),
            "last_run_at": self.last_run_at, "due_today": self.due_today,
            "problem": self.problem,
        }  # fmt: skip


@dataclass
class FlowRunResult:
    """What one flow did in one `flows run`."""

    name: str
    campaign: str | None = None
    """`flow-<name>-<as-of>`, or None when nobody was due (or the flow failed)."""
    due: int = 0
    """Customers whose trigger fired in the run's window and still holds, not entered before."""
    drafted: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    """Reason -> customers."""
    held_out: int = 0
    error: str | None = None
    """One line, when the flow failed (the others still ran)."""
    window: tuple[date, date] | None = None
    """(start, end]: the fire days this run handled."""
    path: str | None = None
    """Where its drafts were written."""

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "campaign": self.campaign, "due": self.due,
            "drafted": self.drafted, "left_out": dict(sorted(self.left_out.items())),
            "held_out": self.held_out, "error": self.error,
            "window": None if self.window is None else [d.isoformat() for d in self.window],
            "path": self.path,
        }  # fmt: skip


@dataclass
class FlowsReport:
    """One `flows run`: a result per enabled flow, in name order."""

    as_of: date
    dry_run: bool
    flows: list[FlowRunResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(result.error is not None for result in self.flows)

    def to_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(), "dry_run": self.dry_run,
            "failed": self.failed, "flows": [result.to_dict() for result in self.flows],
        }  # fmt: skip


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
