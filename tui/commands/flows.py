"""`retain-tui flows`: list, add, remove, enable, disable and run the automated flows
(issue 14, docs/flows.md). Thin: parse, call core.flows, print one line per flow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from core.flows import (
    TRIGGER_FORMS,
    FlowError,
    FlowRunResult,
    FlowStatus,
    add_flow,
    disable_flow,
    enable_flow,
    flow_statuses,
    parse_trigger,
    remove_flow,
    run_flows,
)
from core.store import Store
from tui.commands.campaign_options import HoldoutOption, MinGapOption
from tui.commands.common import (
    AsOfOption,
    DbOption,
    ExitCode,
    JsonOption,
    as_of_date,
    fail,
    opened_store,
    print_json,
    say,
)
from tui.commands.sending import PerMinuteOption, check_per_minute, exit_code, show_report

T = TypeVar("T")
INTERRUPTED = (
    "interrupted: the flow being run recorded and wrote nothing; flows that had finished "
    "keep their campaigns; run `flows run` again to complete the rest"
)

flows_app = typer.Typer(
    help="Automated flows: saved rules that draft a campaign for customers whose trigger "
    "fired (docs/flows.md).",
    invoke_without_command=True,
)

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The flow's name.")]
TemplatesOption = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        metavar="DIR",
        help="Your own templates folder (default: templates/ in your data folder).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(flows_app, name="flows")


@flows_app.callback()
def flows_list(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    templates: TemplatesOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List the flows: on or off, trigger, template, last run and who is due today."""
    if ctx.invoked_subcommand is not None:
        return
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        statuses = flow_statuses(store, day, templates_dir=templates)
    if json_:
        print_json({"as_of": day.isoformat(), "flows": [s.to_dict() for s in statuses]})
        return
    for status in statuses:
        say(_status_line(status))
    say(f"Due: customers whose trigger fired by {day} and not yet handled (before consent, "
         "the cap and the template's own rules). Run them with: retain-tui flows run")  # fmt: skip


def _status_line(status: FlowStatus) -> str:
    flow = status.flow
    parts = [
        flow.name, "on" if flow.enabled else "off",
        f"{flow.trigger} +{flow.delay_days}d", f"template {flow.template}",
    ]  # fmt: skip
    if flow.discount:
        parts.append(f"discount {flow.discount}")
    if flow.holdout_percent:
        parts.append(f"holdout {flow.holdout_percent}%")
    if flow.min_gap_days is not None:
        parts.append(f"min gap {flow.min_gap_days}d")
    parts.append(f"last run {status.last_run_as_of}" if status.last_run_as_of else "never run")
    if status.problem:
        parts.append(f"PROBLEM: {status.problem}")
    elif status.due_today is not None:
        parts.append(f"due {status.due_today}")
    return "  ".join(parts)


@flows_app.command("enable")
def flows_enable(
    ctx: typer.Context, name: NameArgument, as_of: AsOfOption = None, db: DbOption = None
) -> None:
    """Turn a flow on from the as-of date: events before it are not handled (no backlog)."""
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        flow = _refusing(lambda: enable_flow(store, name, day))
    say(f"{flow.name}: on from {flow.enabled_as_of}")


@flows_app.command("disable")
def flows_disable(ctx: typer.Context, name: NameArgument, db: DbOption = None) -> None:
    """Turn a flow off (its history stays; enabling it again starts from that day)."""
    with opened_store(ctx, db) as store:
        flow = _refusing(lambda: disable_flow(store, name))
    say(f"{flow.name}: off")


@flows_app.command("rm")
def flows_rm(ctx: typer.Context, name: NameArgument, db: DbOption = None) -> None:
    """Remove your own flow with its run history (its campaigns stay); shipped ones: disable."""
    with opened_store(ctx, db) as store:
        _refusing(lambda: remove_flow(store, name))
    say(f"{name}: removed")


@flows_app.command("add")
def flows_add(
    ctx: typer.Context,
    name: NameArgument,
    trigger: Annotated[
        str,
        typer.Option(
            "--trigger", metavar="TRIGGER", help=f"When a customer enters: {TRIGGER_FORMS}."
        ),
    ],
    template: Annotated[
        str, typer.Option("--template", "-t", metavar="NAME", help="Template to draft.")
    ],
    discount: Annotated[
        str | None,
        typer.Option("--discount", metavar="AMOUNT", help="Unique codes: 10% or e.g. 5EUR."),
    ] = None,
    delay_days: Annotated[
        int,
        typer.Option("--delay-days", metavar="DAYS", help="Days after the event to draft."),
    ] = 0,
    min_gap_days: MinGapOption = None,
    holdout: HoldoutOption = None,
    templates: TemplatesOption = None,
    db: DbOption = None,
) -> None:
    """Save a new flow (off until `flows enable NAME`)."""
    from decimal import Decimal

    from core.campaigns import HoldoutError, parse_holdout

    try:
        percent = Decimal(0) if holdout is None else parse_holdout(holdout)
        parsed = parse_trigger(trigger)
    except (HoldoutError, FlowError) as exc:
        fail(str(exc))
    with opened_store(ctx, db) as store:
        flow = _refusing(
            lambda: add_flow(
                store, name, parsed, template, delay_days=delay_days, discount=discount,
                min_gap_days=min_gap_days, holdout_percent=percent, templates_dir=templates,
            )
        )  # fmt: skip
    say(f"{flow.name}: added, off ({flow.trigger} +{flow.delay_days}d, template "
         f"{flow.template}); turn it on with: retain-tui flows enable {flow.name}")  # fmt: skip


@flows_app.command("run")
def flows_run(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count and render, write and record nothing.")
    ] = False,
    backfill_days: Annotated[
        int | None,
        typer.Option(
            "--backfill-days",
            metavar="DAYS",
            help="Also handle events that fired in the DAYS days before the as-of date "
            "(default: only since the last run, or since the flow was enabled).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="DIR",
            help="Folder for the drafts, one subfolder per campaign (default: drafts/ in your "
            "data folder).",
            show_default=False,
        ),
    ] = None,
    flow: Annotated[
        list[str] | None,
        typer.Option("--flow", metavar="NAME", help="Only this enabled flow (repeatable)."),
    ] = None,
    templates: TemplatesOption = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Then send each new campaign, and what earlier flow runs left queued, through "
            "the shop's mail server (smtp.* settings, docs/delivery.md).",
        ),
    ] = False,
    per_minute: PerMinuteOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Run every enabled flow once (for cron: never prompts, one line per flow, exit 1 when
    any flow failed or sending stopped, 3 when some messages were refused or deferred)."""
    from core.paths import drafts_dir

    if send and dry_run:
        fail("--send with --dry-run: a dry run records no campaign to send")
    check_per_minute(per_minute)
    written: list[str] = []
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        if send:
            _check_mail_settings(store)
        try:
            report = _refusing(
                lambda: run_flows(
                    store, day, dry_run=dry_run, backfill_days=backfill_days,
                    out_dir=out if out is not None else drafts_dir(), names=flow,
                    templates_dir=templates, after_campaign=written.append,
                )
            )  # fmt: skip
        except KeyboardInterrupt:
            fail(INTERRUPTED, code=ExitCode.INTERRUPTED)
        if not json_:
            if not report.flows:
                say("No flow is enabled (see: retain-tui flows; turn one on: flows enable NAME)")
            for result in report.flows:
                say(_run_line(result, dry_run))
        code = ExitCode.FAILED if report.failed else ExitCode.OK
        sent: list[dict[str, object]] = []
        if send:
            code = _worse(code, _send_flow_campaigns(store, written, per_minute, json_, sent))
    if json_:
        print_json(report.to_dict() | ({"sent": sent} if send else {}))
    raise typer.Exit(code)


def _send_flow_campaigns(
    store: Store,
    written: list[str],
    per_minute: int | None,
    json_: bool,
    sent: list[dict[str, object]],
) -> ExitCode:
    """Send this run's campaigns, then what earlier flow runs left queued (deferred, or the
    server was unreachable); each report printed (or added to `sent` for --json)."""
    from core.campaigns import CampaignError
    from core.compose import ComposeError
    from core.delivery import (
        DeliveryError,
        SendInterrupted,
        campaigns_with_queued,
        queue_campaign,
        send_campaigns,
    )
    from core.flows import flow_campaigns

    try:
        for name in written:  # all queued first: a server down now leaves them for the next run
            queue_campaign(store, name)
        names = campaigns_with_queued(store, flow_campaigns(store))
        reports = send_campaigns(store, names, per_minute=per_minute)
    except SendInterrupted as exc:
        show_report(exc.report, json_)
        fail("interrupted while sending: every answer so far is recorded; run `flows run "
             "--send` again for the rest", code=ExitCode.INTERRUPTED)  # fmt: skip
    except (DeliveryError, CampaignError, ComposeError) as exc:
        # The flows ran and their drafts are recorded: sending is what failed.
        fail(f"the flows ran, but sending failed: {exc}", code=ExitCode.FAILED)
    code = ExitCode.OK
    for send_report in reports:
        if json_:
            sent.append(send_report.to_dict())
        else:
            show_report(send_report, json_=False)
        if send_report.stopped:
            say(f"sending stopped: {send_report.stopped}; the rest stays queued")
        code = _worse(code, exit_code(send_report))
    if not names and not json_:
        say("nothing to send")
    return code


def _check_mail_settings(store: Store) -> None:
    """`--send` without usable smtp.* settings is refused before any flow runs."""
    from core.delivery import DeliveryError, load_smtp_settings

    try:
        load_smtp_settings(store)
    except DeliveryError as exc:
        fail(f"--send: {exc}")


_SEVERITY = (ExitCode.OK, ExitCode.PARTIAL, ExitCode.FAILED)


def _worse(one: ExitCode, other: ExitCode) -> ExitCode:
    """The graver of two outcomes: a failure over a partial success over success."""
    return max(one, other, key=_SEVERITY.index)


def _run_line(result: FlowRunResult, dry_run: bool) -> str:
    if result.error is not None:
        return f"{result.name}: FAILED: {result.error}"
    window = ""
    if result.window is not None:
        window = f" (fired after {result.window[0]} up to {result.window[1]})"
    if result.campaign is None:
        return f"{result.name}: nobody due{window}"
    left = sum(result.left_out.values())
    reasons = ", ".join(f"{reason} {count}" for reason, count in result.left_out.items())
    verb = "would draft" if dry_run else "drafted"
    line = (f"{result.name}: {result.due} due{window}, {verb} {result.drafted}, held out "
            f"{result.held_out}, left out {left}")  # fmt: skip
    if reasons:
        line += f" ({reasons})"
    if not dry_run:
        line += f"; campaign {result.campaign}"
        if result.path:
            line += f" in {result.path}"
    return line


def _refusing(action: Callable[[], T]) -> T:
    """`action()`, with bad input (FlowError) as one `error:` line and exit 2."""
    try:
        return action()
    except FlowError as exc:
        fail(str(exc))
