"""The stored fit: its parameters (`prediction_fits`) and per-customer predictions (`predictions`).

`predict` replaces the predictions in one transaction (an interrupted run leaves the previous
ones), keeping each customer's previous p_alive for "p_alive fell below X since the last fit".
A fit describes the store as of its as-of date; once an import brings later orders the
store's as-of date moves on and the fit is *stale*: still shown and usable in segments, with
a note to run `retain-tui predict` again. Money is kept in cents, as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.as_of import latest_order_date
from core.store import Store, utc_now
from core.values import parse_date

__all__ = [
    "CustomerPrediction",
    "StoredFit",
    "customer_prediction",
    "customers_whose_p_alive_fell_below",
    "latest_fit",
]


@dataclass(frozen=True)
class StoredFit:
    """The newest fit: when, as of which date, over which horizon, and with what result."""

    id: int
    fitted_at: str
    as_of: date
    horizon_days: int
    monthly_discount_rate: float
    time_unit: str
    r: float
    alpha: float
    a: float
    b: float
    p: float
    q: float
    v: float
    customers: int
    repeat_customers: int
    revenue_90_days: int  # cents
    store_as_of: date | None  # the store's as-of date now (latest counting order)

    @property
    def stale(self) -> bool:
        """Later orders arrived (or orders were removed) since the fit: run predict again."""
        return self.store_as_of != self.as_of

    def staleness_note(self) -> str | None:
        """One line for the owner when the fit no longer describes the store, else None."""
        if not self.stale:
            return None
        return (
            f"predictions are as of {self.as_of.isoformat()}, the shop's orders now run to "
            f"{self.store_as_of.isoformat() if self.store_as_of else 'nothing'}: "
            "run `retain-tui predict` to refresh them"
        )


_FIT_COLUMNS = (
    "id, fitted_at, as_of, horizon_days, monthly_discount_rate, time_unit, r, alpha, a, b, "
    "p, q, v, customers, repeat_customers, revenue_90_days"
)


def latest_fit(store: Store) -> StoredFit | None:
    """The newest stored fit, or None when `predict` has never stored one."""
    row = store.execute(
        f"SELECT {_FIT_COLUMNS} FROM prediction_fits ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    values = list(row)
    values[2] = parse_date(values[2])
    return StoredFit(*values, store_as_of=latest_order_date(store))


@dataclass(frozen=True)
class CustomerPrediction:
    """One customer's stored predictions and the fit they come from."""

    p_alive: float
    expected_orders: float
    expected_spend: int  # cents
    clv: int  # cents
    fit: StoredFit

    def to_dict(self) -> dict[str, object]:
        """As `customer show --json` prints it: money in currency units."""
        return {
            "p_alive": round(self.p_alive, 6),
            "expected_orders": round(self.expected_orders, 6),
            "expected_spend": self.expected_spend / 100,
            "clv": self.clv / 100,
            "as_of": self.fit.as_of.isoformat(),
            "horizon_days": self.fit.horizon_days,
            "stale": self.fit.stale,
        }


def customer_prediction(store: Store, customer_id: int) -> CustomerPrediction | None:
    """The customer's stored predictions, or None (no fit, or no order up to its as-of date)."""
    row = store.execute(
        "SELECT p_alive, expected_orders, expected_spend, clv FROM predictions "
        "WHERE customer_id = ?",
        (customer_id,),
    ).fetchone()
    if row is None:
        return None
    fit = latest_fit(store)
    return None if fit is None else CustomerPrediction(*row, fit=fit)


def customers_whose_p_alive_fell_below(store: Store, threshold: float) -> list[int]:
    """Ids (ascending) of customers whose p_alive was ≥ `threshold` in the fit before the
    latest one and is below it in the latest: what a "p_alive dropped below X" flow trigger
    fires on. Customers new in the latest fit have no previous value and are not included."""
    return [
        row[0]
        for row in store.execute(
            "SELECT customer_id FROM predictions "
            "WHERE p_alive < ?1 AND previous_p_alive >= ?1 ORDER BY customer_id",
            (threshold,),
        )
    ]


def save_predictions(
    store: Store,
    fit_values: dict[str, object],
    rows: list[tuple[int, float, float, int, int]],
) -> int:
    """Store a fit and its (customer_id, p_alive, expected_orders, spend¢, clv¢) rows in one
    transaction; customers absent from `rows` lose their prediction. Returns the fit's id."""
    columns = ", ".join(fit_values)
    marks = ", ".join("?" for _ in fit_values)
    with store.write() as conn:
        # "The fit before" is the latest one with an earlier as-of date: a refit as of the
        # same date (another horizon, a re-run) keeps each customer's previous p_alive, so a
        # crossing below X stays visible to the p-alive-below flow trigger.
        newer = conn.execute(
            "SELECT coalesce(max(as_of) < ?, 1) FROM prediction_fits", (fit_values["as_of"],)
        ).fetchone()[0]
        shifted = "predictions.p_alive" if newer else "predictions.previous_p_alive"
        fit_id = conn.execute(
            f"INSERT INTO prediction_fits (fitted_at, {columns}) VALUES (?, {marks})",
            (utc_now(), *fit_values.values()),
        ).lastrowid
        conn.executemany(
            f"""
            INSERT INTO predictions (customer_id, fit_id, p_alive, expected_orders,
                                     expected_spend, clv)
            VALUES (?, {fit_id}, ?, ?, ?, ?)
            ON CONFLICT (customer_id) DO UPDATE SET
                previous_p_alive = {shifted}, fit_id = excluded.fit_id,
                p_alive = excluded.p_alive, expected_orders = excluded.expected_orders,
                expected_spend = excluded.expected_spend, clv = excluded.clv
            """,
            rows,
        )
        conn.execute("DELETE FROM predictions WHERE fit_id != ?", (fit_id,))
        conn.execute("DELETE FROM prediction_fits WHERE id < ?", (fit_id,))
    assert fit_id is not None
    return fit_id
