"""The control group: who of the eligible customers gets no draft, seeded by the campaign name.

Each eligible customer gets a rank, the SHA-256 of the campaign name and their id; the
`round(n * percent / 100)` lowest ranks (halves rounded up) are held out. So the group has
exactly that size, the same name and audience always hold out the same people (a re-run
decides as the first run did), and another campaign name draws an unrelated group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

MAX_HOLDOUT_PERCENT = Decimal(90)


class HoldoutError(ValueError):
    """A holdout that is not a percentage from 0 to 90."""


def parse_holdout(text: str) -> Decimal:
    """`10%`, `10` or `12.5%` -> Decimal('10'); refuses anything outside 0-90 %."""
    value = text.strip().removesuffix("%").strip().replace(",", ".")
    try:
        percent = Decimal(value)
    except ArithmeticError:
        percent = Decimal("NaN")
    if not percent.is_finite() or not Decimal(0) <= percent <= MAX_HOLDOUT_PERCENT:
        raise HoldoutError(
            f"--holdout {text!r}: a percentage from 0 to {MAX_HOLDOUT_PERCENT} (e.g. 10%)"
        )
    return percent


def holdout_size(eligible: int, percent: Decimal) -> int:
    """How many of `eligible` are held out: n * percent / 100, halves rounded up."""
    exact = Decimal(eligible) * percent / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rank(seed: bytes, customer_id: int) -> bytes:
    return hashlib.sha256(seed + str(customer_id).encode()).digest()


def held_out(campaign: str, eligible: Sequence[int], percent: Decimal) -> set[int]:
    """The customer ids of `eligible` held out for the campaign named `campaign`."""
    size = holdout_size(len(eligible), percent)
    if not size:
        return set()
    seed = campaign.encode() + b"\0"
    ranked = sorted(eligible, key=lambda customer_id: _rank(seed, customer_id))
    return set(ranked[:size])
