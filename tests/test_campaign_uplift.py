"""Newcombe's hybrid score interval against the published worked examples and a hand computation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.campaigns.uplift import Z_95, newcombe_interval, wilson_interval

# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (score, no
# continuity correction), 95 %: (a)-(h), the paper's eight examples, to 4 decimals.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_the_published_examples(counts: tuple[int, int, int, int], published: tuple) -> None:
    low, high = newcombe_interval(*counts)
    assert (round(low, 4), round(high, 4)) == published


def test_a_hand_computation() -> None:
    # 3/4 against 1/4 with z = 1.96 (z² = 3.8416):
    # 3/4: centre (3 + 1.9208) / 7.8416 = 0.627525, half 1.96·√(0.75 + 0.9604) / 7.8416
    #      = 1.96·1.307823 / 7.8416 = 0.326889 -> [0.300636, 0.954414]; 1/4 mirrors it:
    #      [0.045586, 0.699364]. d = 0.5:
    # low  = 0.5 − √(0.449364² + 0.449364²) = 0.5 − 0.635497 = −0.135497
    # high = 0.5 + √(0.204414² + 0.204414²) = 0.5 + 0.289085 = +0.789085
    assert wilson_interval(3, 4, 1.96) == pytest.approx((0.300636, 0.954414), abs=1e-6)
    assert newcombe_interval(3, 4, 1, 4, 1.96) == pytest.approx((-0.135497, 0.789085), abs=1e-6)
    assert round(Z_95, 6) == 1.959964


def test_the_textbook_wald_interval_is_not_what_is_used() -> None:
    """Wald for (a): 0.2 ± 1.96·√(0.8·0.2/70 + 0.6·0.4/80) = [0.0575, 0.3425] (Newcombe's
    method 1): the score interval is asymmetric and narrower on the high side."""
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) != (0.0575, 0.3425)


@given(n1=st.integers(1, 400), n2=st.integers(1, 400), data=st.data())
def test_the_interval_holds_the_difference_and_stays_in_range(
    n1: int, n2: int, data: st.DataObject
) -> None:
    a = data.draw(st.integers(0, n1))
    b = data.draw(st.integers(0, n2))
    low, high = newcombe_interval(a, n1, b, n2)
    assert -1 <= low <= a / n1 - b / n2 <= high <= 1
    swapped = newcombe_interval(b, n2, a, n1)  # swapping the groups mirrors the interval
    assert swapped == pytest.approx((-high, -low), abs=1e-12)


def test_bad_counts_are_refused() -> None:
    for x, n in ((1, 0), (-1, 3), (4, 3)):
        with pytest.raises(ValueError, match="successes"):
            wilson_interval(x, n)
