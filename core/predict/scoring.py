"""Per-customer predictions from fitted parameters: p_alive, expected orders, spend and CLV.

Customers sharing (x, t_x, T) get the same BG/NBD predictions, so the hypergeometric
function is evaluated once per distinct history, not once per customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.predict import bgnbd, gamma_gamma
from core.predict.bgnbd import BgNbd
from core.predict.gamma_gamma import GammaGamma
from core.predict.history import DAYS_PER_UNIT, History

if TYPE_CHECKING:
    from core.predict.bgnbd import Floats

DAYS_PER_MONTH = 365.25 / 12
"""CLV discounts month by month; a month is a twelfth of a year (30.44 days)."""
FIT_CHECK_TOP = 7
"""The fit check compares customer counts by repeat transactions 0, 1, …, 6 and 7 or more."""


@dataclass(frozen=True)
class Scores:
    """Per customer, in the history's order; money in currency units."""

    p_alive: Floats
    expected_orders: Floats
    expected_spend: Floats
    clv: Floats


def score(
    history: History,
    frequency: BgNbd,
    spend: GammaGamma,
    horizon_days: int,
    monthly_discount_rate: float,
) -> Scores:
    """Predictions over the next `horizon_days` after the as-of date.

    CLV follows lifetimes' `customer_lifetime_value`: the expected transactions of each month
    of the horizon (the last one may be partial) times the expected spend, discounted by
    (1 + monthly rate) ^ (months from the as-of date to the end of that month).
    """
    import numpy as np

    x, t_x, big_t, inverse, _counts = bgnbd.distinct_histories(
        history.x, history.t_x, history.big_t
    )
    alive = bgnbd.p_alive(frequency, x, t_x, big_t)
    spend_each = gamma_gamma.expected_spend(spend, history.x, history.m)
    ends = [*np.arange(DAYS_PER_MONTH, horizon_days, DAYS_PER_MONTH), float(horizon_days)]
    value = np.zeros_like(x)
    before = np.zeros_like(x)
    for end in ends:
        cumulative = bgnbd.expected_transactions(frequency, end / DAYS_PER_UNIT, x, t_x, big_t)
        value += (cumulative - before) / (1 + monthly_discount_rate) ** (end / DAYS_PER_MONTH)
        before = cumulative
    return Scores(
        p_alive=alive[inverse],
        expected_orders=before[inverse],
        expected_spend=spend_each,
        clv=value[inverse] * spend_each,
    )


def expected_revenue(
    history: History, frequency: BgNbd, spend: GammaGamma, horizon_days: int
) -> float:
    """Σ over customers of expected orders × expected spend in the next `horizon_days`,
    undiscounted (the dashboard's "next 90 days"), in currency units."""
    x, t_x, big_t, inverse, _counts = bgnbd.distinct_histories(
        history.x, history.t_x, history.big_t
    )
    orders = bgnbd.expected_transactions(frequency, horizon_days / DAYS_PER_UNIT, x, t_x, big_t)
    spend_each = gamma_gamma.expected_spend(spend, history.x, history.m)
    return float((orders[inverse] * spend_each).sum())


@dataclass(frozen=True)
class FitCheckRow:
    """Customers with this many repeat transactions in the fitted data, actual and expected."""

    repeat_transactions: str  # "0" … "6", "7+"
    actual: int
    expected: float


def fit_check(history: History, frequency: BgNbd) -> list[FitCheckRow]:
    """Actual vs expected number of customers by repeat transactions over their own age T."""
    import numpy as np

    ages, per_age = np.unique(history.big_t, return_counts=True)
    rows = []
    expected_below = 0.0
    for n in range(FIT_CHECK_TOP):
        probability = bgnbd.probability_of_count(frequency, n, np.maximum(ages, 1e-9))
        expected = float((probability * per_age).sum())
        expected_below += expected
        rows.append(FitCheckRow(str(n), int((history.x == n).sum()), expected))
    actual_top = int((history.x >= FIT_CHECK_TOP).sum())
    rows.append(FitCheckRow(f"{FIT_CHECK_TOP}+", actual_top, len(history) - expected_below))
    return rows
