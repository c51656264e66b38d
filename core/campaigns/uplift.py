"""How sure is an uplift? A 95 % interval for the difference of two proportions.

A campaign's uplift is the share of drafted customers who ordered again minus the share of
held-out customers who did. Its interval is Newcombe's hybrid score interval (Newcombe 1998,
"Interval estimation for the difference between independent proportions: comparison of
eleven methods", Statistics in Medicine 17:873-890, method 10): it combines the Wilson score
interval of each share. Unlike the textbook Wald interval (difference ± z·standard error) it
stays inside [-1, 1], is not zero-width when a share is 0 % or 100 %, and keeps close to
its nominal 95 % for the small holdouts a shop has (a 10 % holdout of 200 customers is 20).
"""

from __future__ import annotations

from math import sqrt
from statistics import NormalDist

__all__ = ["CONFIDENCE", "newcombe_interval", "wilson_interval"]

CONFIDENCE = 0.95
Z_95 = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)
"""1.959963984540054: the standard normal quantile of a two-sided 95 % interval."""


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of successes / trials (trials > 0), within [0, 1]."""
    if not 0 <= successes <= trials or trials <= 0:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes}/{trials}")
    share = successes / trials
    z2 = z * z
    centre = (successes + z2 / 2) / (trials + z2)
    half = z * sqrt(trials * share * (1 - share) + z2 / 4) / (trials + z2)
    # The formula reaches 0 and 1 exactly at 0 and `trials` successes, up to rounding.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def newcombe_interval(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, z: float = Z_95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for a/trials_a − b/trials_b, within [-1, 1]."""
    share_a, share_b = successes_a / trials_a, successes_b / trials_b
    low_a, high_a = wilson_interval(successes_a, trials_a, z)
    low_b, high_b = wilson_interval(successes_b, trials_b, z)
    difference = share_a - share_b
    low = difference - sqrt((share_a - low_a) ** 2 + (high_b - share_b) ** 2)
    high = difference + sqrt((high_a - share_a) ** 2 + (share_b - low_b) ** 2)
    return max(-1.0, low), min(1.0, high)
