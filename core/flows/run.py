"""Running the enabled flows at an as-of date, and what each would do (docs/flows.md).

Each flow's run is one campaign, `flow-<flow>-<as-of>`, through `export_campaign` (contact
history, frequency cap, unique codes, holdout): its entries (`flow_entries`) and its run
(`flow_runs`) are written inside the campaign's own transaction, so a crash leaves all of
them or none, and a re-run drafts only the rest. A flow that cannot run is reported and
skipped; the others run.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from core.flows.catalog import (
    flows_with_ids,
    require_flow,
    segment_problem,
    settings_problem,
    template_problem,
)
from core.flows.events import Event, SegmentMembers, due_events, fired_events
from core.flows.model import Flow, FlowError, FlowRunResult, FlowsReport, FlowStatus
from core.shop_settings import load_shop_settings
from core.store import Store, utc_now

if TYPE_CHECKING:
    from core.compose import Composer, ExportResult

__all__ = ["campaign_name", "flow_statuses", "run_flows", "window_start"]

MAX_BACKFILL_DAYS = 3650
_MEANWHILE = (
    "another `flows run` handled some of these customers meanwhile: nothing was written for "
    "this flow; run again for the rest"
)


def campaign_name(flow: Flow, as_of: date) -> str:
    return f"flow-{flow.name}-{as_of.isoformat()}"


def last_run(store: Store, flow_id: int) -> tuple[date, str] | None:
    """(as-of, run time) of the flow's latest run that wrote, by as-of date."""
    row = store.execute(
        "SELECT as_of, run_at FROM flow_runs WHERE flow_id = ? ORDER BY as_of DESC, id DESC "
        "LIMIT 1",
        (flow_id,),
    ).fetchone()
    return None if row is None else (date.fromisoformat(row[0]), str(row[1]))


def flow_campaigns(store: Store) -> list[str]:
    """The campaigns flow runs have written, oldest first (`flows run --send` retries what
    their outbox still holds)."""
    rows = store.execute(
        "SELECT campaign FROM flow_runs WHERE campaign IS NOT NULL GROUP BY campaign "
        "ORDER BY min(id)"
    )
    return [str(name) for (name,) in rows]


def window_start(
    flow: Flow, last_run_as_of: date | None, as_of: date, backfill_days: int | None = None
) -> date:
    """The run's window is (start, as_of]: from the last run, or from enabling (no backlog);
    `backfill_days` reaches back further. A disabled flow counts as a daily run would."""
    if not flow.enabled or flow.enabled_as_of is None:
        start = as_of - timedelta(days=1)
    else:
        start = flow.enabled_as_of
        if last_run_as_of is not None and last_run_as_of > start:
            start = last_run_as_of
    if backfill_days is not None:
        start = min(start, as_of - timedelta(days=backfill_days))
    return start


def flow_statuses(
    store: Store, as_of: date, *, count_due: bool = True, templates_dir: Path | None = None
) -> list[FlowStatus]:
    """Every flow with its last run and how many customers are due at `as_of` (what the next
    `flows run` at that date would hand to the campaign; a disabled flow: a daily run)."""
    from core.compose.templates import list_templates

    templates = {info.name: info for info in list_templates(templates_dir)}
    members = SegmentMembers(store)
    shop = load_shop_settings(store)
    statuses = []
    for flow_id, flow in flows_with_ids(store):
        last = last_run(store, flow_id)
        problem = template_problem(flow.template, templates) or segment_problem(store, flow.trigger)
        problem = problem or settings_problem(shop, templates[flow.template])
        due = None
        if count_due and problem is None:
            start = window_start(flow, None if last is None else last[0], as_of)
            events = fired_events(store, flow, start, as_of, members)
            due = len({event.customer_id for event in due_events(store, flow_id, events)})
        statuses.append(FlowStatus(flow, None if last is None else last[0],
                                   None if last is None else last[1], due, problem))  # fmt: skip
    return statuses


def run_flows(
    store: Store,
    as_of: date,
    *,
    dry_run: bool = False,
    backfill_days: int | None = None,
    out_dir: Path,
    names: Sequence[str] | None = None,
    after_campaign: Callable[[str], None] | None = None,
    templates_dir: Path | None = None,
) -> FlowsReport:
    """Run every enabled flow (or the enabled ones of `names`) once at `as_of`.

    Raises FlowError for bad input (nothing run); a flow that fails has `error` set in its
    result and the others still run. `after_campaign(name)` is called after each flow's
    campaign is committed (`flows run --send` sends it).
    """
    if backfill_days is not None and not 0 <= backfill_days <= MAX_BACKFILL_DAYS:
        raise FlowError(f"--backfill-days {backfill_days}: a number of days from 0 to "
                        f"{MAX_BACKFILL_DAYS}")  # fmt: skip
    if not dry_run and out_dir.exists() and not out_dir.is_dir():
        raise FlowError(f"--out {out_dir}: is a file; flows write a folder per campaign in it")
    chosen = _chosen(store, names)
    from core.compose.templates import list_templates

    templates = {info.name: info for info in list_templates(templates_dir)}
    runner = _Runner(store, as_of, dry_run, out_dir, templates_dir)
    report = FlowsReport(as_of, dry_run)
    for flow_id, flow in chosen:
        result = FlowRunResult(flow.name)
        report.flows.append(result)
        try:
            problem = template_problem(flow.template, templates)
            problem = problem or segment_problem(store, flow.trigger)
            if problem is not None:
                raise FlowError(problem)
            last = last_run(store, flow_id)
            start = window_start(flow, None if last is None else last[0], as_of, backfill_days)
            result.window = (start, as_of)
            fired = fired_events(store, flow, start, as_of, runner.members)
            runner.run(flow_id, flow, due_events(store, flow_id, fired), result)
            if result.campaign is not None and not dry_run and after_campaign is not None:
                after_campaign(result.campaign)
        except Exception as exc:  # one flow's failure must not stop the others (cron)
            result.error = _one_line(exc)
    return report


def _chosen(store: Store, names: Sequence[str] | None) -> list[tuple[int, Flow]]:
    if not names:
        return [(flow_id, flow) for flow_id, flow in flows_with_ids(store) if flow.enabled]
    chosen = []
    for name in names:
        flow_id, flow = require_flow(store, name)
        if not flow.enabled:
            raise FlowError(f"flow {flow.name!r} is disabled (flows enable {flow.name})")
        chosen.append((flow_id, flow))
    return chosen


def _one_line(exc: Exception) -> str:
    from core.compose import ComposeError, ExportError

    text = " ".join(str(exc).split()) or type(exc).__name__
    known = (FlowError, ComposeError, ExportError, OSError, ValueError, RuntimeError)
    return text if isinstance(exc, known) else f"{type(exc).__name__}: {text}"


class _Runner:
    """One `flows run`: the composer (made on first need) and the segment members shared
    by the flows."""

    def __init__(
        self, store: Store, as_of: date, dry_run: bool, out_dir: Path, templates_dir: Path | None
    ) -> None:
        self.store = store
        self.as_of = as_of
        self.dry_run = dry_run
        self.out_dir = out_dir
        self.templates_dir = templates_dir
        self.members = SegmentMembers(store)
        self._composer: Composer | None = None

    @property
    def composer(self) -> Composer:
        if self._composer is None:
            from core.compose import Composer

            self._composer = Composer(self.store, self.templates_dir, as_of=self.as_of)
        return self._composer

    def run(self, flow_id: int, flow: Flow, due: list[Event], result: FlowRunResult) -> None:
        customers = sorted({event.customer_id for event in due})
        result.due = len(customers)
        if not customers:
            if not self.dry_run:
                with self.store.write() as conn:
                    self._record_run(conn, flow_id, result, None)
            return
        exported = self._export(flow_id, flow, due, customers, result)
        result.campaign = exported.campaign
        result.drafted = exported.drafted
        result.held_out = exported.held_out
        result.left_out = dict(sorted(exported.skipped.items()))
        result.path = exported.path

    def _export(
        self, flow_id: int, flow: Flow, due: list[Event], customers: list[int],
        result: FlowRunResult,
    ) -> ExportResult:  # fmt: skip
        from core.campaigns import CampaignRequest, export_campaign
        from core.compose import parse_discount

        composer = self.composer
        name = campaign_name(flow, self.as_of)
        request = CampaignRequest(
            audience=f"flow:{flow.name}",
            audience_detail={"flow": flow.name, "trigger": str(flow.trigger),
                             "delay_days": flow.delay_days},
            name=name, min_gap_days=flow.min_gap_days, holdout_percent=flow.holdout_percent,
        )  # fmt: skip
        discount = None
        if flow.discount is not None:
            discount = parse_discount(flow.discount, currency=composer.shop.currency)
        out = Path("dry-run") if self.dry_run else self._folder(name)

        def record(conn: sqlite3.Connection, campaign_id: int) -> None:
            # Inside the write lock: another `flows run` (an overlapping cron job) that
            # handled some of these events meanwhile wins; this one writes nothing.
            if len(due_events(self.store, flow_id, due)) != len(due):
                raise FlowError(_MEANWHILE)
            outcomes = {
                customer_id: (outcome, reason)
                for customer_id, outcome, reason in conn.execute(
                    "SELECT customer_id, outcome, reason FROM campaign_recipients "
                    "WHERE campaign_id = ?",
                    (campaign_id,),
                )
            }
            conn.executemany(
                "INSERT OR IGNORE INTO flow_entries (flow_id, customer_id, event_key, event_day,"
                " as_of, campaign, outcome, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (flow_id, e.customer_id, e.key, e.day.toordinal(), self.as_of.isoformat(),
                     name, *outcomes[e.customer_id])
                    for e in due
                    if e.customer_id in outcomes
                ],
            )  # fmt: skip
            self._record_run(conn, flow_id, result, name)

        return export_campaign(composer, request, customers, flow.template, out,
                               discount=discount, dry_run=self.dry_run,
                               also_record=record)  # fmt: skip

    def _record_run(
        self, conn: sqlite3.Connection, flow_id: int, result: FlowRunResult, campaign: str | None
    ) -> None:
        assert result.window is not None
        conn.execute(
            "INSERT INTO flow_runs (flow_id, as_of, window_start, run_at, campaign, due) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (flow_id, self.as_of.isoformat(), result.window[0].isoformat(), utc_now(),
             campaign, result.due),
        )  # fmt: skip

    def _folder(self, name: str) -> Path:
        """`out_dir/<campaign>`, or `<campaign>.2`, ... when an earlier run of the same
        campaign (a backfill on the same day) already wrote there."""
        self.out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        candidate = self.out_dir / name
        number = 1
        while candidate.exists() and (not candidate.is_dir() or any(os.scandir(candidate))):
            number += 1
            candidate = self.out_dir / f"{name}.{number}"
        return candidate
