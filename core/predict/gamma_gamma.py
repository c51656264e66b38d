"""The Gamma-Gamma model of spend (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value").

A customer's transaction values are Gamma(p, ν) around their own mean p/ν, and ν ~ Gamma(q, γ)
across customers (`v` is γ). Only customers with repeat transactions enter, with x their
number and m the mean value of those repeat transactions (the first purchase is left out, as
in the note). The log-likelihood is the note's equation (1a); its gradient is written out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Floats = NDArray[np.float64]


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters (v is γ in the note, in the currency's units)."""

    p: float
    q: float
    v: float

    @property
    def population_mean(self) -> float:
        """The mean spend per transaction across customers: p·γ / (q − 1), defined for q > 1."""
        return self.p * self.v / (self.q - 1)


def log_likelihood(params: GammaGamma, x: Floats, m: Floats) -> Floats:
    """Each customer's log-likelihood of their mean repeat spend m over x transactions."""
    import numpy as np
    from scipy.special import gammaln

    p, q, v = params.p, params.q, params.v
    return (
        gammaln(p * x + q) - gammaln(p * x) - gammaln(q)
        + q * np.log(v) + (p * x - 1) * np.log(m) + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )  # fmt: skip


@dataclass(frozen=True)
class SpendData:
    """The fit's data with what does not depend on the parameters summed once.

    The gamma functions depend on a customer only through x, which takes few values (a
    customer with 40 repeat orders is rare), so they are evaluated per distinct x and
    weighted by its count; only log(x·m + γ) is per customer. At 150,000 repeat customers
    that makes an evaluation ~10 times cheaper.
    """

    x: Floats
    m: Floats
    distinct_x: Floats
    per_x: Floats
    sum_x_log_m: float
    sum_log_m: float
    sum_x_log_x: float

    @classmethod
    def of(cls, x: Floats, m: Floats) -> SpendData:
        import numpy as np

        distinct_x, per_x = np.unique(x, return_counts=True)
        log_m = np.log(m)
        return cls(
            x=x,
            m=m,
            distinct_x=distinct_x,
            per_x=per_x.astype(float),
            sum_x_log_m=float((x * log_m).sum()),
            sum_log_m=float(log_m.sum()),
            sum_x_log_x=float((x * np.log(x)).sum()),
        )


def negative_log_likelihood(log_params: Floats, data: SpendData) -> tuple[float, Floats]:
    """The mean negative log-likelihood (the sum of `log_likelihood` over customers, written
    with `SpendData`'s sums) and its gradient in log-parameters."""
    import numpy as np
    from scipy.special import digamma, gammaln

    p, q, v = np.exp(log_params)
    n = len(data.x)
    dx, per_x = data.distinct_x, data.per_x
    log_total = np.log(data.x * data.m + v)
    ll = (
        float((per_x * (gammaln(p * dx + q) - gammaln(p * dx))).sum())
        - n * float(gammaln(q)) + n * q * float(np.log(v))
        + p * data.sum_x_log_m - data.sum_log_m + p * data.sum_x_log_x
        - float(((p * data.x + q) * log_total).sum())
    )  # fmt: skip
    psi_both = digamma(p * dx + q)
    d_p = (
        float((per_x * dx * (psi_both - digamma(p * dx))).sum())
        + data.sum_x_log_m + data.sum_x_log_x - float((data.x * log_total).sum())
    )  # fmt: skip
    d_q = (
        float((per_x * psi_both).sum()) - n * float(digamma(q)) + n * float(np.log(v))
        - float(log_total.sum())
    )  # fmt: skip
    d_v = n * q / v - float(((p * data.x + q) / (data.x * data.m + v)).sum())
    gradient = -np.array([d_p * p, d_q * q, d_v * v]) / n
    return -ll / n, gradient


def expected_spend(params: GammaGamma, x: Floats, m: Floats) -> Floats:
    """E[spend per transaction | x, m]: the population mean and the customer's own mean,
    weighted by how many repeat transactions back the latter (the note's equation 5)."""
    p, q = params.p, params.q
    own = p * x / (p * x + q - 1)
    return (1 - own) * params.population_mean + own * m
