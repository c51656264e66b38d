"""`retain-tui recommend CUSTOMER`: the products worth showing one customer, with reasons."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer

from core.erasure import UnknownPersonError, find_person
from core.recommend import DEFAULT_COUNT, Recommender
from core.values import format_cents
from tui.commands.common import (
    AsOfOption,
    DbOption,
    JsonOption,
    as_of_date,
    console,
    fail,
    opened_store,
    print_json,
)
from tui.safe_text import clean

MAX_COUNT = 50

CustomerArgument = Annotated[
    str,
    typer.Argument(
        metavar="CUSTOMER",
        help="The customer: their email address (any case) or customer number.",
        show_default=False,
    ),
]
CountOption = Annotated[
    int,
    typer.Option("-n", min=1, max=MAX_COUNT, metavar="N", help="How many products at most."),
]


def register(app: typer.Typer) -> None:
    app.command("recommend")(recommend)


def recommend(
    ctx: typer.Context,
    who: CustomerArgument,
    count: CountOption = DEFAULT_COUNT,
    as_of: AsOfOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Products for one customer: reorder reminders that are due, products bought with what
    they bought, and bestsellers they lack, each with its reason."""
    with opened_store(ctx, db) as store:
        try:
            ids = find_person(store, who)
        except UnknownPersonError as exc:
            fail(str(exc))
        day = as_of_date(store, as_of)
        found = Recommender(store, day).for_customers(ids, count)
    documents = [
        {"customer": cid, "items": [item.to_dict() for item in items]}
        for cid, items in found.items()
    ]
    if json_:
        print_json(documents[0] if len(documents) == 1 else documents)
        return
    out = partial(console.print, markup=False, highlight=False, soft_wrap=True)
    for cid, items in found.items():
        out(f"Customer {cid} · {len(items)} recommendations as of {day.isoformat()}")
        if not items:
            out("  nothing to recommend: they bought every bestseller")
        for number, item in enumerate(items, start=1):
            sku = f" ({clean(item.sku)})" if item.sku else ""
            price = "" if item.price is None else f" · {format_cents(item.price)}"
            out(f"  {number}. {clean(item.name)}{sku}{price}")
            out(f"     {item.kind} · {clean(item.reason)} · score {item.score:g}")
