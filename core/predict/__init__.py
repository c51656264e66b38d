"""Predicted CLV and churn risk: BG/NBD for purchases and survival, Gamma-Gamma for spend.

`forecast` fits both models by maximum likelihood on the store's orders up to the as-of date
and scores every customer; `save_forecast` stores the result for segments, customer detail,
templates and the dashboard; `latest_fit` reads it back. Models, units, settings and the
CDNOW validation: docs/predictions.md.

numpy and scipy are imported only inside the functions that fit or score, so importing this
package (the segment fields, the dashboard) costs nothing at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.predict.bgnbd import BgNbd
from core.predict.gamma_gamma import GammaGamma
from core.predict.history import TIME_UNIT, History, read_history
from core.predict.scoring import FitCheckRow, Scores
from core.predict.stored import (
    StoredFit,
    customers_whose_p_alive_fell_below,
    latest_fit,
    save_predictions,
)
from core.store import Store

__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "DEFAULT_MONTHLY_DISCOUNT_RATE",
    "DISCOUNT_RATE_SETTING",
    "MAX_HORIZON_DAYS",
    "MIN_REPEAT_CUSTOMERS",
    "TIME_UNIT",
    "BgNbd",
    "FitCheckRow",
    "Forecast",
    "GammaGamma",
    "PredictionRefused",
    "StoredFit",
    "customers_whose_p_alive_fell_below",
    "forecast",
    "latest_fit",
    "monthly_discount_rate",
    "save_forecast",
]

MIN_REPEAT_CUSTOMERS = 200
"""Fewer customers with a repeat purchase than this, and the fit says more about noise than
about the shop (CDNOW's 1/10 sample, the literature's example, has 946)."""
DEFAULT_HORIZON_DAYS = 365
DASHBOARD_HORIZON_DAYS = 90
DISCOUNT_RATE_SETTING = "predict.monthly_discount_rate"
DEFAULT_MONTHLY_DISCOUNT_RATE = 0.01
MAX_HORIZON_DAYS = 3653


class PredictionRefused(ValueError):
    """The data cannot support a fit (too few repeat customers, no convergence): no numbers."""


@dataclass(frozen=True)
class Forecast:
    """A fit and its predictions for every customer with an order up to `as_of`."""

    as_of: date
    horizon_days: int
    monthly_discount_rate: float
    history: History
    frequency: BgNbd
    spend: GammaGamma
    scores: Scores
    fit_check: list[FitCheckRow]
    revenue_90_days: float  # currency units: Σ expected orders × spend over the next 90 days
    iterations: tuple[int, int]  # BG/NBD, Gamma-Gamma
    log_likelihood: tuple[float, float]


def monthly_discount_rate(store: Store) -> float:
    """The shop's `predict.monthly_discount_rate` setting, or the default 0.01 (1 % a month)."""
    text = store.get_setting(DISCOUNT_RATE_SETTING)
    return DEFAULT_MONTHLY_DISCOUNT_RATE if text is None else float(text)


def forecast(
    store: Store,
    as_of: date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    discount_rate: float | None = None,
) -> Forecast:
    """Fit both models on the orders up to `as_of` and score every customer.

    `PredictionRefused` when fewer than `MIN_REPEAT_CUSTOMERS` customers bought again, when an
    optimiser does not converge, or when the spend model has no finite mean (q ≤ 1).
    """
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise ValueError(f"the horizon must be 1 to {MAX_HORIZON_DAYS} days, not {horizon_days}")
    import numpy as np

    from core.predict.fitting import FitError, fit_bgnbd, fit_gamma_gamma
    from core.predict.scoring import expected_revenue, fit_check, score

    rate = monthly_discount_rate(store) if discount_rate is None else discount_rate
    history = read_history(store, as_of)
    repeat = (history.x > 0) & (history.m > 0)
    repeaters = int(repeat.sum())
    if repeaters < MIN_REPEAT_CUSTOMERS:
        raise PredictionRefused(
            f"too few repeat customers to predict: {repeaters} customers bought again (with "
            f"a positive order value) up to {as_of.isoformat()}, the models need at least "
            f"{MIN_REPEAT_CUSTOMERS}"
        )
    try:
        frequency = fit_bgnbd(history.x, history.t_x, history.big_t)
        spend = fit_gamma_gamma(history.x[repeat], history.m[repeat])
    except FitError as exc:
        raise PredictionRefused(f"{exc}; no predictions were made") from None
    if spend.params.q <= 1:
        raise PredictionRefused(
            f"the spend model has no finite mean (q = {spend.params.q:.3f} ≤ 1): order values "
            "vary too wildly between customers; no predictions were made"
        )
    with np.errstate(all="ignore"):
        scores = score(history, frequency.params, spend.params, horizon_days, rate)
        revenue_90_days = expected_revenue(
            history, frequency.params, spend.params, DASHBOARD_HORIZON_DAYS
        )
    if not all(np.all(np.isfinite(v)) for v in (scores.p_alive, scores.expected_orders,
                                                  scores.clv)):  # fmt: skip
        raise PredictionRefused("the predictions are not finite numbers; nothing was stored")
    return Forecast(
        as_of=as_of,
        horizon_days=horizon_days,
        monthly_discount_rate=rate,
        history=history,
        frequency=frequency.params,
        spend=spend.params,
        scores=scores,
        fit_check=fit_check(history, frequency.params),
        revenue_90_days=revenue_90_days,
        iterations=(frequency.iterations, spend.iterations),
        log_likelihood=(frequency.log_likelihood, spend.log_likelihood),
    )


def save_forecast(store: Store, result: Forecast) -> int:
    """Store the forecast (one transaction) as the shop's current predictions; the fit's id."""
    import numpy as np

    scores = result.scores
    rows = list(
        zip(
            result.history.ids.tolist(),
            scores.p_alive.tolist(),
            scores.expected_orders.tolist(),
            np.rint(scores.expected_spend * 100).astype(np.int64).tolist(),
            np.rint(scores.clv * 100).astype(np.int64).tolist(),
            strict=True,
        )
    )
    f, s = result.frequency, result.spend
    fit_values: dict[str, object] = {
        "as_of": result.as_of.isoformat(),
        "horizon_days": result.horizon_days,
        "monthly_discount_rate": result.monthly_discount_rate,
        "time_unit": TIME_UNIT,
        "r": f.r, "alpha": f.alpha, "a": f.a, "b": f.b, "p": s.p, "q": s.q, "v": s.v,
        "customers": len(result.history),
        "repeat_customers": result.history.repeat_customers,
        "revenue_90_days": round(result.revenue_90_days * 100),
    }  # fmt: skip
    return save_predictions(store, fit_values, rows)
