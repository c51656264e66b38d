"""`retain-tui products` and `retain-tui drivers`: what brings customers back (docs/drivers.md)."""

from __future__ import annotations

import shlex
from typing import Annotated

import typer

from core.drivers import (
    DEFAULT_SORT,
    GROUPINGS,
    MIN_COMPARABLE,
    SORT_COLUMNS,
    SortError,
    driver_groups,
    parse_sort,
    product_figures,
)
from tui.commands.common import (
    AsOfOption,
    DbOption,
    JsonOption,
    as_of_date,
    choices_metavar,
    console,
    fail,
    opened_store,
    print_json,
    printable,
    report_table,
)

SortOption = Annotated[
    str,
    typer.Option(
        "--sort",
        metavar="COLUMN",
        help="Sort by one of: " + ", ".join(SORT_COLUMNS) + "; a leading '-' sorts descending.",
    ),
]
LimitOption = Annotated[
    int | None,
    typer.Option("--limit", metavar="N", min=1, help="Show the first N products only."),
]
ByOption = Annotated[
    str,
    typer.Option(
        "--by",
        metavar=choices_metavar(GROUPINGS),
        help="Group customers by their first order's discount code, or by its month.",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("products")(products)
    app.command("drivers")(drivers)


def products(
    ctx: typer.Context,
    sort: SortOption = DEFAULT_SORT,
    limit: LimitOption = None,
    as_of: AsOfOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Per product: did the customers it brought in come back, and is it bought again?"""
    try:
        parse_sort(sort)
    except SortError as exc:
        fail(f"--sort: {exc}")
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        figures = product_figures(store, day, sort, limit)
        currency = printable(store.get_setting("shop.currency") or "")
    if json_:
        print_json(figures)
    elif not figures["products"]:
        console.print(f"No products: no counting order up to {figures['as_of']} has a line "
                      "with a SKU or a product name.", markup=False)  # fmt: skip
    else:
        _print_products(figures, currency)


def drivers(
    ctx: typer.Context,
    by: ByOption = "code",
    as_of: AsOfOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Repeat rate and revenue per customer by the first order's discount code or month."""
    if by not in GROUPINGS:
        fail(f"--by: unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}")
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        figures = driver_groups(store, by, day)
        currency = printable(store.get_setting("shop.currency") or "")
    if json_:
        print_json(figures)
    elif not figures["groups"]:
        console.print(f"No customers with a counting order up to {figures['as_of']}.",
                      markup=False)  # fmt: skip
    else:
        _print_groups(figures, currency)


def _print_products(figures: dict, currency: str) -> None:
    from rich.text import Text

    table = report_table(f"Products · data to {figures['as_of']} · sorted by {figures['sort']}")
    table.add_column("Product", overflow="fold")
    for title in ("First\ncust.", "Repeat\n%", f"Rev. per\ncust. {currency}".rstrip(),
                  "After\nfirst", "Buyers", "Reorder\n%", "Days to\nreorder"):  # fmt: skip
        table.add_column(Text(title), justify="right")
    for row in figures["products"]:
        table.add_row(
            Text(printable(row["name"])),
            _count(row["first_order_customers"], row["comparable"]),
            _percent(row["repeat_rate"]),
            _money(row["revenue_per_customer"]),
            _money(row["revenue_after_first_per_customer"]),
            f"{row['buyers']:,}",
            _percent(row["reorder_rate"]),
            "–" if row["median_reorder_days"] is None else f"{row['median_reorder_days']:g}",
        )
    console.print(table)
    example = shlex.quote(f'first_bought("{printable(figures["products"][0]["key"])}")')
    _explain(
        "First cust.: customers whose first order had the product; Repeat: share of them "
        "with two or more orders; Rev. per cust.: their net revenue from the first order on; "
        "After first: the part after it. Reorder: share of all its buyers who bought it in "
        "two or more orders; Days to reorder: median days to their second. "
        f"*: fewer than {MIN_COMPARABLE} customers, too few to compare. "
        f"Who they are: retain-tui customers --where {example}"
    )


def _print_groups(figures: dict, currency: str) -> None:
    from rich.text import Text

    by = figures["by"]
    title = "first order's discount code" if by == "code" else "month of the first order"
    table = report_table(f"Customers by {title} · data to {figures['as_of']}")
    table.add_column("Code" if by == "code" else "First order", overflow="fold")
    for name in ("Customers", "Repeat %", f"Revenue per customer {currency}".rstrip(),
                 "After first"):  # fmt: skip
        table.add_column(Text(name), justify="right")
    for row in figures["groups"]:
        label = Text("no code", style="italic") if row["group"] is None else Text(
            printable(row["group"])
        )  # fmt: skip
        table.add_row(
            label,
            _count(row["customers"], row["comparable"]),
            _percent(row["repeat_rate"]),
            _money(row["revenue_per_customer"]),
            _money(row["revenue_after_first_per_customer"]),
        )
    console.print(table)
    _explain(
        "Repeat: share with two or more orders. Revenue per customer: net, from the first "
        "order on; After first: the part after the first order. "
        f"*: fewer than {MIN_COMPARABLE} customers, too few to compare."
    )


def _count(customers: int, comparable: bool) -> str:
    return f"{customers:,}" if comparable else f"{customers:,} *"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _money(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


def _explain(text: str) -> None:
    console.print(text, markup=False, style="dim")
