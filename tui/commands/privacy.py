"""`retain-tui forget`, `customer export` and `customer show`: a person's erasure, access
requests, and everything about them at a glance (orders and contact history)."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from core.access_request import access_record, write_private_json
from core.customer_details import CustomerDetails, customer_details
from core.erasure import ErasureReport, UnknownPersonError, find_person, forget_customers
from core.store import Store
from core.values import format_cents
from tui.commands.common import (
    DbOption,
    ExitCode,
    JsonOption,
    console,
    fail,
    opened_store,
    print_json,
    signals_interrupt,
    warn,
)
from tui.referral_text import referral_lines
from tui.safe_text import clean

PersonArgument = Annotated[
    str,
    typer.Argument(
        metavar="PERSON",
        help="The person: their email address (any case) or customer number.",
        show_default=False,
    ),
]

customer_app = typer.Typer(
    help="One customer: their data, orders and contact history.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("forget")(forget)
    app.add_typer(customer_app, name="customer")


def forget(
    ctx: typer.Context,
    who: PersonArgument,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask (needed when not at a terminal).")
    ] = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Erase a person's personal data; their orders stay, anonymised, so no figure changes."""
    with opened_store(ctx, db) as store:
        ids = _person_ids(store, who)
        numbers = ", ".join(str(number) for number in ids)
        if not yes:
            if not sys.stdin.isatty():
                fail("forget cannot be undone: add --yes to run it without a terminal")
            if not typer.confirm(f"Forget customer {numbers}? This cannot be undone"):
                fail("nothing was changed")
        report = forget_customers(store, ids)
    if json_:
        print_json(report.to_dict())
    else:
        _print_report(report)
    for name in report.segments_mentioning:
        warn(f"saved segment {name!r} names this person: edit or remove it")
    if report.rebuild_interrupted:
        fail(
            "interrupted after the personal data was cleared (committed): the file was not "
            "rebuilt, old copies may remain in its free space; run "
            f"`retain-tui forget {report.customer_ids[0]} --yes` again",
            ExitCode.INTERRUPTED,
        )
    if report.rebuild_error is not None:
        fail(
            f"the personal data is cleared, but the file could not be rebuilt "
            f"({report.rebuild_error}): old copies may remain in its free space; run "
            f"`retain-tui forget {report.customer_ids[0]} --yes` again once that is fixed",
            ExitCode.FAILED,
        )
    if not report.wal_cleared:
        warn(
            "another program (the app?) is reading the shop: the old data leaves the "
            "-wal file at its next checkpoint, when it closes"
        )


def _print_report(report: ErasureReport) -> None:
    customers = ", ".join(str(number) for number in report.customer_ids)
    console.print(f"Forgot customer {customers}.", markup=False)
    for column, count in report.cleared.items():
        console.print(f"  cleared {column}: {count:,}", markup=False)
    if report.consent_withdrawn:
        console.print(f"  marketing consent set to no: {report.consent_withdrawn:,}", markup=False)
    console.print(f"  search index entries removed: {report.search_rows_removed:,}", markup=False)
    console.print(
        f"  orders kept without personal data: {report.kept_orders:,} (figures unchanged)",
        markup=False,
    )


@customer_app.command("export")
def customer_export(
    ctx: typer.Context,
    who: PersonArgument,
    out: Annotated[
        str,
        typer.Option(
            "--out",
            metavar="FILE",
            help="Write the JSON here (mode 0600, replaced whole); - for standard output.",
            show_default=False,
        ),
    ],
    db: DbOption = None,
) -> None:
    """Everything stored about a person, as JSON (for an access request)."""
    with opened_store(ctx, db) as store:
        ids = _person_ids(store, who)
        records = [access_record(store, number) for number in ids]
    data = records[0] if len(records) == 1 else records
    if out == "-":
        print_json(data)
        return
    path = Path(out)
    if path.is_dir():
        fail(f"--out {out}: is a folder; name the file to write")
    try:
        with signals_interrupt():
            write_private_json(data, path)
    except OSError as exc:
        fail(f"--out {out}: {exc.strerror or exc}")
    except KeyboardInterrupt:  # the temporary file is gone: nothing half-written stays
        fail("interrupted: nothing was written", code=ExitCode.INTERRUPTED)
    console.print(f"Wrote everything stored about customer {ids[0]} to {path}", markup=False)


@customer_app.command("show")
def customer_show(
    ctx: typer.Context, who: PersonArgument, json_: JsonOption = False, db: DbOption = None
) -> None:
    """A customer, their orders with their lines, and every campaign draft, code and
    redemption (an erased customer: what remains, anonymised)."""
    with opened_store(ctx, db) as store:
        found = [customer_details(store, number) for number in _person_ids(store, who)]
    details = [detail for detail in found if detail is not None]
    if json_:
        documents = [detail.to_dict() for detail in details]
        print_json(documents[0] if len(documents) == 1 else documents)
        return
    for detail in details:
        _print_details(detail)


def _print_details(detail: CustomerDetails) -> None:
    out = partial(console.print, markup=False, highlight=False, soft_wrap=True)
    who: dict[str, Any] = detail.customer
    if who["forgotten"]:
        out(f"Customer {who['id']} · forgotten (personal data erased; orders kept anonymised)")
    else:
        email = f" <{clean(who['email'])}>" if who["email"] else ""
        out(f"Customer {who['id']} · {clean(who['name'], empty='(no name)')}{email}")
    consent = {True: "yes", False: "no", None: "unknown"}[who["accepts_marketing"]]
    out(
        f"  country {clean(who['country'], empty='-')} · language "
        f"{clean(who['language'], empty='-')} · marketing {consent} · {who['orders']:,} orders "
        f"· {format_cents(who['revenue'])} · first {who['first_order'] or '-'} · last "
        f"{who['last_order'] or '-'}"
    )
    prediction: dict[str, Any] | None = who.get("prediction")
    if prediction is not None:
        stale = " (stale: run retain-tui predict)" if prediction["stale"] else ""
        out(
            f"  predicted as of {prediction['as_of']}, next {prediction['horizon_days']} days: "
            f"p_alive {prediction['p_alive']:.2f} · {prediction['expected_orders']:.2f} orders "
            f"· spend {prediction['expected_spend']:.2f} · CLV {prediction['clv']:.2f}{stale}"
        )
    out(f"Orders ({len(detail.orders):,})")
    order: dict[str, Any]
    for order in detail.orders:
        flags = " cancelled" if order["cancelled"] else ""
        code = f" · code {clean(order['discount_code'])}" if order["discount_code"] else ""
        out(
            f"  {order['ordered_on']}  {clean(order['external_id'])}  "
            f"{clean(order['status'], empty='-')}{flags}  {format_cents(order['net'])} "
            f"{clean(order['currency'])}{code}"
        )
        for line in order["lines"]:
            sku = f" ({clean(line['sku'])})" if line["sku"] else ""
            price = "" if line["unit_price"] is None else f" at {format_cents(line['unit_price'])}"
            out(f"      {line['quantity']} × {clean(line['product'], empty='-')}{sku}{price}")
    out(f"Survey answers ({len(detail.responses):,})")
    for answer in detail.responses:
        said = f": {clean(answer.comment)}" if answer.comment else ""
        out(f"  {clean(answer.answered_at)[:16]}  score {answer.score} ({answer.category}){said}")
    loyalty: dict[str, Any] | None = detail.loyalty
    if loyalty is not None:
        to_next = (f" · {loyalty['spend_to_next_tier']} more to {clean(loyalty['next_tier'])}"
                   if loyalty["next_tier"] else "")  # fmt: skip
        out(
            f"Loyalty as of {loyalty['as_of']}: {loyalty['points']:,} points (worth "
            f"{loyalty['points_value']}) · {clean(loyalty['tier'], empty='no tier')} "
            f"({loyalty['spend_12m']} in 12 months){to_next}"
        )
        for row in loyalty["adjustments"]:
            out(f"  {row['as_of']}  {row['kind']}  {row['points']:+,}  {clean(row['reference'])}")
    events = detail.history.events()
    out(f"Contact history ({len(events):,})")
    if not events:
        out("  no campaign has selected this customer yet")
    for event in events:
        out(f"  {event.when[:10]}  {clean(event.campaign)}  {event.what}: {clean(event.detail)}")
    for line in referral_lines(detail.referrals) if detail.referrals else []:
        out(line)


def _person_ids(store: Store, who: str) -> list[int]:
    """The customers PERSON names (an email or a customer number); none is a refusal."""
    try:
        return find_person(store, who)
    except UnknownPersonError as exc:
        fail(str(exc))
