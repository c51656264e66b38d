"""The control group (core/campaigns/holdout.py): exact size by the documented rounding,
the same people for the same name, whatever the order of the list."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.campaigns import HoldoutError, holdout_size, parse_holdout
from core.campaigns.holdout import held_out

names = st.text(min_size=1, max_size=40)
audiences = st.lists(st.integers(1, 10**9), max_size=400, unique=True)
percents = st.decimals(min_value=0, max_value=90, places=1)


def expected_size(n: int, percent: Decimal) -> int:
    """docs/campaigns.md: n * percent / 100, halves rounded up (computed exactly)."""
    return floor(Fraction(n) * Fraction(percent) / 100 + Fraction(1, 2))


@given(names, audiences, percents)
@settings(max_examples=200, deadline=None)
def test_size_and_stability(name: str, audience: list[int], percent: Decimal) -> None:
    group = held_out(name, audience, percent)
    assert (
        len(group) == expected_size(len(audience), percent) == holdout_size(len(audience), percent)
    )
    assert group <= set(audience)
    shuffled = audience[:]
    random.Random(0).shuffle(shuffled)
    assert held_out(name, shuffled, percent) == group  # order does not matter
    assert held_out(name, audience, percent) == group  # nor a second run


@given(names, st.lists(st.integers(1, 10**6), min_size=200, max_size=400, unique=True))
@settings(max_examples=50, deadline=None)
def test_another_name_draws_another_group(name: str, audience: list[int]) -> None:
    group = held_out(name, audience, Decimal(50))
    other = held_out(name + "-2", audience, Decimal(50))
    assert group != other


@pytest.mark.parametrize(
    ("n", "percent", "size"),
    [(7, "30", 2), (5, "10", 1), (15, "10", 2), (25, "10", 3), (4, "10", 0), (10, "90", 9),
     (1, "50", 1), (0, "10", 0), (100_000, "10", 10_000)],
)  # fmt: skip
def test_hand_checked_sizes(n: int, percent: str, size: int) -> None:
    # 5 * 10 % = 0.5 -> 1 and 25 * 10 % = 2.5 -> 3 (halves up); 4 * 10 % = 0.4 -> 0.
    assert holdout_size(n, Decimal(percent)) == size


@pytest.mark.parametrize("text", ["95%", "90.1", "-1%", "ten", "nan", "inf", "", "%"])
def test_holdouts_outside_0_to_90_are_refused(text: str) -> None:
    with pytest.raises(HoldoutError, match="a percentage from 0 to 90"):
        parse_holdout(text)


def test_holdout_forms() -> None:
    assert parse_holdout("10%") == parse_holdout(" 10 ") == Decimal(10)
    assert parse_holdout("12,5 %") == Decimal("12.5")
    assert parse_holdout("0") == 0 and parse_holdout("90%") == 90
