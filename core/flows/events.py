"""Which customers a flow's trigger fires for in a window of days (docs/flows.md, "Triggers").

An event is (customer, occurrence) on an event day e; it fires on e + delay. A run at as-of D
handles the events that fired in (start, D] and still hold on D. Orders are counted as the
metrics count them: `customer_days` holds the counting orders (neither cancelled nor fully
refunded) of known customers per day, kept by every import, so no query reads `orders`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from core.flows.model import Flow, Trigger
from core.store import Store

__all__ = ["Event", "SegmentMembers", "due_events", "fired_events"]

_CHUNK = 500


@dataclass(frozen=True)
class Event:
    customer_id: int
    key: str
    """What makes it one event: 'nth-order:N' (once per customer), 'replenishment:<date of
    the purchase that started the interval>', else the event's date."""
    day: date


def fired_events(
    store: Store, flow: Flow, start: date, as_of: date, members: SegmentMembers | None = None
) -> list[Event]:
    """Events of `flow` that fired in (start, as_of] and still hold on `as_of`."""
    delay = timedelta(days=flow.delay_days)
    low, high = start - delay, as_of - delay
    if high <= low:
        return []
    trigger = flow.trigger
    if trigger.kind == "replenishment":
        return _replenishment_events(store, low, high, as_of)
    if trigger.kind == "segment":
        return _segment_entries(members or SegmentMembers(store), str(trigger.value), low, high,
                                as_of)  # fmt: skip
    if trigger.kind == "tier":
        return _tier_events(store, trigger, low, high, as_of)
    if trigger.kind == "p-alive-below":
        return _p_alive_events(store, float(trigger.value), low, high, as_of)  # type: ignore[arg-type]
    if trigger.kind == "nps-answer":
        return _nps_events(store, str(trigger.value), low, high, as_of)
    sql, params = _order_sql(trigger, low.toordinal(), high.toordinal(), as_of.toordinal())
    return [
        Event(customer_id, _key(trigger, day), date.fromordinal(day))
        for customer_id, day in store.execute(sql, params)
    ]


def due_events(store: Store, flow_id: int, events: list[Event]) -> list[Event]:
    """`events` without those the flow already handled (table flow_entries)."""
    handled: set[tuple[int, str]] = set()
    customers = sorted({event.customer_id for event in events})
    for at in range(0, len(customers), _CHUNK):
        chunk = customers[at : at + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        handled.update(
            store.execute(
                "SELECT customer_id, event_key FROM flow_entries "
                f"WHERE flow_id = ? AND customer_id IN ({marks})",
                (flow_id, *chunk),
            )
        )
    return [event for event in events if (event.customer_id, event.key) not in handled]


def _key(trigger: Trigger, day: int) -> str:
    if trigger.kind == "nth-order":
        return str(trigger)
    return date.fromordinal(day).isoformat()


def _order_sql(trigger: Trigger, low: int, high: int, as_of: int) -> tuple[str, tuple[int, ...]]:
    """(customer_id, event day) for the order triggers, event days in (low, high]."""
    window = "d.day > ? AND d.day <= ?"
    if trigger.kind == "order":
        return f"SELECT d.customer_id, d.day FROM customer_days d WHERE {window}", (low, high)
    if trigger.kind == "last-order":
        # Still the last order on the as-of date: no later counting order up to it.
        return (
            f"SELECT d.customer_id, d.day FROM customer_days d WHERE {window} AND NOT EXISTS ("
            " SELECT 1 FROM customer_days n WHERE n.customer_id = d.customer_id"
            " AND n.day > d.day AND n.day <= ?)",
            (low, high, as_of),
        )
    assert trigger.kind == "nth-order" and isinstance(trigger.value, int)
    # The day on which the customer's count of counting orders reaches n, still their latest
    # order on the as-of date (exactly n orders up to it: one thank-you per moment).
    return (
        "SELECT customer_id, day FROM ("
        " SELECT d.customer_id, d.day, d.orders, (SELECT coalesce(sum(p.orders), 0)"
        "  FROM customer_days p WHERE p.customer_id = d.customer_id AND p.day < d.day) AS before"
        f" FROM customer_days d WHERE {window} AND NOT EXISTS ("
        "  SELECT 1 FROM customer_days n WHERE n.customer_id = d.customer_id"
        "  AND n.day > d.day AND n.day <= ?)"
        ") WHERE before + orders = ?",
        (low, high, as_of, trigger.value),
    )


def _replenishment_events(store: Store, low: date, high: date, as_of: date) -> list[Event]:
    """Due on e = the last purchase of a product customers reorder + its interval, both as of
    `as_of` (core/recommend), e in (low, high]; still holds on `as_of`: not bought again since
    and still timely (less than twice the interval). Keyed by the purchase, so a reminder is
    sent once per purchase even if the interval moves; one event per customer and purchase
    day when several products bought that day come due."""
    from core.recommend import Recommender

    due = Recommender(store, as_of).due_reminders(low.toordinal() + 1, high.toordinal())
    events: dict[tuple[int, str], Event] = {}
    for reminder in due:
        key = f"replenishment:{date.fromordinal(reminder.last_day).isoformat()}"
        day = date.fromordinal(reminder.due_day)
        held = events.get((reminder.customer_id, key))
        if held is None or day < held.day:
            events[(reminder.customer_id, key)] = Event(reminder.customer_id, key, day)
    return sorted(events.values(), key=lambda event: (event.day, event.customer_id))


def _tier_events(store: Store, trigger: Trigger, low: date, high: date, as_of: date) -> list[Event]:
    """Reaching tier NAME (key `tier:NAME`, once per customer): the first day e on which the
    customer's net spend over the 12 months up to e reached the tier's threshold, e in
    (low, high], and the spend over the 12 months up to `as_of` still reaches it. Spend only
    rises on order days, so e is an order day: only customers with an order in the window
    are read, each one's days walked once (core/loyalty for the rules and the window)."""
    from core.loyalty import load_rules, spend_window_start

    threshold = load_rules(store).find_tier(str(trigger.value)).threshold
    rows = store.execute(
        "SELECT d.customer_id, d.day, d.revenue FROM customer_days d "
        "WHERE d.customer_id IN (SELECT customer_id FROM customer_days WHERE day > ? AND day <= ?)"
        " AND d.day <= ? ORDER BY d.customer_id, d.day",
        (low.toordinal(), high.toordinal(), as_of.toordinal()),
    )
    days_of: dict[int, list[tuple[int, int]]] = {}
    for customer_id, day, revenue in rows:
        days_of.setdefault(customer_id, []).append((day, revenue))
    still_after = spend_window_start(as_of).toordinal()
    events = []
    for customer_id, days in days_of.items():
        if sum(revenue for day, revenue in days if day > still_after) < threshold:
            continue
        reached = _first_reached(days, threshold)
        if reached is not None and low.toordinal() < reached <= high.toordinal():
            events.append(Event(customer_id, str(trigger), date.fromordinal(reached)))
    return events


def _first_reached(days: list[tuple[int, int]], threshold: int) -> int | None:
    """The first of `days` (ordinal, revenue; ascending) whose 12-month spend reaches
    `threshold`: a sliding window, each day entering and leaving once."""
    from core.loyalty import spend_window_start

    spend, first = 0, 0
    for day, revenue in days:
        spend += revenue
        after = spend_window_start(date.fromordinal(day)).toordinal()
        while days[first][0] <= after:
            spend -= days[first][1]
            first += 1
        if spend >= threshold:
            return day
    return None


def _p_alive_events(
    store: Store, threshold: float, low: date, high: date, as_of: date
) -> list[Event]:
    """p_alive fell below `threshold` between the fit before the latest and the latest (the
    event's day: the latest fit's as-of date, in (low, high]; its key that date, so a later
    fit that crosses again after a rise is a new event). Still holds on `as_of` while that
    fit is the latest and the customer has not ordered since it."""
    from core.predict.stored import customers_whose_p_alive_fell_below, latest_fit

    fit = latest_fit(store)
    if fit is None or not low < fit.as_of <= high:
        return []
    crossed = customers_whose_p_alive_fell_below(store, threshold)
    ordered_since = {
        customer_id
        for (customer_id,) in store.execute(
            "SELECT DISTINCT customer_id FROM customer_days WHERE day > ? AND day <= ?",
            (fit.as_of.toordinal(), as_of.toordinal()),
        )
    }
    key = fit.as_of.isoformat()
    return [Event(c, key, fit.as_of) for c in crossed if c not in ordered_since]


def _nps_events(store: Store, answer: str, low: date, high: date, as_of: date) -> list[Event]:
    """An answer of kind `answer` given on day e in (low, high] that is still the customer's
    latest answer on `as_of` (key: e, so each such answer is one event)."""
    from core.flows.model import NPS_ANSWERS
    from core.nps.figures import latest_answers_given

    min_score, max_score = NPS_ANSWERS[answer]
    answers = latest_answers_given(store, low + timedelta(days=1), high, as_of,
                                   min_score=min_score, max_score=max_score)  # fmt: skip
    return [
        Event(customer_id, date.fromordinal(day).isoformat(), date.fromordinal(day))
        for customer_id, day in answers
    ]


class SegmentMembers:
    """Segment members as of a date, computed once per (segment, date) for one run."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._members: dict[tuple[str, date], frozenset[int]] = {}

    def on(self, name: str, day: date) -> frozenset[int]:
        key = (name.casefold(), day)
        if key not in self._members:
            from core.segments import segment_customer_ids

            self._members[key] = frozenset(segment_customer_ids(self.store, name, day))
        return self._members[key]


def _segment_entries(
    members: SegmentMembers, name: str, low: date, high: date, as_of: date
) -> list[Event]:
    """Entering the segment on day e (member as of e, not as of e - 1), e in (low, high],
    and still a member on `as_of`."""
    still = members.on(name, as_of)
    events: list[Event] = []
    for day in _days(low + timedelta(days=1), high):
        entered = members.on(name, day) - members.on(name, day - timedelta(days=1))
        events.extend(Event(c, day.isoformat(), day) for c in sorted(entered & still))
    return events


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
