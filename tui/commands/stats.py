"""`retain-tui stats`: are customers coming back? Retention per period, totals and cohorts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from core.metrics import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, compute_stats
from core.periods import PERIOD_KINDS, clipped_period_label
from core.values import parse_date
from tui.commands.common import (
    AsOfOption,
    DbOption,
    JsonOption,
    as_of_date,
    choices,
    choices_metavar,
    console,
    fail,
    opened_store,
    print_json,
    report_table,
)

# Months after the first order shown in the human cohort table (all of them are in --json).
COHORT_OFFSETS = (1, 2, 3, 6, 12)

Period = choices("Period", PERIOD_KINDS)
PeriodOption = Annotated[
    Period,
    typer.Option("--period", metavar=choices_metavar(PERIOD_KINDS), help="Length of each period."),
]
WindowOption = Annotated[
    int,
    typer.Option(
        "--window",
        min=1,
        max=MAX_WINDOW_DAYS,
        metavar="DAYS",
        help="Active window: how many days after an order a customer still counts as one.",
    ),
]
FromOption = Annotated[
    str | None, typer.Option("--from", metavar="DATE", help="First day to include (YYYY-MM-DD).")
]
ToOption = Annotated[
    str | None, typer.Option("--to", metavar="DATE", help="Last day to include (YYYY-MM-DD).")
]


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)


def stats(
    ctx: typer.Context,
    period: PeriodOption = Period.quarter,
    window: WindowOption = DEFAULT_WINDOW_DAYS,
    from_: FromOption = None,
    to: ToOption = None,
    as_of: AsOfOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Retention figures: customer retention rate, churn, returning customers, cohorts."""
    start, end = _date("--from", from_), _date("--to", to)
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        try:
            figures = compute_stats(store, period, window, start, end, day)
        except ValueError as exc:
            fail(str(exc))
        # Shown in the tables: no control characters (the Text cells keep it from being markup).
        currency = "".join(c for c in store.get_setting("shop.currency") or "" if c.isprintable())
    if json_:
        print_json(figures)
    elif not figures["orders"]:
        _print_no_orders(start, end, figures["as_of"])
    else:
        _print_figures(figures, currency)


def _date(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")


def _print_no_orders(start: date | None, end: date | None, as_of: str) -> None:
    if start or end:
        last = min(str(end), as_of) if end else as_of
        console.print(
            f"No counting orders from {start}: the data ends on {as_of}."
            if start and str(start) > last
            else f"No counting orders between {start or 'the first day'} and {last}.",
            markup=False,
        )
    else:
        console.print(
            "No orders yet. Import some with `retain-tui import orders FILE`, "
            "or load the demo shop with `retain-tui demo`.",
            markup=False,
        )


def _print_figures(figures: dict, currency: str) -> None:
    """Totals, the period table and the cohort table, in 80 columns."""
    from rich.table import Table
    from rich.text import Text

    unit = f" {currency}" if currency else ""
    days = figures["avg_days_between_orders"]
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    for label, value in (
        ("Customers", f"{figures['customers']:,}"),
        ("Orders", f"{figures['orders']:,}"),
        ("Revenue (customers)", f"{figures['revenue']:,.2f}{unit}"),
        ("Repeat purchase rate", f"{figures['repeat_purchase_rate']:.1f} %"),
        ("Orders per customer", f"{figures['purchase_frequency']:.2f}"),
        ("Average order value", f"{figures['average_order_value']:,.2f}{unit}"),
        ("Revenue per customer", f"{figures['revenue_per_customer']:,.2f}{unit}"),
        ("Days between orders", "–" if days is None else f"{days:.1f}"),
    ):
        summary.add_row(label, Text(value))
    if guest_orders := figures["orders_guests"]:
        orders = f"{guest_orders:,} order{'' if guest_orders == 1 else 's'}"
        summary.add_row(
            "Guests (not counted)", Text(f"{figures['revenue_guests']:,.2f}{unit}, {orders}")
        )
    console.print(
        Text(
            f"Orders {figures['first_order']} to {figures['last_order']} · "
            f"data to {figures['as_of']}",
            style="bold",
        )
    )
    console.print(summary)
    console.print()

    window = figures["window_days"]
    table = report_table(f"Retention by {figures['period']}, active window {window} days")
    table.add_column("Period")
    for name in ("B", "E", "N"):
        table.add_column(name, justify="right")
    table.add_column("CRR %\n(E−N)/B", justify="right")
    table.add_column("Churn\n%", justify="right")
    table.add_column("Return\n%", justify="right")
    table.add_column("Orders", justify="right")
    table.add_column(Text(f"Revenue\n{currency}".rstrip()), justify="right")
    table.add_column("From\nret. %", justify="right")
    for row in figures["periods"]:
        table.add_row(
            Text(_row_label(figures["period"], row)),
            f"{row['B']:,}",
            f"{row['E']:,}",
            f"{row['N']:,}",
            _percent(row["crr"]),
            _percent(row["churn"]),
            _percent(row["returning_customer_rate"]),
            f"{row['orders']:,}",
            f"{row['revenue']:,.0f}",
            _percent(row["revenue_returning_share"]),
        )
    console.print(table)
    unfinished = [row for row in figures["periods"] if _cut_by_as_of(row, figures["as_of"])]
    _explain(
        f"B: customers with an order in the {window} days before the period. E: with one in "
        f"the {window} days up to its end. N: first order ever in the period. Churn: share of "
        "B not in E. Return: share of the period's customers who had ordered before it. "
        "From ret.: share of the revenue from them."
        + (
            f" So far: the period is not over; the data ends on {figures['as_of']} and its E "
            "is counted on that day."
            if unfinished
            else ""
        )
    )
    _print_nps(figures)
    _print_cohorts(figures)


def _print_nps(figures: dict) -> None:
    """NPS per period, with its counts; one hint line while no answers are imported."""
    from rich.text import Text

    rows = figures["periods"]
    if not any(row["responses"] for row in rows):
        _explain(
            "NPS: no survey answers in these periods (`retain-tui import responses FILE`, "
            "docs/nps.md)."
        )
        return
    table = report_table(f"NPS by {figures['period']}: each customer's latest answer in the period")
    table.add_column("Period")
    for name in ("Answers", "Promoters\n9–10", "Passives\n7–8", "Detractors\n0–6", "NPS"):
        table.add_column(name, justify="right")
    for row in rows:
        nps = "–" if row["nps"] is None else f"{row['nps']:+.1f}"
        table.add_row(
            Text(_row_label(figures["period"], row)), f"{row['responses']:,}",
            f"{row['promoters']:,}", f"{row['passives']:,}", f"{row['detractors']:,}", nps,
        )  # fmt: skip
    console.print(table)
    _explain("NPS = % promoters − % detractors, from −100 to +100.")


def _print_cohorts(figures: dict) -> None:
    table = report_table("Cohorts: % of each month's new customers ordering k months later")
    table.add_column("First order")
    table.add_column("Customers", justify="right")
    for k in COHORT_OFFSETS:
        table.add_column(f"+{k}", justify="right")
    for cohort, shares in figures["cohorts"].items():
        table.add_row(
            cohort,
            f"{figures['cohort_sizes'][cohort]:,}",
            *(_percent(shares[k]) if k < len(shares) else "" for k in COHORT_OFFSETS),
        )
    console.print(table)
    _explain("Every month of every cohort is in --json.")


def _row_label(kind: str, row: dict) -> str:
    """'2026-Q3', or '2026-Q4 so far' for the period the data ends in."""
    return clipped_period_label(
        kind, date.fromisoformat(row["start"]), date.fromisoformat(row["end"])
    )


def _cut_by_as_of(row: dict, as_of: str) -> bool:
    return not row["complete"] and row["end"] == as_of


def _explain(text: str) -> None:
    console.print(text, markup=False, soft_wrap=False, style="dim")
    console.print()


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"
