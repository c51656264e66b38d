"""The prediction and NPS flow triggers (`p-alive-below:X`, `nps-answer:KIND`) against a
brute-force reading of docs/flows.md: on generated shops with orders, survey answers and a
sequence of stored fits interleaved with runs (missed days, repeated days, backfills), the
flows enter exactly the customers the rules say, each at most once per event. The reference
reads only the generated data, never core.flows. Plus small hand-checked cases."""

from __future__ import annotations

import csv
import email
import email.policy
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.compose import Composer
from core.flows import FlowError, add_flow, enable_flow, parse_trigger, run_flows
from core.nps.importer import import_responses
from core.predict.stored import save_predictions
from core.store import Store
from tests.campaign_shop import ShopOrder
from tests.flows_support import NOTE, entries, flow_shop, owner_templates

FIRST_DAY = date(2026, 1, 1)
TODAY = date(2026, 6, 1)
THRESHOLD = 0.3
FLOWS = {
    "slipping": (f"p-alive-below:{THRESHOLD}", 0),
    "slipping-late": (f"p-alive-below:{THRESHOLD}", 3),
    "unhappy": ("nps-answer:detractor", 1),
    "lukewarm": ("nps-answer:passive", 0),
    "fans": ("nps-answer:promoter", 2),
}
"""Flow name -> (trigger, delay days)."""
SCORES = {"detractor": range(0, 7), "passive": range(7, 9), "promoter": range(9, 11)}


@dataclass(frozen=True)
class Answer:
    customer: int
    day: date
    score: int


@dataclass(frozen=True)
class Fit:
    day: date
    p_alive: dict[int, float]
    """Customer number -> p_alive; customers absent have no prediction in this fit."""


@dataclass(frozen=True)
class Run:
    day: date
    backfill_days: int | None


@dataclass(frozen=True)
class Shop:
    customers: int
    orders: list[ShopOrder]
    answers: list[Answer]
    fits: list[Fit]
    enabled: date
    runs: list[Run]


# -- the reference ----------------------------------------------------------------------------


def ordered_between(orders: list[ShopOrder], customer: int, after: date, up_to: date) -> bool:
    return any(o.customer == customer and o.counts and after < o.day <= up_to for o in orders)


def p_alive_events(shop: Shop, fits_so_far: list[Fit], customer: int, as_of: date) -> set:
    """(event day, key): the latest fit put p_alive below X, the fit before had it >= X, and
    no counting order since the latest fit up to as_of."""
    if len(fits_so_far) < 2:
        return set()
    before, latest = fits_so_far[-2], fits_so_far[-1]
    if customer not in latest.p_alive or customer not in before.p_alive:
        return set()
    crossed = before.p_alive[customer] >= THRESHOLD > latest.p_alive[customer]
    if not crossed or ordered_between(shop.orders, customer, latest.day, as_of):
        return set()
    return {(latest.day, latest.day.isoformat())}


def nps_events(shop: Shop, kind: str, customer: int, as_of: date) -> set:
    """(event day, key): the customer's latest answer up to as_of, if of `kind`."""
    given_so_far = [a for a in shop.answers if a.customer == customer and a.day <= as_of]
    if not given_so_far:
        return set()
    latest = max(given_so_far, key=lambda a: a.day)  # one answer per customer and day
    return {(latest.day, latest.day.isoformat())} if latest.score in SCORES[kind] else set()


def simulate(shop: Shop) -> dict[str, tuple[set[tuple[int, str]], list[int]]]:
    """Flow -> (every (customer, key) entered, customers due per run), fits stored on their
    day before that day's runs (cron: import and refit, then the flows)."""
    result = {}
    for name, (trigger, delay) in FLOWS.items():
        handled: set[tuple[int, str]] = set()
        due_per_run = []
        last_run: date | None = None
        for run in shop.runs:
            start = shop.enabled if last_run is None else max(shop.enabled, last_run)
            if run.backfill_days is not None:
                start = min(start, run.day - timedelta(days=run.backfill_days))
            fits_so_far = [fit for fit in shop.fits if fit.day <= run.day]
            due = set()
            for customer in range(1, shop.customers + 1):
                if trigger.startswith("p-alive-below:"):
                    fired = p_alive_events(shop, fits_so_far, customer, run.day)
                else:
                    fired = nps_events(shop, trigger.split(":")[1], customer, run.day)
                due |= {
                    (customer, key)
                    for day, key in fired
                    if start < day + timedelta(days=delay) <= run.day
                }
            due -= handled
            handled |= due
            due_per_run.append(len({customer for customer, _ in due}))
            last_run = run.day if last_run is None else max(last_run, run.day)
        result[name] = (handled, due_per_run)
    return result


# -- generated shops --------------------------------------------------------------------------


@st.composite
def shops(draw: st.DrawFn) -> Shop:
    customers = draw(st.integers(1, 5))
    orders = [
        ShopOrder(
            f"O{i}", draw(st.integers(1, customers)),
            FIRST_DAY + timedelta(days=draw(st.integers(0, 50))), 1000,
            cancelled=draw(st.integers(0, 5)) == 0,
        )
        for i in range(draw(st.integers(0, 12)))
    ]  # fmt: skip
    answered = draw(
        st.dictionaries(
            st.tuples(st.integers(1, customers), st.integers(0, 50)),
            st.sampled_from([0, 4, 6, 7, 8, 9, 10]),
            max_size=12,
        )
    )
    answers = [
        Answer(customer, FIRST_DAY + timedelta(days=day), score)
        for (customer, day), score in answered.items()
    ]
    fit_days = sorted(draw(st.sets(st.integers(0, 55), min_size=1, max_size=4)))
    values = st.sampled_from([None, 0.1, 0.29, 0.3, 0.5, 0.9])  # None: not in that fit
    fits = []
    for day in fit_days:
        p_alive = {c: draw(values) for c in range(1, customers + 1)}
        fits.append(Fit(FIRST_DAY + timedelta(days=day),
                        {c: p for c, p in p_alive.items() if p is not None}))  # fmt: skip
    enabled = FIRST_DAY + timedelta(days=draw(st.integers(-3, 30)))
    # Runs on random days and on (or just after) fit days, where the p_alive events are.
    near_fits = [day + draw(st.integers(0, 4)) for day in fit_days]
    days = draw(st.lists(st.integers(0, 60), min_size=1, max_size=5)) + near_fits
    runs = [
        Run(FIRST_DAY + timedelta(days=day), draw(st.none() | st.integers(0, 20)))
        for day in sorted(days + draw(st.lists(st.sampled_from(days), max_size=2)))
    ]
    return Shop(customers, orders, answers, fits, enabled, runs)


def load_answers(store: Store, folder: Path, answers: list[Answer]) -> None:
    path = folder / "answers.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "score", "answered_at"])
        for answer in answers:
            writer.writerow([f"C{answer.customer}", answer.score, answer.day.isoformat()])
    result = import_responses(store, path, today=TODAY)
    assert result.rows_rejected == 0, result.errors


def store_fit(store: Store, fit: Fit, ids: dict[int, int]) -> None:
    """A fit as `predict` stores it (the parameters do not matter to the trigger)."""
    rows = [(ids[number], p, 1.0, 1000, 1000) for number, p in sorted(fit.p_alive.items())]
    save_predictions(store, {"as_of": fit.day.isoformat(), "horizon_days": 365,
                             "monthly_discount_rate": 0.01, "time_unit": "weeks",
                             "r": 1, "alpha": 1, "a": 1, "b": 1, "p": 1, "q": 2, "v": 1,
                             "customers": len(rows), "repeat_customers": 0,
                             "revenue_90_days": 0}, rows)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(shop=shops())
def test_runs_enter_exactly_the_customers_the_rules_say(shop: Shop) -> None:
    expected = simulate(shop)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        store, ids = flow_shop(folder, shop.customers, shop.orders)
        try:
            templates = owner_templates(folder)
            if shop.answers:
                load_answers(store, folder, shop.answers)
            for flow, (trigger, delay) in FLOWS.items():
                add_flow(store, flow, parse_trigger(trigger), NOTE, delay_days=delay,
                         templates_dir=templates)  # fmt: skip
                enable_flow(store, flow, shop.enabled)
            due: dict[str, list[int]] = {flow: [] for flow in FLOWS}
            pending = list(shop.fits)
            for run in shop.runs:
                while pending and pending[0].day <= run.day:
                    store_fit(store, pending.pop(0), ids)
                report = run_flows(store, run.day, backfill_days=run.backfill_days,
                                   out_dir=folder / "drafts", templates_dir=templates)  # fmt: skip
                assert not report.failed, report.to_dict()
                for result in report.flows:
                    due[result.name].append(result.due)
            number = {store_id: n for n, store_id in ids.items()}
            for flow, (handled, due_per_run) in expected.items():
                got = {(number[customer], key) for customer, key in entries(store, flow)}
                assert got == handled, flow
                assert due[flow] == due_per_run, flow
        finally:
            store.close()


# -- hand-checked cases -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("p-alive-below:0.3", 0.3), ("P-Alive-Below: .25", 0.25), ("p-alive-below:0.999999", 0.999999),
     ("nps-answer:detractor", "detractor"), ("nps-answer:Promoter", "promoter"),
     ("nps-answer:passive", "passive")],
)  # fmt: skip
def test_the_new_trigger_forms_are_read(text: str, value: object) -> None:
    trigger = parse_trigger(text)
    assert trigger.value == value
    assert parse_trigger(str(trigger)) == trigger


@pytest.mark.parametrize(
    "text",
    ["p-alive-below", "p-alive-below:0", "p-alive-below:1", "p-alive-below:1.0",
     "p-alive-below:-0.3", "p-alive-below:0.3x", "p-alive-below:nan", "p-alive-below:30%",
     "p-alive-below:0.1234567", "nps-answer", "nps-answer:", "nps-answer:angry",
     "nps-answer:6"],
)  # fmt: skip
def test_bad_new_triggers_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(FlowError) as refused:
        parse_trigger(text)
    assert "\n" not in str(refused.value) and repr(text[:60]) in str(refused.value)


def test_a_refit_as_of_the_same_date_keeps_the_crossing(tmp_path: Path) -> None:
    """`predict` run twice on one as-of date (another horizon) must not hide a crossing:
    "the fit before" is the latest fit with an earlier as-of date."""
    store, ids = flow_shop(tmp_path, 2, [ShopOrder("A", 1, FIRST_DAY, 1000),
                                         ShopOrder("B", 2, FIRST_DAY, 1000)])  # fmt: skip
    try:
        templates = owner_templates(tmp_path)
        add_flow(store, "slipping", parse_trigger("p-alive-below:0.3"), NOTE,
                 templates_dir=templates)  # fmt: skip
        enable_flow(store, "slipping", FIRST_DAY)
        day = FIRST_DAY + timedelta(days=10)
        store_fit(store, Fit(FIRST_DAY + timedelta(days=1), {1: 0.9, 2: 0.9}), ids)
        store_fit(store, Fit(day, {1: 0.2, 2: 0.5}), ids)
        store_fit(store, Fit(day, {1: 0.2, 2: 0.5}), ids)  # the same date again
        report = run_flows(store, day, out_dir=tmp_path / "drafts", templates_dir=templates)
        assert [(r.due, r.error) for r in report.flows] == [(1, None)]
        assert entries(store, "slipping") == {(ids[1], day.isoformat())}
    finally:
        store.close()


def test_the_shipped_nps_flows_draft_their_templates(tmp_path: Path) -> None:
    """detractor-follow-up and promoter-ask, enabled, on real answers: each customer gets the
    mail for their latest answer only, in the shipped template."""
    day = FIRST_DAY + timedelta(days=20)
    orders = [ShopOrder(f"O{c}", c, FIRST_DAY, 2000) for c in (1, 2, 3)]
    store, ids = flow_shop(tmp_path, 3, orders)
    try:
        load_answers(store, tmp_path, [
            Answer(1, day, 3),  # a detractor
            Answer(2, day, 10),  # a promoter
            Answer(3, day, 4), Answer(3, day + timedelta(days=1), 9),  # changed their mind
        ])  # fmt: skip
        for name in ("detractor-follow-up", "promoter-ask"):
            enable_flow(store, name, day - timedelta(days=1))
        report = run_flows(store, day + timedelta(days=7), out_dir=tmp_path / "drafts",
                           names=["detractor-follow-up", "promoter-ask"])  # fmt: skip
        results = {r.name: r for r in report.flows}
        assert {n: (r.due, r.drafted, r.error) for n, r in results.items()} == {
            "detractor-follow-up": (1, 1, None), "promoter-ask": (1, 1, None),
        }  # fmt: skip
        assert entries(store, "detractor-follow-up") == {(ids[1], day.isoformat())}
        assert entries(store, "promoter-ask") == {(ids[2], day.isoformat())}
        for name, words in (
            ("detractor-follow-up", "ehrliche Antwort"),
            ("promoter-ask", "tolle Bewertung"),
        ):  # the demo shop's German
            [draft] = Path(results[name].path or "").glob("*.eml")
            message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
            assert words in str(message["Subject"]), name
        # The templates themselves leave out whoever's latest answer is of another kind.
        composer = Composer(store, None, as_of=day + timedelta(days=7))
        recipients = composer.recipients([ids[1], ids[3]], "promoter-ask")
        assert {r.customer_id: r.reason for r in recipients} == {ids[1]: "nps_answer", ids[3]: None}
        recipients = composer.recipients([ids[1], ids[2], ids[3]], "detractor-follow-up")
        assert [r.customer_id for r in recipients if r.reason is None] == [ids[1]]
    finally:
        store.close()
