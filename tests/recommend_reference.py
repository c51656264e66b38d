"""Recommendations by brute force, from plain lists of orders: the independent reference the
property tests hold core/recommend against (docs/recommendations.md states the rules)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import permutations

from core.recommend import BESTSELLERS, REMIND_UNTIL, Rules


@dataclass(frozen=True)
class PlainOrder:
    number: int
    customer: int | None  # None: a guest
    cancelled: bool
    day: int  # ordinal
    keys: tuple[str, ...]  # coalesce(sku, product) of each line


@dataclass(frozen=True)
class Held:
    first: int
    last: int
    orders: int
    days: int


def customer_products(orders: list[PlainOrder], day: int) -> dict[int, dict[str, Held]]:
    """Per customer and product: first and last day, distinct orders and days, up to `day`."""
    seen: dict[int, dict[str, list[tuple[int, int]]]] = {}
    for order in orders:
        if order.customer is None or order.cancelled or order.day > day:
            continue
        for key in set(order.keys):
            seen.setdefault(order.customer, {}).setdefault(key, []).append(
                (order.number, order.day)
            )
    return {
        cid: {
            key: Held(
                min(d for _, d in bought),
                max(d for _, d in bought),
                len({n for n, _ in bought}),
                len({d for _, d in bought}),
            )
            for key, bought in products.items()
        }
        for cid, products in seen.items()
    }


@dataclass
class Sums:
    buyers: Counter[str]
    repeaters: Counter[str]
    pairs: Counter[tuple[str, str]]
    intervals: dict[str, list[int]]


def sums(held: dict[int, dict[str, Held]]) -> Sums:
    buyers: Counter[str] = Counter()
    repeaters: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    intervals: dict[str, list[int]] = {}
    for products in held.values():
        for key, item in products.items():
            buyers[key] += 1
            repeaters[key] += item.orders >= 2
            if item.days >= 2:
                intervals.setdefault(key, []).append((item.last - item.first) // (item.days - 1))
        for a, b in permutations(products, 2):
            pairs[(a, b)] += 1
    return Sums(buyers, repeaters, pairs, intervals)


def bestsellers(orders: list[PlainOrder], day: int, window: int) -> list[str]:
    def ranked(low: int) -> list[str]:
        counts: Counter[str] = Counter()
        for order in orders:
            if not order.cancelled and low < order.day <= day:
                counts.update(set(order.keys))
        return [key for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    recent = ranked(day - window)
    return (recent if len(recent) >= BESTSELLERS else ranked(-(10**9)))[:BESTSELLERS]


def recommendations(
    orders: list[PlainOrder], day: int, customer: int, count: int, rules: Rules | None = None
) -> list[tuple[str, str, str | None]]:
    """(key, kind, because) for one customer, as docs/recommendations.md describes."""
    rules = rules or Rules()
    held = customer_products(orders, day)
    total = sums(held)
    owned = held.get(customer, {})
    reminders = []
    for key, item in owned.items():
        buyers, repeaters = total.buyers[key], total.repeaters[key]
        if (
            buyers < rules.reorder_min_buyers
            or repeaters * 100 < rules.reorder_min_percent * buyers
        ):
            continue
        if key not in total.intervals:
            continue
        interval = statistics.median_low(total.intervals[key])
        since = day - item.last
        if interval <= since < REMIND_UNTIL * interval:
            reminders.append((Fraction(since, interval), key))
    picks = [(key, "replenish", key) for _, key in sorted(reminders, key=lambda r: (-r[0], r[1]))]
    customers = len(held)
    best: dict[str, tuple[Fraction, int, str]] = {}
    for b in total.buyers:
        if b in owned:
            continue
        for a in owned:
            together = total.pairs[(a, b)]
            if together < rules.min_support:
                continue
            lift = Fraction(together * customers, total.buyers[a] * total.buyers[b])
            if lift <= Fraction(rules.min_lift):
                continue
            candidate = (lift, together, a)
            held_best = best.get(b)
            if (
                held_best is None
                or (lift, together) > held_best[:2]
                or ((lift, together) == held_best[:2] and a < held_best[2])
            ):
                best[b] = candidate
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    picks += [(b, "complement", a) for b, (_, _, a) in ranked]
    listed = {key for key, _, _ in picks}
    picks += [
        (key, "bestseller", None)
        for key in bestsellers(orders, day, rules.window_days)
        if key not in owned and key not in listed
    ]
    return picks[:count]
