"""`retain-tui suppressed`: the suppression list (withdrawn consent, erasures).

Only hashes of addresses are stored, so `list` shows counts and dates; `check` and `lift` take
the address. Lifting is the one way to allow marketing email to a suppressed address again.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from core.consent import is_suppressed, lift_suppression, suppression_groups
from core.values import email_key
from tui.commands.common import DbOption, JsonOption, console, fail, opened_store, print_json

suppressed_app = typer.Typer(
    help="The suppression list: addresses that get no marketing email.", no_args_is_help=True
)

AddressArgument = Annotated[str, typer.Argument(metavar="EMAIL", help="The email address.")]


def register(app: typer.Typer) -> None:
    app.add_typer(suppressed_app, name="suppressed")


def _key(address: str) -> str:
    key = email_key(address)
    if key is None:
        fail("EMAIL: give an email address")
    return key


@suppressed_app.command("list")
def list_suppressed(ctx: typer.Context, json_: JsonOption = False, db: DbOption = None) -> None:
    """How many addresses are suppressed, by reason, and since when (no addresses: only
    their hashes are stored)."""
    with opened_store(ctx, db) as store:
        groups = suppression_groups(store.conn)
    if json_:
        print_json([asdict(group) for group in groups])
        return
    if not groups:
        console.print("No suppressed addresses.")
        return
    for group in groups:
        console.print(
            f"{group.reason:<10} {group.count:>8,} addresses   "
            f"first {group.first_at[:10]}   last {group.last_at[:10]}",
            markup=False,
        )


@suppressed_app.command("check")
def check(
    ctx: typer.Context, address: AddressArgument, json_: JsonOption = False, db: DbOption = None
) -> None:
    """Whether an address is on the suppression list (exit 0 either way)."""
    key = _key(address)
    with opened_store(ctx, db) as store:
        found = is_suppressed(store.conn, key)
    if json_:
        print_json({"address": key, "suppressed": found})
    else:
        state = "suppressed: no marketing email" if found else "not suppressed"
        console.print(f"{key}: {state}", markup=False)


@suppressed_app.command("lift")
def lift(ctx: typer.Context, address: AddressArgument, db: DbOption = None) -> None:
    """Take an address off the suppression list (exit 2 if it is not on it). Its customers
    stay at "no" until their consent to marketing is recorded again."""
    key = _key(address)
    with opened_store(ctx, db) as store:
        lifted = lift_suppression(store, key)
    if not lifted:
        fail(f"{key} is not on the suppression list")
    console.print(
        f'Lifted the suppression of {key}. Its customers keep consent "no" until the '
        "customer's yes is recorded in the app (a file's yes never overrides a no).",
        markup=False,
    )
