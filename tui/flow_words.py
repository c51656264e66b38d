"""How a flow reads: its trigger in words ("1 day after a first order"), its state, who is due.

Plain strings built from `core.flows` values. They hold the owner's text as it is (a segment's
or a template's name): the callers make them safe to show (the app with `tui.safe_text`) and
show them without markup. No textual import here, so a command can use the same words.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.flows import Flow, FlowStatus, Trigger, window_start
from core.flows.model import NPS_ANSWERS

EMPTY = "—"
COUNTING = "…"

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def ordinal(n: int) -> str:
    """1 -> 'first' ... 5 -> 'fifth', then '6th', '11th', '21st', '102nd'."""
    if n in _ORDINALS:
        return _ORDINALS[n]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def days(n: int) -> str:
    return "1 day" if n == 1 else f"{n:,} days"


def event_words(trigger: Trigger) -> str:
    """What happens to a customer: 'a first order', 'the last order', 'entering Champions'."""
    if trigger.kind == "nth-order" and isinstance(trigger.value, int):
        return f"a {ordinal(trigger.value)} order"
    if trigger.kind == "order":
        return "an order"
    if trigger.kind == "last-order":
        return "the last order"
    if trigger.kind == "segment":
        return f"entering {trigger.value}"
    if trigger.kind == "p-alive-below":
        return f"p_alive falling below {trigger.value}"  # in a new fit (docs/flows.md)
    if trigger.kind == "nps-answer":
        low, high = NPS_ANSWERS[str(trigger.value)]
        return f"a score of {low}-{high}"  # an NPS answer, still the customer's latest
    return str(trigger)  # a kind a later feature adds: its own text is the best words we have


def trigger_words(flow: Flow) -> str:
    """'1 day after a first order', '120 days after the last order', 'on entering Champions'."""
    event = event_words(flow.trigger)
    return f"{days(flow.delay_days)} after {event}" if flow.delay_days else f"on {event}"


def state_word(flow: Flow) -> str:
    return "on" if flow.enabled else "off"


def due_cell(status: FlowStatus | None) -> str:
    """The table's count: customers due, '…' while counting, 'problem' when it cannot run."""
    if status is None:
        return COUNTING
    if status.problem:
        return "problem"
    return COUNTING if status.due_today is None else f"{status.due_today:,}"


def due_line(status: FlowStatus | None, as_of: date) -> str:
    """Whom the flow would email at the as-of date, in the window `flows run` would use: an
    enabled flow since its last run (or since it was enabled), a disabled one as a daily run."""
    if status is not None and status.problem:
        return f"Cannot run: {status.problem}"
    if status is None or status.due_today is None:
        return f"Counting who is due as of {as_of}…"
    due = status.due_today
    who = "nobody" if due == 0 else "1 customer" if due == 1 else f"{due:,} customers"
    flow = status.flow
    if not flow.enabled:
        return f"If it were on, a run as of {as_of} would find {who} due."
    start = window_start(flow, status.last_run_as_of, as_of)
    return f"Due at the next run: {who} (triggers fired after {start}, up to {as_of})."


def settings_line(flow: Flow) -> str:
    """'template win-back · discount 10% · shop's cap · holdout 10 %'."""
    discount = f"discount {flow.discount}" if flow.discount else "no discount"
    cap = "shop's cap" if flow.min_gap_days is None else f"cap {days(flow.min_gap_days)}"
    holdout = (
        f"holdout {_percent(flow.holdout_percent)} %" if flow.holdout_percent else "no holdout"
    )
    return f"template {flow.template} · {discount} · {cap} · {holdout}"


def run_line(status: FlowStatus) -> str:
    """'On since 2024-10-06 · last run as of 2024-10-05' or 'Off · never run'."""
    flow = status.flow
    if flow.enabled:
        since = f" since {flow.enabled_as_of.isoformat()}" if flow.enabled_as_of else ""
        state = f"On{since}"
    else:
        state = "Off"
    if status.last_run_as_of is None:
        return f"{state} · never run"
    return f"{state} · last run as of {status.last_run_as_of.isoformat()}"


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f")
