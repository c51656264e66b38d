"""`retain-tui send CAMPAIGN`: a campaign's messages through the shop's SMTP server.

A thin layer over core/delivery: queue what is not queued yet, send the queued, print per
address what was refused, failed, deferred or is uncertain (addresses are customer data:
shown as printable text, never as markup), and exit with a code a cron job can read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from tui.commands.campaign_options import CampaignArgument
from tui.commands.common import (
    DbOption,
    ExitCode,
    JsonOption,
    console,
    err_console,
    fail,
    opened_store,
    print_json,
    printable,
)

if TYPE_CHECKING:
    from core.delivery import SendReport


PerMinuteOption = Annotated[
    int | None,
    typer.Option(
        "--per-minute",
        metavar="N",
        help="At most N messages a minute (0: no limit; default: smtp.per_minute, 30).",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.command("send")(send)


def send(
    ctx: typer.Context,
    campaign: CampaignArgument,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", metavar="N", help="Send at most N messages this run.", show_default=False
        ),
    ] = None,
    per_minute: PerMinuteOption = None,
    retry_uncertain: Annotated[
        bool,
        typer.Option(
            "--retry-uncertain",
            help="Send the uncertain messages again (a recipient may get one twice).",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check settings and count; queue and send nothing."),
    ] = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Send a campaign's emails through the shop's mail server (smtp.* settings), each at
    most once: a re-run after a crash sends only the rest (docs/delivery.md)."""
    from core.campaigns import CampaignError
    from core.compose import ComposeError
    from core.delivery import (
        DeliveryError,
        SendInterrupted,
        SmtpAuthError,
        SmtpUnreachableError,
        send_campaign,
    )

    if limit is not None and limit < 1:
        fail(f"--limit {limit}: at least 1 message")
    check_per_minute(per_minute)
    with opened_store(ctx, db) as store, _progress_bar(quiet=json_ or dry_run) as progress:
        try:
            report = send_campaign(
                store, campaign, limit=limit, per_minute=per_minute,
                retry_uncertain=retry_uncertain, dry_run=dry_run, progress=progress,
            )  # fmt: skip
        except SendInterrupted as exc:
            show_report(exc.report, json_)
            fail("interrupted: every answer so far is recorded; run send again for the rest",
                 code=ExitCode.INTERRUPTED)  # fmt: skip
        except (SmtpAuthError, SmtpUnreachableError) as exc:
            fail(str(exc), code=ExitCode.FAILED)
        except (DeliveryError, CampaignError, ComposeError) as exc:
            fail(str(exc))
    show_report(report, json_)
    code = exit_code(report)
    if report.stopped:
        fail(report.stopped, code=code)
    raise typer.Exit(code)


def check_per_minute(per_minute: int | None) -> None:
    if per_minute is not None and not 0 <= per_minute <= 100_000:
        fail(f"--per-minute {per_minute}: 0 (no limit) to 100,000")


@contextmanager
def _progress_bar(*, quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A bar on stderr while sending, when it is a terminal (at 30 a minute, 1,000
    messages take half an hour); nothing for scripts, cron and --json."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("Sending", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def exit_code(report: SendReport) -> ExitCode:
    """0: everything asked was done; 1: stopped with nothing sent (login refused, server
    unreachable); 3: stopped after some were sent, or some were refused, failed, deferred or
    are uncertain (the list says which)."""
    if report.stopped:
        return ExitCode.PARTIAL if report.sent else ExitCode.FAILED
    return ExitCode.PARTIAL if report.problems else ExitCode.OK


def show_report(report: SendReport, json_: bool) -> None:
    """What one send did, per address and in totals (or its JSON)."""
    if json_:
        print_json(report.to_dict())
        return
    out = console.print
    if report.dry_run:
        out(f"dry run: nothing queued or sent; {report.still_queued:,} message(s) would be "
            f"sent from campaign {printable(report.campaign)}", markup=False)  # fmt: skip
    for title, replies in (("refused", report.refused), ("failed", report.failed),
                           ("deferred", report.deferred)):  # fmt: skip
        for address, reply in replies.items():
            later = " (still queued: the next run tries again)" if title == "deferred" else ""
            out(f"  {title:<9} {printable(address)}: {printable(reply)}{later}", markup=False)
    for address in report.uncertain:
        out(f"  uncertain {printable(address)}: maybe sent, not sent again", markup=False)
    if report.uncertain:
        err_console.print(
            f"{len(report.uncertain)} message(s) may have reached the server before a crash or a "
            "lost connection: check with the recipients or the server's log; "
            "`retain-tui send CAMPAIGN --retry-uncertain` sends them again on purpose",
            markup=False,
        )
    totals = report.totals
    out(
        f"campaign {printable(report.campaign)}: queued now {report.queued_now:,}, sent now "
        f"{report.sent:,}; outbox: sent {totals.get('sent', 0):,}, queued "
        f"{totals.get('queued', 0):,}, refused {totals.get('refused', 0):,}, failed "
        f"{totals.get('failed', 0):,}, uncertain {totals.get('uncertain', 0):,}",
        markup=False,
    )
