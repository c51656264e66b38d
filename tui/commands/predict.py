"""`retain-tui predict`: fit BG/NBD + Gamma-Gamma, store and show each customer's predictions."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from core.predict import (
    DEFAULT_HORIZON_DAYS,
    DISCOUNT_RATE_SETTING,
    MAX_HORIZON_DAYS,
    TIME_UNIT,
    Forecast,
    PredictionRefused,
    forecast,
    save_forecast,
)
from core.store import Store
from tui.commands.common import (
    AsOfOption,
    DbOption,
    JsonOption,
    as_of_date,
    console,
    fail,
    opened_store,
    printable,
)
from tui.display import money

HorizonOption = Annotated[
    int,
    typer.Option(
        "--horizon-days",
        min=1,
        max=MAX_HORIZON_DAYS,
        metavar="DAYS",
        help="Predict orders, spend and CLV over this many days after the as-of date.",
    ),
]
TopOption = Annotated[
    int,
    typer.Option("--top", min=0, metavar="N", help="Customers shown by CLV (all: --json)."),
]


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)


def predict(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    horizon_days: HorizonOption = DEFAULT_HORIZON_DAYS,
    top: TopOption = 20,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Predicted CLV and churn risk (BG/NBD + Gamma-Gamma), stored for segments and emails."""
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        try:
            result = forecast(store, day, horizon_days)
        except (PredictionRefused, ValueError) as exc:
            fail(str(exc))
        save_forecast(store, result)
        if json_:
            external_ids = dict(store.execute("SELECT id, external_id FROM customers"))
        else:
            customers = _top_customers(store, result, top)
            currency = store.get_setting("shop.currency")
    if json_:
        _write_json(result, external_ids)
        return
    _print(result, customers, currency)


def _top_customers(store: Store, result: Forecast, top: int) -> list[dict[str, object]]:
    """The `top` customers by CLV (ties by id) with their names, for the table."""
    import numpy as np

    scores = result.scores
    picked = np.argsort(-scores.clv, kind="stable")[:top].tolist()
    ids = result.history.ids[picked].tolist()
    names = {
        customer_id: (external_id, name)
        for customer_id, external_id, name in store.execute(
            "SELECT id, external_id, "
            "trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) "
            "FROM customers WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
    }
    return [
        {
            "id": customer_id,
            "external_id": names[customer_id][0],
            "name": names[customer_id][1],
            "p_alive": float(scores.p_alive[i]),
            "expected_orders": float(scores.expected_orders[i]),
            "expected_spend": float(scores.expected_spend[i]),
            "clv": float(scores.clv[i]),
        }
        for customer_id, i in zip(ids, picked, strict=True)
    ]


def _write_json(result: Forecast, external_ids: dict[int, str | None]) -> None:
    """The issue's JSON, customers streamed one per line: 350,000 of them as one document
    built in memory took 14 s and 960 MB; as text rows 10 s and 340 MB (bench_predict.py)."""
    f, s = result.frequency, result.spend
    head = {
        "as_of": result.as_of.isoformat(),
        "horizon_days": result.horizon_days,
        "bgnbd": {"r": f.r, "alpha": f.alpha, "a": f.a, "b": f.b, "time_unit": TIME_UNIT},
        "gamma_gamma": {"p": s.p, "q": s.q, "v": s.v},
    }
    out = sys.stdout
    out.write(json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "customers": [')
    scores = result.scores
    columns = zip(
        result.history.ids.tolist(),
        scores.p_alive.round(6).tolist(),
        scores.expected_orders.round(6).tolist(),
        scores.expected_spend.round(2).tolist(),
        scores.clv.round(2).tolist(),
        strict=True,
    )
    encode = json.JSONEncoder(ensure_ascii=False).encode  # only the id text needs escaping
    rows = (
        f'{{"id": {customer_id}, "external_id": {encode(external_ids.get(customer_id))}, '
        f'"p_alive": {p_alive!r}, "expected_orders": {orders!r}, '
        f'"expected_spend": {spend!r}, "clv": {clv!r}}}'
        for customer_id, p_alive, orders, spend, clv in columns
    )
    out.write("\n    " + ",\n    ".join(rows))  # finite floats: repr is JSON
    out.write("\n  ]\n}\n")


def _print(result: Forecast, customers: list[dict[str, object]], currency: str | None) -> None:
    f, s = result.frequency, result.spend
    history = result.history
    console.print(
        Text(
            f"Predictions as of {result.as_of.isoformat()} for the next {result.horizon_days} "
            f"days, CLV discounted at {result.monthly_discount_rate:.2%} a month "
            f"(setting {DISCOUNT_RATE_SETTING})"
        )
    )
    console.print(
        Text(
            f"Fitted on {len(history):,} customers, {history.repeat_customers:,} with repeat "
            f"purchases; time unit: {TIME_UNIT}"
        )
    )
    console.print(
        Text(
            f"BG/NBD: r = {f.r:.4g}, α = {f.alpha:.4g} {TIME_UNIT}, a = {f.a:.4g}, b = {f.b:.4g} "
            f"(converged in {result.iterations[0]} iterations)"
        )
    )
    console.print(
        Text(
            f"Gamma-Gamma: p = {s.p:.4g}, q = {s.q:.4g}, γ = {s.v:.4g} "
            f"(converged in {result.iterations[1]} iterations)"
        )
    )
    check = Table(title="Fit check: customers by repeat transactions", title_justify="left")
    check.add_column("Repeat transactions")
    check.add_column("Actual", justify="right")
    check.add_column("Expected", justify="right")
    for row in result.fit_check:
        check.add_row(row.repeat_transactions, f"{row.actual:,}", f"{row.expected:,.1f}")
    console.print(check)
    console.print(
        Text(
            f"Expected revenue from existing customers in the next 90 days: "
            f"{money(round(result.revenue_90_days * 100), currency)}"
        )
    )
    if not customers:
        return
    table = Table(title=f"Top {len(customers)} customers by CLV", title_justify="left")
    for name, justify in (("Id", "right"), ("External id", "left"), ("Name", "left"),
                          ("p_alive", "right"), ("Expected orders", "right"),
                          ("Expected spend", "right"), ("CLV", "right")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in customers:
        table.add_row(
            str(row["id"]),
            Text(printable(row["external_id"])),
            Text(printable(row["name"])),
            f"{row['p_alive']:.3f}",
            f"{row['expected_orders']:.2f}",
            money(round(float(row["expected_spend"]) * 100), currency),  # type: ignore[arg-type]
            money(round(float(row["clv"]) * 100), currency),  # type: ignore[arg-type]
        )
    console.print(table)
    console.print(
        Text(
            f"All {len(history):,} customers: retain-tui predict --json. Stored for segments "
            "(p_alive < 0.3 and clv > 100), customer detail and email templates."
        )
    )
