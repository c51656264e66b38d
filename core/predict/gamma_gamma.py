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


def negative_log_likelihood(log_params: Floats, x: Floats, m: Floats) -> tuple[float, Floats]:
    """The mean negative log-likelihood and its gradient in log-parameters."""
    import numpy as np
    from scipy.special import digamma

    p, q, v = np.exp(log_params)
    ll = log_likelihood(GammaGamma(p, q, v), x, m)
    log_total = np.log(x * m + v)
    d_p = x * (digamma(p * x + q) - digamma(p * x) + np.log(m) + np.log(x) - log_total)
    d_q = digamma(p * x + q) - digamma(q) + np.log(v) - log_total
    d_v = q / v - (p * x + q) / (x * m + v)
    n = len(x)
    gradient = -np.array([d_p.sum() * p, d_q.sum() * q, d_v.sum() * v]) / n
    return float(-ll.sum() / n), gradient


def expected_spend(params: GammaGamma, x: Floats, m: Floats) -> Floats:
    """E[spend per transaction | x, m]: the population mean and the customer's own mean,
    weighted by how many repeat transactions back the latter (the note's equation 5)."""
    p, q = params.p, params.q
    own = p * x / (p * x + q - 1)
    return (1 - own) * params.population_mean + own * m
