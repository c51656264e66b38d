"""Flows against a brute-force simulation (issue 14, "Tests and speed"): on generated shops,
runs on a random subset of days (missed days, repeated days, now and then a backfill) enter
exactly the customers a plain-Python day-by-day reading of docs/flows.md says, each at most
once per event. The reference below reads only the generated orders, never core.flows."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.flows import add_flow, enable_flow, parse_trigger, run_flows
from core.segments import add_segment
from core.shop_settings import set_setting
from tests.campaign_shop import ShopOrder
from tests.flows_support import NOTE, entries, flow_shop, owner_templates

FIRST_DAY = date(2026, 1, 1)
QUIET_DAYS = 7
FLOWS = {
    "first": ("nth-order:1", 1),
    "second": ("nth-order:2", 0),
    "every": ("order", 3),
    "last": ("last-order", 10),
    "quiet": ("segment:Quiet", 2),
    "silver": ("tier:Silver", 1),
}
"""Flow name -> (trigger, delay days). `Quiet`: no order for QUIET_DAYS days."""
TIERS, SILVER = "Bronze:0,Silver:25", 2500
"""The shop's loyalty tiers: Silver from 25.00 of net spend in 12 months (three orders)."""


@dataclass(frozen=True)
class Run:
    day: date
    backfill_days: int | None


# -- the reference: the rules of docs/flows.md over the generated orders -------------------


def counting_days(orders: list[ShopOrder], customer: int, up_to: date) -> list[date]:
    """The customer's counting order dates up to `up_to`, one per order, in date order."""
    return sorted(o.day for o in orders if o.customer == customer and o.counts and o.day <= up_to)


def quiet(orders: list[ShopOrder], customer: int, day: date) -> bool:
    days = counting_days(orders, customer, day)
    return bool(days) and (day - days[-1]).days >= QUIET_DAYS


def spend_12_months(orders: list[ShopOrder], customer: int, day: date) -> int:
    """Net spend of the customer's counting orders in the 12 months up to `day`."""
    year_before = day.replace(year=day.year - 1)
    return sum(o.cents - o.refunded_cents for o in orders
               if o.customer == customer and o.counts and year_before < o.day <= day)  # fmt: skip


def events(
    orders: list[ShopOrder], customer: int, trigger: str, delay: int, start: date, as_of: date
) -> set[str]:
    """Keys of the customer's events that fired in (start, as_of] and still hold on as_of."""
    days = counting_days(orders, customer, as_of)
    fired = [] if not days else [(day, day.isoformat()) for day in sorted(set(days))]
    if trigger.startswith("nth-order:"):
        n = int(trigger.split(":")[1])
        fired = [(days[n - 1], trigger)] if len(days) == n else []
    elif trigger == "last-order":
        fired = fired[-1:]
    elif trigger.startswith("tier:"):
        reached = [d for d in each_day(FIRST_DAY, as_of)
                   if spend_12_months(orders, customer, d) >= SILVER]  # fmt: skip
        still = spend_12_months(orders, customer, as_of) >= SILVER
        fired = [(reached[0], trigger)] if reached and still else []
    elif trigger.startswith("segment:"):
        fired = [
            (day, day.isoformat())
            for day in each_day(start - timedelta(days=delay), as_of)
            if quiet(orders, customer, day) and not quiet(orders, customer, day - timedelta(days=1))
            and quiet(orders, customer, as_of)
        ]  # fmt: skip
    return {key for day, key in fired if start < day + timedelta(days=delay) <= as_of}


def each_day(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def simulate(
    orders: list[ShopOrder], customers: int, enabled: date, runs: list[Run]
) -> dict[str, tuple[set[tuple[int, str]], list[int]]]:
    """Flow -> (every (customer, event key) entered, customers due at each run)."""
    result = {}
    for name, (trigger, delay) in FLOWS.items():
        handled: set[tuple[int, str]] = set()
        due_per_run = []
        last_run: date | None = None
        for run in runs:
            start = enabled if last_run is None else max(enabled, last_run)
            if run.backfill_days is not None:
                start = min(start, run.day - timedelta(days=run.backfill_days))
            due = {
                (customer, key)
                for customer in range(1, customers + 1)
                for key in events(orders, customer, trigger, delay, start, run.day)
            } - handled
            handled |= due
            due_per_run.append(len({customer for customer, _ in due}))
            last_run = run.day if last_run is None else max(last_run, run.day)
        result[name] = (handled, due_per_run)
    return result


# -- generated shops ------------------------------------------------------------------------


@st.composite
def shops(draw: st.DrawFn) -> tuple[int, list[ShopOrder], date, list[Run]]:
    customers = draw(st.integers(1, 6))
    count = draw(st.integers(0, 24))
    orders = [
        ShopOrder(
            f"O{i}", draw(st.integers(1, customers)),
            FIRST_DAY + timedelta(days=draw(st.integers(0, 59))), 1000,
            cancelled=draw(st.integers(0, 5)) == 0,
        )
        for i in range(count)
    ]  # fmt: skip
    enabled = FIRST_DAY + timedelta(days=draw(st.integers(-3, 30)))
    days = draw(st.lists(st.integers(0, 75), min_size=1, max_size=7))
    runs = [
        Run(FIRST_DAY + timedelta(days=day), draw(st.none() | st.integers(0, 20)))
        for day in sorted(days + draw(st.lists(st.sampled_from(days), max_size=2)))
    ]
    return customers, orders, enabled, runs


@settings(max_examples=40)
@given(shop=shops())
def test_runs_enter_exactly_the_customers_the_rules_say(
    shop: tuple[int, list[ShopOrder], date, list[Run]],
) -> None:
    customers, orders, enabled, runs = shop
    expected = simulate(orders, customers, enabled, runs)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        store, ids = flow_shop(folder, customers, orders)
        try:
            templates = owner_templates(folder)
            add_segment(store, "Quiet", f"days_since_last_order >= {QUIET_DAYS}")
            set_setting(store, "loyalty.tiers", TIERS)
            for flow, (trigger, delay) in FLOWS.items():
                add_flow(store, flow, parse_trigger(trigger), NOTE, delay_days=delay,
                         templates_dir=templates)  # fmt: skip
                enable_flow(store, flow, enabled)
            due: dict[str, list[int]] = {flow: [] for flow in FLOWS}
            for run in runs:
                report = run_flows(store, run.day, backfill_days=run.backfill_days,
                                   out_dir=folder / "drafts", templates_dir=templates)  # fmt: skip
                assert not report.failed, report.to_dict()
                for result in report.flows:
                    due[result.name].append(result.due)
                    # Everyone due gets a draft of this template, unless an earlier run of
                    # the same day's campaign drafted them already.
                    assert result.drafted <= result.due
            number = {store_id: n for n, store_id in ids.items()}
            for flow, (handled, due_per_run) in expected.items():
                got = {(number[customer], key) for customer, key in entries(store, flow)}
                assert got == handled, flow
                assert due[flow] == due_per_run, flow
            drafted_twice = store.execute(
                "SELECT count(*) FROM (SELECT campaign_id, customer_id FROM campaign_recipients"
                " GROUP BY campaign_id, customer_id HAVING count(*) > 1)"
            ).fetchone()[0]
            assert drafted_twice == 0
        finally:
            store.close()
