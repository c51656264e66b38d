"""Maximum-likelihood fits of BG/NBD and Gamma-Gamma with scipy's L-BFGS-B on log-parameters.

Log-parameters keep every parameter positive without bounds. As lifetimes does, time is
rescaled so the oldest customer's age is 10 before fitting (and α scaled back after), and
spend by its mean (γ scaled back): the optimiser then starts from the same well-conditioned
place whatever the shop's units. Customers with the same (x, t_x, T) enter once, weighted by
their number: at 350,000 customers that is a fraction of the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from core.predict import bgnbd, gamma_gamma
from core.predict.bgnbd import BgNbd
from core.predict.gamma_gamma import GammaGamma

if TYPE_CHECKING:
    from scipy.optimize import OptimizeResult

    from core.predict.bgnbd import Floats

P = TypeVar("P", BgNbd, GammaGamma)

MAX_ITERATIONS = 500
LOG_PARAMETER_LIMIT = 25.0
"""|log θ| beyond this (θ above 7·10^10 or below 10^-11) is a runaway fit, not an estimate."""


class FitError(ValueError):
    """The optimiser did not converge to usable parameters; the message says which model."""


@dataclass(frozen=True)
class Fitted(Generic[P]):
    """A model's parameters and how the optimiser got there."""

    params: P
    log_likelihood: float
    iterations: int


def fit_bgnbd(x: Floats, t_x: Floats, big_t: Floats) -> Fitted[BgNbd]:
    """BG/NBD parameters maximising the likelihood of (x, t_x, T); `FitError` otherwise."""
    import numpy as np

    scale = 10.0 / float(big_t.max()) if float(big_t.max()) > 0 else 1.0
    unique_x, unique_t_x, unique_big_t, _inverse, counts = bgnbd.distinct_histories(x, t_x, big_t)
    weights = counts.astype(float)
    args = (unique_x, unique_t_x * scale, unique_big_t * scale, weights)
    result = _minimise(bgnbd.negative_log_likelihood, 4, args, "BG/NBD")
    r, alpha, a, b = (float(value) for value in np.exp(result.x))
    # In time rescaled by s each customer's log-likelihood is the true one minus x·log(s).
    log_likelihood = _total(result.fun, weights.sum()) + float((weights * unique_x).sum()) * float(
        np.log(scale)
    )
    return Fitted(BgNbd(r, alpha / scale, a, b), float(log_likelihood), int(result.nit))


def fit_gamma_gamma(x: Floats, m: Floats) -> Fitted[GammaGamma]:
    """Gamma-Gamma parameters for customers with x ≥ 1 repeat transactions of mean value m > 0."""
    import numpy as np

    scale = float(m.mean())
    data = gamma_gamma.SpendData.of(x, m / scale)
    result = _minimise(gamma_gamma.negative_log_likelihood, 3, (data,), "Gamma-Gamma")
    p, q, v = (float(value) for value in np.exp(result.x))
    # The likelihood of m / scale is that of m plus Σ log(scale) over customers.
    log_likelihood = _total(result.fun, len(x)) - len(x) * float(np.log(scale))
    return Fitted(GammaGamma(p, q, v * scale), float(log_likelihood), int(result.nit))


def _total(mean_negative: float, count: float) -> float:
    return -mean_negative * count


def _minimise(
    function: Callable[..., tuple[float, Any]], size: int, args: tuple[object, ...], model: str
) -> OptimizeResult:
    """L-BFGS-B from log-parameters 0.1 (lifetimes' start), with the analytic gradient."""
    import numpy as np
    from scipy.optimize import minimize

    with np.errstate(all="ignore"):
        result = minimize(
            function,
            x0=np.full(size, 0.1),
            args=args,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": MAX_ITERATIONS},
        )
    if not result.success or not np.all(np.isfinite(result.x)):
        raise FitError(f"the {model} fit did not converge ({_reason(result.message)})")
    if np.any(np.abs(result.x) > LOG_PARAMETER_LIMIT):
        raise FitError(f"the {model} fit ran away to extreme parameters (no usable optimum)")
    return result


def _reason(message: object) -> str:
    text = message.decode() if isinstance(message, bytes) else str(message)
    return text.strip().rstrip(".").lower()
