"""Flows on small hand-checked shops (docs/flows.md): the shipped flows, each trigger, the
window (no backlog, missed days, re-runs, backfill), still holding on the as-of date,
entries once per event, a flow that cannot run, and a crash before the COMMIT."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import core.compose.draft_writers
import core.flows.run
import core.store
from core.campaigns import CODE_PATTERN
from core.compose.templates import list_templates
from core.flows import (
    SHIPPED_FLOWS,
    FlowError,
    add_flow,
    enable_flow,
    flow_statuses,
    list_flows,
    parse_trigger,
    run_flows,
)
from core.segments import add_segment, remove_segment
from core.store import Store, open_store
from tests.flows_support import NOTE, ORDERS, entries, flow_shop, owner_templates

Shop = tuple[Store, dict[int, int], Path]
"""The store, customer number -> id, and the owner's templates folder."""


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    store, ids = flow_shop(tmp_path, 6, ORDERS)
    try:
        yield store, ids, owner_templates(tmp_path)
    finally:
        store.close()


def run(store: Store, day: date, templates: Path, **options: object):  # type: ignore[no-untyped-def]
    out = templates.parent / "drafts"
    return run_flows(store, day, out_dir=out, templates_dir=templates, **options)  # type: ignore[arg-type]


def numbers(ids: dict[int, int], customer_ids: set[int]) -> set[int]:
    number = {store_id: n for n, store_id in ids.items()}
    return {number[customer_id] for customer_id in customer_ids}


def entered(store: Store, ids: dict[int, int], flow: str) -> set[int]:
    return numbers(ids, {customer for customer, _ in entries(store, flow)})


def count(store: Store, sql: str) -> int:
    return int(store.scalar(sql))  # type: ignore[call-overload]


# -- the shipped flows ----------------------------------------------------------------------


def test_a_new_shop_has_the_seven_shipped_flows_disabled(tmp_path: Path) -> None:
    with open_store(tmp_path / "shop.db", create=True) as store:
        flows = {flow.name: flow for flow in list_flows(store)}
    assert set(flows) == set(SHIPPED_FLOWS)
    described = {
        name: (str(f.trigger), f.template, f.delay_days, f.discount)
        for name, f in flows.items()
    }  # fmt: skip
    assert described == {
        "first-order-thanks": ("nth-order:1", "thank-you", 1, None),
        "second-order-thanks": ("nth-order:2", "thank-you", 1, None),
        "feedback": ("order", "feedback", 14, None),
        "win-back": ("last-order", "win-back", 120, "10%"),
        "come-back-bestsellers": ("last-order", "come-back-bestsellers", 180, None),
        "detractor-follow-up": ("nps-answer:detractor", "detractor-follow-up", 1, None),
        "promoter-ask": ("nps-answer:promoter", "promoter-ask", 7, None),
    }
    assert all(f.shipped and not f.enabled and f.enabled_as_of is None for f in flows.values())


def test_an_upgraded_shop_gets_the_shipped_flows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shop.db"
    with monkeypatch.context() as older:
        older.setattr(core.store, "MIGRATIONS", core.store.MIGRATIONS[:11])
        older.setattr(core.store, "SCHEMA_VERSION", 11)
        open_store(path, create=True).close()
    with open_store(path) as store:
        assert store.backup_path is not None
        assert {flow.name for flow in list_flows(store)} == set(SHIPPED_FLOWS)


def test_the_shipped_flows_fire_inside_their_templates_audience() -> None:
    """A flow's delay agrees with its template's recency rules, so the template never leaves
    out everyone the flow brings (a last-order flow fires `delay` days after the last order;
    an order flow at least `delay` days after it)."""
    templates = {info.name: info for info in list_templates(None)}
    with open_store(":memory:", create=True) as store:
        flows = list_flows(store)
    for flow in flows:
        info = templates[flow.template]
        assert (info.min_days_since_last_order or 0) <= flow.delay_days, flow.name
        if flow.trigger.kind in ("nth-order", "order") and info.max_days_since_last_order:
            assert flow.delay_days <= info.max_days_since_last_order, flow.name
        assert info.available, flow.name


# -- triggers, hand-checked -----------------------------------------------------------------


def test_nth_order_counts_only_counting_orders(shop: Shop) -> None:
    store, ids, templates = shop
    for name in ("first-order-thanks", "second-order-thanks"):
        enable_flow(store, name, date(2026, 3, 1))
    report = run(store, date(2026, 3, 2), templates)
    results = {r.name: r for r in report.flows}
    assert not report.failed
    # C2's cancelled order does not count: 1 March is its first order. C1's first was in
    # January, before the flow was enabled (no backlog). C3 ordered twice on 1 March: its
    # first order is no longer its latest, so it gets only the second-order thank-you.
    assert entered(store, ids, "first-order-thanks") == {2}
    assert entered(store, ids, "second-order-thanks") == {1, 3}
    first = results["first-order-thanks"]
    campaign = "flow-first-order-thanks-2026-03-02"
    assert (first.due, first.drafted, first.campaign) == (1, 1, campaign)
    assert first.window == (date(2026, 3, 1), date(2026, 3, 2))
    drafts = sorted(p.name for p in (templates.parent / "drafts" / campaign).iterdir())
    assert drafts == [f"0001-{ids[2]}.eml"]


def test_the_first_run_handles_nothing_before_enabling_and_a_missed_day_is_caught_up(
    shop: Shop,
) -> None:
    store, ids, templates = shop
    enable_flow(store, "second-order-thanks", date(2026, 3, 2))
    assert run(store, date(2026, 3, 2), templates).flows[0].due == 0  # fired on 2 March
    assert entered(store, ids, "second-order-thanks") == set()
    # Enabled on 1 March instead, runs on 1 and (after a missed day) on 3 March.
    store.execute("DELETE FROM flow_runs")
    store.conn.commit()
    store.execute("UPDATE flows SET enabled_as_of = '2026-03-01'")
    store.conn.commit()
    assert run(store, date(2026, 3, 1), templates).flows[0].due == 0
    caught_up = run(store, date(2026, 3, 3), templates).flows[0]
    assert (caught_up.due, caught_up.window) == (2, (date(2026, 3, 1), date(2026, 3, 3)))
    assert entered(store, ids, "second-order-thanks") == {1, 3}


def test_running_twice_on_one_day_drafts_nothing_new(shop: Shop) -> None:
    store, _ids, templates = shop
    enable_flow(store, "second-order-thanks", date(2026, 3, 1))
    assert run(store, date(2026, 3, 2), templates).flows[0].drafted == 2
    again = run(store, date(2026, 3, 2), templates).flows[0]
    assert (again.due, again.drafted, again.campaign) == (0, 0, None)
    assert count(store, "SELECT count(*) FROM campaign_recipients") == 2


def test_backfill_reaches_before_enabling_once(shop: Shop) -> None:
    store, ids, templates = shop
    enable_flow(store, "second-order-thanks", date(2026, 3, 2))
    report = run(store, date(2026, 3, 2), templates, backfill_days=70)
    # Second orders firing in (22 December, 2 March]: C5 (20 February), C1 and C3 (1 March).
    assert entered(store, ids, "second-order-thanks") == {1, 3, 5}
    assert report.flows[0].drafted == 2  # C5's order is too old for a thank-you
    assert report.flows[0].left_out == {"order_too_old": 1}
    again = run(store, date(2026, 3, 2), templates, backfill_days=70).flows[0]
    assert again.due == 0


def test_last_order_must_still_be_the_last_on_the_as_of_date(shop: Shop) -> None:
    store, ids, templates = shop
    enable_flow(store, "win-back", date(2026, 1, 28))
    # Missed runs: 1 October + 120 days is 29 January for C4 and C5, but C5 ordered again
    # on 20 February, before this run's as-of date: no win-back for them.
    result = run(store, date(2026, 2, 25), templates).flows[0]
    assert entered(store, ids, "win-back") == {4}
    assert (result.due, result.drafted) == (1, 1)
    codes = store.execute("SELECT code, customer_id FROM discount_codes").fetchall()
    assert len(codes) == 1 and codes[0][1] == ids[4] and CODE_PATTERN.fullmatch(codes[0][0])


def test_entering_a_segment(shop: Shop) -> None:
    store, ids, templates = shop
    add_segment(store, "Twice", "orders >= 2")
    add_flow(store, "repeaters", parse_trigger("segment:Twice"), NOTE, templates_dir=templates)
    enable_flow(store, "repeaters", date(2026, 2, 28))
    run(store, date(2026, 3, 1), templates)
    # C1 and C3 reach two orders on 1 March; C5 was in the segment since 20 February.
    assert entries(store, "repeaters") == {(ids[1], "2026-03-01"), (ids[3], "2026-03-01")}


def test_a_segment_entry_that_no_longer_holds_is_not_due(shop: Shop) -> None:
    store, ids, templates = shop
    add_segment(store, "Quiet", "days_since_last_order >= 100")
    add_flow(store, "quiet", parse_trigger("segment:Quiet"), NOTE, templates_dir=templates)
    enable_flow(store, "quiet", date(2026, 1, 1))
    # C4 and C5 enter on 9 January (100 days after 1 October); C5 leaves on 20 February.
    run(store, date(2026, 2, 25), templates)
    assert entries(store, "quiet") == {(ids[4], "2026-01-09")}


# -- outcomes, once per event -----------------------------------------------------------------


def test_left_out_and_held_out_customers_are_handled_and_not_retried(shop: Shop) -> None:
    store, ids, templates = shop
    with store.write() as conn:
        conn.execute("UPDATE customers SET accepts_marketing = 0 WHERE id = ?", (ids[2],))
    from tests.compose_support import FOOTER_EN, write_template

    write_template(templates, "promo", {"en.subject.txt": "Hi", "en.txt": "Hi\n" + FOOTER_EN})
    add_flow(store, "promo", parse_trigger("order"), "promo", holdout_percent=Decimal(50),
             min_gap_days=0, templates_dir=templates)  # fmt: skip
    enable_flow(store, "promo", date(2026, 2, 28))
    result = run(store, date(2026, 3, 1), templates).flows[0]
    assert (result.due, result.left_out, result.held_out, result.drafted) == (
        3, {"no_consent": 1}, 1, 1)  # fmt: skip
    outcomes = dict(
        store.execute(
            "SELECT customer_id, outcome || coalesce(':' || reason, '') FROM flow_entries"
        )
    )
    assert outcomes[ids[2]] == "left_out:no_consent"
    assert sorted(outcomes.values()) == ["drafted", "held_out", "left_out:no_consent"]
    assert run(store, date(2026, 3, 2), templates).flows[0].due == 0


def test_after_campaign_is_called_with_each_committed_campaign(shop: Shop) -> None:
    store, _ids, templates = shop
    for name in ("first-order-thanks", "second-order-thanks", "win-back"):
        enable_flow(store, name, date(2026, 3, 1))
    called: list[str] = []

    def after(campaign: str) -> None:
        assert count(store, f"SELECT count(*) FROM campaigns WHERE name = '{campaign}'") == 1
        called.append(campaign)

    run(store, date(2026, 3, 2), templates, dry_run=True, after_campaign=after)
    assert called == []
    run(store, date(2026, 3, 2), templates, after_campaign=after)
    assert called == ["flow-first-order-thanks-2026-03-02", "flow-second-order-thanks-2026-03-02"]


def test_a_dry_run_writes_and_records_nothing(shop: Shop) -> None:
    store, _ids, templates = shop
    enable_flow(store, "first-order-thanks", date(2026, 3, 1))
    result = run(store, date(2026, 3, 2), templates, dry_run=True).flows[0]
    assert (result.due, result.drafted) == (1, 1)
    for table in ("flow_runs", "flow_entries", "campaigns", "campaign_recipients"):
        assert count(store, f"SELECT count(*) FROM {table}") == 0, table
    assert not (templates.parent / "drafts").exists()


# -- what cannot run -----------------------------------------------------------------------


def test_a_flow_whose_template_or_segment_is_gone_is_reported_and_the_others_run(
    shop: Shop,
) -> None:
    store, ids, templates = shop
    add_segment(store, "Twice", "orders >= 2")
    add_flow(store, "noted", parse_trigger("order"), NOTE, templates_dir=templates)
    add_flow(store, "repeaters", parse_trigger("segment:Twice"), NOTE, templates_dir=templates)
    for name in ("noted", "repeaters", "first-order-thanks"):
        enable_flow(store, name, date(2026, 3, 1))
    shutil.rmtree(templates / NOTE)
    remove_segment(store, "Twice")
    report = run(store, date(2026, 3, 2), templates)
    errors = {r.name: r.error for r in report.flows}
    assert errors == {
        "first-order-thanks": None,
        "noted": "template 'note' no longer exists",
        "repeaters": "template 'note' no longer exists",
    }
    assert report.failed
    assert entered(store, ids, "first-order-thanks") == {2}
    statuses = {
        s.flow.name: s for s in flow_statuses(store, date(2026, 3, 2), templates_dir=templates)
    }
    assert statuses["noted"].problem == "template 'note' no longer exists"
    assert statuses["noted"].due_today is None
    owner_templates(templates.parent)  # the template is back
    statuses = {s.flow.name: s for s in flow_statuses(store, date(2026, 3, 2),
                                                         templates_dir=templates)}  # fmt: skip
    assert statuses["repeaters"].problem == "segment 'Twice' no longer exists"
    assert statuses["noted"].problem is None and statuses["noted"].due_today == 0


def test_flow_statuses_count_who_is_due(shop: Shop) -> None:
    store, _ids, templates = shop
    enable_flow(store, "second-order-thanks", date(2026, 3, 1))
    statuses = {
        s.flow.name: s for s in flow_statuses(store, date(2026, 3, 2), templates_dir=templates)
    }
    # Disabled flows count as a daily run would: first orders on 1 March (C2; C3 has
    # ordered twice that day).
    assert statuses["first-order-thanks"].due_today == 1
    assert statuses["second-order-thanks"].due_today == 2
    assert statuses["second-order-thanks"].last_run_as_of is None
    run(store, date(2026, 3, 2), templates)
    status = next(s for s in flow_statuses(store, date(2026, 3, 2), templates_dir=templates)
                  if s.flow.name == "second-order-thanks")  # fmt: skip
    assert (status.due_today, status.last_run_as_of) == (0, date(2026, 3, 2))
    assert status.last_run_at is not None


def test_bad_flows_are_refused_before_anything_is_saved(shop: Shop) -> None:
    store, _ids, templates = shop
    before = list_flows(store)
    bad = [
        ("x y", "order", NOTE, {}),
        ("x", "order", "no-such-template", {}),
        ("x", "segment:Nobody", NOTE, {}),
        ("x", "order", NOTE, {"delay_days": -1}),
        ("WIN-BACK", "order", NOTE, {}),
        ("x", "order", "feedback", {"discount": "10%"}),
        ("x", "order", "win-back", {}),
        ("x", "order", NOTE, {"discount": "ten"}),
        ("x", "order", NOTE, {"min_gap_days": -1}),
    ]
    for name, trigger, template, options in bad:
        with pytest.raises(FlowError):
            add_flow(store, name, parse_trigger(trigger), template, templates_dir=templates,
                     **options)  # type: ignore[arg-type]  # fmt: skip
    assert list_flows(store) == before


@pytest.mark.parametrize(
    "text", ["", "nth-order", "nth-order:0", "nth-order:x", "segment:", "days", "tier:",
             "replenishment:3", "order:3"],
)  # fmt: skip
def test_bad_triggers_are_refused_with_the_forms(text: str) -> None:
    with pytest.raises(FlowError, match=r"nth-order:N|n must be"):
        parse_trigger(text)


def test_triggers_read_back_as_written() -> None:
    for text in ("nth-order:2", "order", "last-order", "segment:At Risk", "replenishment"):
        assert str(parse_trigger(text)) == text


# -- a crash before the COMMIT ---------------------------------------------------------------


def test_a_crash_after_the_drafts_are_written_records_nothing_and_a_rerun_completes(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, ids, templates = shop
    enable_flow(store, "second-order-thanks", date(2026, 3, 1))
    writer = core.compose.draft_writers._EmlWriter
    place = writer.place

    def place_then_crash(self, out: Path, overwrite: bool) -> None:  # type: ignore[no-untyped-def]
        place(self, out, overwrite)
        assert len(list(out.iterdir())) == 2  # the drafts are in place, not yet committed
        raise RuntimeError("power cut")

    with monkeypatch.context() as crashing:
        crashing.setattr(writer, "place", place_then_crash)
        report = run(store, date(2026, 3, 2), templates)
    assert report.flows[0].error == "power cut"
    for table in ("flow_runs", "flow_entries", "campaigns", "campaign_recipients"):
        assert count(store, f"SELECT count(*) FROM {table}") == 0, table
    drafts = templates.parent / "drafts"
    assert not any(path.name.startswith("flow-") for path in drafts.iterdir())
    again = run(store, date(2026, 3, 2), templates).flows[0]
    assert (again.due, again.drafted, again.error) == (2, 2, None)
    assert entered(store, ids, "second-order-thanks") == {1, 3}
    assert len(list((drafts / "flow-second-order-thanks-2026-03-02").iterdir())) == 2


def test_a_run_overlapping_another_that_handled_the_same_events_writes_nothing(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cron jobs at once: the events one has handled while the other was drafting are
    refused at the other's COMMIT (nobody gets two drafts); its next run finds nobody due."""
    store, ids, templates = shop
    enable_flow(store, "second-order-thanks", date(2026, 3, 1))
    due_events = core.flows.run.due_events

    def meanwhile(*args: object):  # type: ignore[no-untyped-def]
        due = due_events(*args)  # type: ignore[arg-type]
        if due and store.conn.in_transaction is False:  # the other run commits now
            with store.write() as conn:
                conn.execute(
                    "INSERT INTO flow_entries VALUES ((SELECT id FROM flows WHERE name = ?),"
                    " ?, 'nth-order:2', 0, '2026-03-02', 'other', 'drafted', NULL)",
                    ("second-order-thanks", ids[3]),
                )
        return due

    with monkeypatch.context() as overlapping:
        overlapping.setattr(core.flows.run, "due_events", meanwhile)
        result = run(store, date(2026, 3, 2), templates).flows[0]
    assert result.error is not None and "handled some of these customers meanwhile" in result.error
    assert count(store, "SELECT count(*) FROM campaigns") == 0
    assert count(store, "SELECT count(*) FROM flow_runs") == 0
    assert not any((templates.parent / "drafts").iterdir())
    again = run(store, date(2026, 3, 2), templates).flows[0]
    assert (again.due, again.drafted) == (1, 1)
    assert entered(store, ids, "second-order-thanks") == {1, 3}


def test_an_order_imported_after_its_day_was_run_needs_a_backfill(
    shop: Shop, tmp_path: Path
) -> None:
    """The window has moved past a late order's day: the next run does not see it; a
    backfill does, once."""
    from core.importers import import_file

    store, ids, templates = shop
    enable_flow(store, "second-order-thanks", date(2026, 3, 1))
    run(store, date(2026, 3, 3), templates)
    late = tmp_path / "late.csv"
    late.write_text("order_id,ordered_at,customer_id,total\nL1,2026-03-02,C4,20.00\n",
                    encoding="utf-8")  # fmt: skip
    assert import_file(store, late, "orders", fmt="generic").rows_rejected == 0
    assert run(store, date(2026, 3, 3), templates).flows[0].due == 0
    backfilled = run(store, date(2026, 3, 3), templates, backfill_days=3).flows[0]
    assert (backfilled.due, backfilled.drafted) == (1, 1)
    assert entered(store, ids, "second-order-thanks") == {1, 3, 4}
    # The day's campaign existed: its drafts went into a second folder beside the first.
    folders = sorted(p.name for p in (templates.parent / "drafts").iterdir())
    assert folders == [
        "flow-second-order-thanks-2026-03-03",
        "flow-second-order-thanks-2026-03-03.2",
    ]
