"""`retain-tui loyalty`: the scheme's figures, its rules, and redeeming points (issue 15,
docs/loyalty.md). Thin: parse, call core.loyalty and the settings code, print."""

from __future__ import annotations

from typing import Annotated

import typer

from core.erasure import UnknownPersonError, find_person
from core.loyalty import (
    RULE_KEYS,
    LoyaltyError,
    balances,
    issue_points_code,
    loyalty_report,
    redeem,
)
from core.loyalty.codes import DEFAULT_VALID_DAYS
from core.shop_settings import SettingError, all_settings, load_shop_settings, set_setting
from core.store import Store
from core.values import format_cents
from tui.commands.common import (
    AsOfOption,
    DbOption,
    JsonOption,
    as_of_date,
    fail,
    opened_store,
    print_json,
    say,
)
from tui.display import money

loyalty_app = typer.Typer(
    help="Loyalty points and tiers: members and points per tier, the rules, redemptions "
    "(docs/loyalty.md).",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(loyalty_app, name="loyalty")


@loyalty_app.callback()
def loyalty_summary(
    ctx: typer.Context, as_of: AsOfOption = None, json_: JsonOption = False, db: DbOption = None
) -> None:
    """Members and points per tier, points outstanding and their value (the shop's liability)."""
    if ctx.invoked_subcommand is not None:
        return
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        try:
            report = loyalty_report(store, day)
        except LoyaltyError as exc:
            fail(str(exc))
        currency = load_shop_settings(store).currency
    if json_:
        print_json(report.to_dict())
        return
    rules = report.rules
    say(f"Loyalty as of {day}: {report.members:,} customers")
    for tier in report.tiers:
        say(
            f"  {tier.name:<12} from {money(tier.threshold, currency):>12}  "
            f"{tier.members:>9,} customers  {tier.points:>13,} points"
        )
    say(
        f"Points outstanding: {report.points_outstanding:,}, worth "
        f"{money(report.value_outstanding, currency)} ({rules.point_value:,} points = "
        f"{money(100, currency)})"
    )
    if report.points_in_open_codes:
        say(
            f"Promised in open codes: {report.points_in_open_codes:,} points, worth "
            f"{money(report.value_in_open_codes, currency)} (deducted when an order uses them)"
        )
    if report.negative_balances:
        say(
            f"{report.negative_balances:,} customers owe points: refunds took back points they "
            "had redeemed (their balance is below 0)"
        )


KeyArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="KEY",
        help="A rule: points_per_unit, bonus_2nd_order, bonus_5th_order, expiry_months, "
        "point_value, tiers (with or without 'loyalty.').",
        show_default=False,
    ),
]


@loyalty_app.command("rules", context_settings={"ignore_unknown_options": True})
def loyalty_rules(
    ctx: typer.Context,
    key: KeyArgument = None,
    value: Annotated[
        str | None, typer.Argument(metavar="VALUE", help="Its new value.", show_default=False)
    ] = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show the rules, or set one: `loyalty rules tiers "Bronze:0,Silver:300,Gold:1200"`."""
    with opened_store(ctx, db) as store:
        if key is not None:
            full = key if key.startswith("loyalty.") else f"loyalty.{key}"
            if full not in RULE_KEYS:
                names = ", ".join(k.removeprefix("loyalty.") for k in RULE_KEYS)
                fail(f"unknown loyalty rule {key!r}; known: {names}")
            if value is None:
                fail(f"give {key}'s new value: retain-tui loyalty rules {key} VALUE")
            try:
                stored = set_setting(store, full, value)
            except SettingError as exc:
                fail(str(exc))
            say(f"{full} = {stored}")
            return
        values = all_settings(store)
    rules = {k: values[k] for k in RULE_KEYS}
    if json_:
        print_json({k.removeprefix("loyalty."): v for k, v in rules.items()})
        return
    for name, setting in rules.items():
        say(f"{name} = {setting}")


# A negative POINTS ("-5") is read as a value, refused with one line, not as an option.
@loyalty_app.command("redeem", context_settings={"ignore_unknown_options": True})
def loyalty_redeem(
    ctx: typer.Context,
    customer: Annotated[
        str, typer.Argument(metavar="CUSTOMER", help="The customer's number or email address.")
    ],
    points: Annotated[str, typer.Argument(metavar="POINTS", help="Points to take (above 0).")],
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            metavar="TEXT",
            help="What they were redeemed for (an order, a discount code), kept in the ledger.",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Redeem points: refused beyond the balance as of the date (exit 2, nothing recorded)."""
    amount = _points_argument(points)
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        customer_id = _one_customer(store, customer)
        try:
            balance = redeem(store, customer_id, amount, day, reference=reference)
            value = balances(store, day, [customer_id])[customer_id].points_value
        except LoyaltyError as exc:
            fail(str(exc))
        currency = load_shop_settings(store).currency
    if json_:
        print_json({"customer": customer_id, "redeemed": amount, "points": balance,
                    "points_value": format_cents(value), "as_of": day.isoformat()})  # fmt: skip
        return
    say(
        f"Customer {customer_id}: redeemed {amount:,} points as of {day}; "
        f"{balance:,} left (worth {money(value, currency)})"
    )


@loyalty_app.command("code", context_settings={"ignore_unknown_options": True})
def loyalty_code(
    ctx: typer.Context,
    customer: Annotated[
        str, typer.Argument(metavar="CUSTOMER", help="The customer's number or email address.")
    ],
    points: Annotated[
        str, typer.Argument(metavar="POINTS", help="Points the code is worth (deducted now).")
    ],
    valid_days: Annotated[
        int,
        typer.Option("--valid-days", metavar="DAYS", help="Days the code stays valid."),
    ] = DEFAULT_VALID_DAYS,
    as_of: AsOfOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Issue one discount code worth POINTS points now (a counter sale, a phone request):
    the points are deducted at once; `codes export loyalty-codes` writes it for the shop."""
    amount = _points_argument(points)
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        customer_id = _one_customer(store, customer)
        currency = load_shop_settings(store).currency
        try:
            issued = issue_points_code(store, customer_id, amount, day, currency, valid_days)
        except LoyaltyError as exc:
            fail(str(exc))
    if json_:
        print_json({"customer": issued.customer_id, "code": issued.code, "points": issued.points,
                    "value": format_cents(issued.value_cents), "currency": issued.currency,
                    "expires": issued.expires.isoformat(), "balance": issued.balance,
                    "as_of": day.isoformat()})  # fmt: skip
        return
    say(issued.code)
    say(
        f"Customer {issued.customer_id}: {issued.points:,} points -> "
        f"{money(issued.value_cents, issued.currency)} off, valid until {issued.expires}; "
        f"{issued.balance:,} points left"
    )


def _points_argument(points: str) -> int:
    """The POINTS argument of `redeem` and `code`: a whole number above 0, else exit 2."""
    if not points.strip().isdigit() or int(points) <= 0:
        fail(f"POINTS: {points!r} is not a whole number above 0")
    return int(points)


def _one_customer(store: Store, customer: str) -> int:
    """The customer CUSTOMER names (an id or an email address), else exit 2."""
    try:
        return find_person(store, customer)[0]
    except UnknownPersonError as exc:
        fail(str(exc))
