"""`retain-tui campaigns`: what each campaign brought back (issue 13, docs/campaigns.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from core.campaigns import UnknownCampaignError
from core.campaigns.results import (
    DEFAULT_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    campaign_results,
)
from tui.campaign_figures import campaign_lines
from tui.commands.common import (
    AsOfOption,
    DbOption,
    JsonOption,
    as_of_date,
    console,
    fail,
    opened_store,
    print_json,
    printable,
)

NameArgument = Annotated[
    str | None,
    typer.Argument(metavar="[NAME]", help="Only this campaign.", show_default=False),
]
WindowDaysOption = Annotated[
    int,
    typer.Option(
        "--window-days",
        min=1,
        max=MAX_WINDOW_DAYS,
        metavar="DAYS",
        help="Count orders this many days after each campaign's as-of date.",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("campaigns")(campaigns)


def campaigns(
    ctx: typer.Context,
    name: NameArgument = None,
    window_days: WindowDaysOption = DEFAULT_WINDOW_DAYS,
    as_of: AsOfOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """What each campaign brought back: codes redeemed, revenue, and who ordered again,
    drafted against held out, with the uplift's 95 % interval."""
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        try:
            results = campaign_results(store, window_days, day, name)
        except UnknownCampaignError as exc:
            fail(str(exc))
        currency = printable(store.get_setting("shop.currency") or "")
    if json_:
        print_json(results)
        return
    if not results:
        console.print(
            "No campaigns yet: every `retain-tui export` that writes drafts records one.",
            markup=False,
        )
        return
    for figures in results:
        for line in campaign_lines(figures, currency):
            console.print(printable(line), markup=False, soft_wrap=False)
        console.print()
    console.print(
        "Ordered again: a counting order in the window after the campaign's as-of date. "
        "Uplift: drafted minus held out, in percentage points; 95 % CI by Newcombe's hybrid "
        'score method. "so far": the window is not over on the data\'s last day '
        f"({day}).",
        markup=False,
        soft_wrap=False,
        style="dim",
    )
