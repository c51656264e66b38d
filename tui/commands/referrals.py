"""`retain-tui referral codes` (personal referral codes for the shop's coupon import) and
`retain-tui referrals` (referrers, the customers they brought, their orders and revenue)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from core.codes.shop_files import FORMATS
from core.referrals.codes import DEFAULT_PREFIX, ReferralCodesError, export_referral_codes
from core.referrals.report import referrals_report
from tui.commands.common import (
    AsOfOption,
    DbOption,
    JsonOption,
    as_of_date,
    choices,
    choices_metavar,
    console,
    customer_ids_option,
    fail,
    opened_store,
    print_json,
    refuse_unknown_customers,
)
from tui.display import money, plural
from tui.safe_text import clean

ShopFormat = choices("ShopFormat", FORMATS)

referral_app = typer.Typer(help="Personal referral codes.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(referral_app, name="referral")
    app.command("referrals")(referrals)


@referral_app.command("codes")
def referral_codes(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option(
            "--out", metavar="FILE", help="The file to write (mode 0600).", show_default=False
        ),
    ],
    segment: Annotated[
        str | None,
        typer.Option(
            "--segment", "-s", metavar="NAME", help="Everyone in this segment gets a code."
        ),
    ] = None,
    customers: Annotated[
        list[str] | None,
        typer.Option(
            "--customers",
            metavar="IDS",
            help="These customer ids too (12,15,19; repeatable).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        ShopFormat,
        typer.Option(
            "--format",
            metavar=choices_metavar(FORMATS),
            help="shopify: Matrixify's Discounts sheet; woocommerce: the Smart Coupons "
            "(WebToffee) coupon CSV; csv: code,value,type,currency,expires,customer_email,"
            "referrer_email.",
        ),
    ] = ShopFormat.csv,  # type: ignore[attr-defined]
    prefix: Annotated[
        str, typer.Option("--prefix", metavar="REF", help="The codes' prefix (A-Z, 0-9).")
    ] = DEFAULT_PREFIX,
    discount: Annotated[
        str | None,
        typer.Option(
            "--discount",
            metavar="AMOUNT",
            help="What a code gives the new customer: 10% or 5EUR "
            "(default: referrals.friend_discount).",
            show_default=False,
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file at --out.")
    ] = False,
    as_of: AsOfOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Give each customer a personal referral code (kept on re-runs) and write the codes as a
    file for the shop's coupon import: any number of new customers may use a code, each once."""
    ids = customer_ids_option(customers or [], "--customers")
    if segment is None and not ids:
        fail("choose customers: --segment NAME and/or --customers IDS")
    with opened_store(ctx, db) as store:
        refuse_unknown_customers(store, ids, "--customers")
        chosen = list(ids)
        if segment is not None:
            chosen = _segment_ids(store, segment, as_of) + chosen
        try:
            result = export_referral_codes(
                store, chosen, fmt.value, out, prefix=prefix, discount=discount,
                overwrite=overwrite,
            )  # fmt: skip
        except ReferralCodesError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(
                f"--out {out}: {exc.strerror or exc} (the codes are stored: run the same "
                "command again to write them)"
            )
    if json_:
        print_json(result.to_dict())
        return
    console.print(
        f"Wrote {plural(result.codes, 'referral code')} ({result.new:,} new, "
        f"{result.discount} off for the new customer, {result.format}) to {out}",
        markup=False,
    )
    if result.forgotten:
        console.print(f"  left out {plural(result.forgotten, 'forgotten customer')}", markup=False)


def _segment_ids(store: Any, segment: str, as_of: str | None) -> list[int]:
    from core.segments import SegmentError, segment_customer_ids

    try:
        return segment_customer_ids(store, segment, as_of_date(store, as_of))
    except SegmentError as exc:
        fail(f"--segment: {exc}")


def referrals(
    ctx: typer.Context, as_of: AsOfOption = None, json_: JsonOption = False, db: DbOption = None
) -> None:
    """Referrers, the new customers their codes brought, and those customers' orders and net
    revenue (docs/referrals.md)."""
    with opened_store(ctx, db) as store:
        report = referrals_report(store, as_of_date(store, as_of))
        currency = store.get_setting("shop.currency", "EUR")
    data = report.to_dict()
    if json_:
        print_json(data)
        return
    out = console.print
    out(
        f"Referrals as of {report.as_of}: {plural(report.codes, 'code')} given, "
        f"{plural(len(report.referrers), 'referrer')} brought "
        f"{plural(int(data['referred']), 'new customer')} "  # type: ignore[call-overload]
        f"({plural(int(data['orders']), 'order')}, "  # type: ignore[call-overload]
        f"{money(int(data['net_revenue']), currency)} net, "  # type: ignore[call-overload]
        f"{int(data['points']):,} points credited)",  # type: ignore[call-overload]
        markup=False,
    )
    for referrer in report.referrers:
        out(
            f"  {_who(referrer.name, referrer.email)} (customer {referrer.customer_id}, "
            f"{clean(referrer.code)}): {plural(len(referrer.referred), 'customer')}, "
            f"{money(referrer.net_revenue, currency)} net, {referrer.points:,} points",
            markup=False,
        )
        for item in referrer.referred:
            out(
                f"      {_who(item.name, item.email)} (customer {item.customer_id}) "
                f"since {item.first_order}: {plural(item.orders, 'order')}, "
                f"{money(item.net_revenue, currency)} net",
                markup=False,
            )


def _who(name: str, email: str | None) -> str:
    """The name, else the address, made safe to print (customer data)."""
    return clean(name or email, empty="(no name)")
