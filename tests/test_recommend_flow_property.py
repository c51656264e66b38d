"""The `replenishment` flow trigger against a day-by-day reading of docs/flows.md and
docs/recommendations.md over random shops and random run days (missed and repeated days):
each customer enters exactly when a reminder falls due, once per purchase. The reference
reads only the generated orders (tests/recommend_reference.py), never core.flows."""

from __future__ import annotations

import statistics
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.flows import add_flow, enable_flow, parse_trigger, run_flows
from core.recommend import REMIND_UNTIL, Rules
from tests.flows_support import NOTE, entries, owner_templates
from tests.recommend_reference import PlainOrder, customer_products, sums
from tests.test_recommend import TODAY, shop

BACKGROUND = [
    order
    for customer in range(1, 11)
    for order in ((f"B{customer}a", customer, 400, ["TEA"]), (f"B{customer}b", customer,
                                                              370 - customer % 3, ["TEA"]))
]  # fmt: skip
"""Ten customers who bought TEA twice long ago (28 to 30 days apart): TEA is reordered."""


def due_events(orders: list[PlainOrder], low: int, high: int, day: int) -> set[tuple[int, str]]:
    """(customer, key) of the reminders due in (low, high] and still timely on `day`."""
    rules = Rules()
    held = customer_products(orders, day)
    total = sums(held)
    found = set()
    for customer, products in held.items():
        for key, item in products.items():
            buyers, repeaters = total.buyers[key], total.repeaters[key]
            if buyers < rules.reorder_min_buyers or key not in total.intervals:
                continue
            if repeaters * 100 < rules.reorder_min_percent * buyers:
                continue
            interval = statistics.median_low(total.intervals[key])
            if low < item.last + interval <= high and interval <= day - item.last < (
                REMIND_UNTIL * interval
            ):
                found.add((customer, f"replenishment:{date.fromordinal(item.last).isoformat()}"))
    return found


@st.composite
def cases(draw: st.DrawFn) -> tuple[list, int, int, list[int]]:
    orders = [
        (f"O{number}", draw(st.integers(11, 14)), draw(st.integers(0, 90)),
         draw(st.sampled_from([["TEA"], ["COF"], ["TEA", "COF"]])))
        for number in range(draw(st.integers(0, 14)))
    ]  # fmt: skip
    delay = draw(st.integers(0, 3))
    enabled = draw(st.integers(20, 60))  # days before TODAY
    runs = sorted(draw(st.lists(st.integers(0, enabled), min_size=1, max_size=14)), reverse=True)
    return orders, delay, enabled, runs


@settings(max_examples=30, deadline=None)
@given(cases())
def test_runs_enter_exactly_the_customers_whose_reminder_fell_due(
    case: tuple[list, int, int, list[int]],
) -> None:
    orders, delay, enabled_ago, runs = case
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        store, ids = shop(folder, [*BACKGROUND, *orders])
        try:
            plain = [
                PlainOrder(n, ids[customer], False, (TODAY - timedelta(days=ago)).toordinal(),
                           tuple(skus))
                for n, (_, customer, ago, skus) in enumerate([*BACKGROUND, *orders])
            ]  # fmt: skip
            templates = owner_templates(folder)
            add_flow(store, "refill", parse_trigger("replenishment"), NOTE, delay_days=delay,
                     templates_dir=templates)  # fmt: skip
            enabled = TODAY - timedelta(days=enabled_ago)
            enable_flow(store, "refill", enabled)
            handled: set[tuple[int, str]] = set()
            last_run = enabled
            for ago in runs:
                day = TODAY - timedelta(days=ago)
                report = run_flows(store, day, out_dir=folder / "drafts", templates_dir=templates)
                assert not report.failed, report.to_dict()
                start = max(enabled, last_run)
                d = day.toordinal()
                handled |= due_events(plain, start.toordinal() - delay, d - delay, d)
                last_run = max(last_run, day)
                assert entries(store, "refill") == handled, day
        finally:
            store.close()
