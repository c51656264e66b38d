"""Recommendations (docs/recommendations.md): for a customer, up to N products worth showing.

1. **Replenishment**: a product the customer bought that the shop's customers reorder
   (core/compose/reorder.py's rule) whose typical interval (the median over its repeat buyers
   of their average days between purchases) has passed since their last purchase of it; the
   only kind that may name a product they bought, and its reason says so.
2. **Complements**: products bought by the same customers as one they bought, ranked by lift,
   among pairs bought by at least `min_support` customers; never a product they bought.
3. **Bestsellers** of the recent window they have not bought, when 1 and 2 leave room.

Everything is as of one date (core/as_of.py). The shop-wide evidence is read once per
`Recommender` from tables every import keeps (core/recommend/precompute.py), so a list of
10,000 customers costs one indexed read of their products and a loop in Python.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from core.recommend.evidence import (
    BESTSELLERS,
    DEFAULT_MIN_LIFT,
    DEFAULT_MIN_SUPPORT,
    DEFAULT_WINDOW_DAYS,
    Evidence,
    Rules,
    read_evidence,
    tables_as_of,
)
from core.store import Store

__all__ = [
    "BESTSELLERS",
    "DEFAULT_COUNT",
    "DEFAULT_MIN_LIFT",
    "DEFAULT_MIN_SUPPORT",
    "DEFAULT_WINDOW_DAYS",
    "KINDS",
    "REMIND_UNTIL",
    "Bought",
    "DueReminder",
    "Recommendation",
    "Recommender",
    "Rules",
]

REMIND_UNTIL = 2
"""A reminder is timely from one interval after the last purchase until twice the interval:
after that the customer has moved on (win-back's business), not run out."""
DEFAULT_COUNT = 3
"""How many a customer gets unless asked for more (`recommend -n`, templates)."""
KINDS = ("replenish", "complement", "bestseller")
"""The kinds, in the order a customer's list gives them."""
_CHUNK = 5_000
WHOLE_SHOP_FROM = 1_000
"""From this many customers on, `nothing_to_recommend` reads every customer's products once
(0.3 s on the 1M-order shop) rather than looking each one up."""


@dataclass(frozen=True, slots=True)
class Bought:
    """What a customer bought of one product, up to the as-of date."""

    key: str
    first_day: int
    last_day: int


@dataclass(frozen=True, slots=True)
class Recommendation:
    key: str
    sku: str | None
    name: str
    price: int | None
    """Cents, from the product's latest order line (None when that line had no price)."""
    kind: str
    """"replenish" | "complement" | "bestseller"."""
    reason: str
    score: float
    """replenish: days since the last purchase / the interval; complement: the lift;
    bestseller: the part of the window's orders that had it."""
    because: str | None = None
    """The bought product's name a complement goes with (or a reminder is about)."""

    def to_dict(self) -> dict[str, object]:
        return {"sku": self.sku, "product": self.name, "reason": self.reason,
                "kind": self.kind, "score": self.score}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reorder product whose interval has passed: due on `due_day` (last_day + interval)."""

    customer_id: int
    key: str
    last_day: int
    interval: int

    @property
    def due_day(self) -> int:
        return self.last_day + self.interval


def timely(days_since: int, interval: int) -> bool:
    """Whether a reminder is due `days_since` the last purchase of a product bought every
    `interval` days."""
    return interval <= days_since < REMIND_UNTIL * interval


@dataclass(frozen=True, slots=True)
class _Pick:
    key: str
    kind: str
    score: float
    because: str | None = None
    days: int = 0
    interval: int = 0


class Recommender:
    """Recommendations as of one date; the shop-wide evidence is read on first use."""

    def __init__(self, store: Store, as_of: date, rules: Rules | None = None) -> None:
        self.store = store
        self.as_of = as_of
        self.rules = rules or Rules()
        self._evidence: Evidence | None = None
        self._tables = ""

    @property
    def evidence(self) -> Evidence:
        if self._evidence is None:
            self._tables = tables_as_of(self.store, self.as_of)
            self._evidence = read_evidence(self.store, self._tables, self.as_of, self.rules)
        return self._evidence

    def warm(self) -> None:
        """Read the shop-wide evidence now (in a worker, before the first preview needs it)."""
        _ = self.evidence

    def bought(self, customer_ids: Iterable[int]) -> dict[int, list[Bought]]:
        """Each customer's products up to the as-of date (those who bought any)."""
        evidence, ids = self.evidence, list(dict.fromkeys(customer_ids))
        found: dict[int, list[Bought]] = {}
        if not evidence.customers:
            return found
        for at in range(0, len(ids), _CHUNK):
            rows = self.store.execute(
                f"SELECT customer_id, key, first_day, last_day FROM {self._tables}"
                "customer_products WHERE customer_id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids[at : at + _CHUNK]),),
            )
            for cid, key, first, last in rows:
                found.setdefault(cid, []).append(Bought(key, first, last))
        return found

    def for_customers(
        self, customer_ids: Sequence[int], count: int = DEFAULT_COUNT
    ) -> dict[int, list[Recommendation]]:
        """Up to `count` recommendations for each of `customer_ids` (an empty list when
        there is nothing to recommend)."""
        bought = self.bought(customer_ids)
        picks = {cid: self._picks(bought.get(cid, []), count) for cid in customer_ids}
        return {cid: [self._recommendation(pick) for pick in items] for cid, items in picks.items()}

    def nothing_to_recommend(self, customer_ids: Sequence[int]) -> set[int]:
        """Those of `customer_ids` `for_customers` would give nothing: only someone who
        bought every bestseller can be one, so only they are looked at closely."""
        evidence = self.evidence
        if not evidence.bestsellers:
            return set(customer_ids)
        keys = [seller.key for seller in evidence.bestsellers]
        ids = list(dict.fromkeys(customer_ids))
        owns_all = (f"SELECT customer_id FROM {self._tables}customer_products "
                    "WHERE key IN (SELECT value FROM json_each(:keys)) {ids} "
                    "GROUP BY customer_id HAVING count(*) = :n")  # fmt: skip
        params = {"keys": json.dumps(keys), "n": len(keys)}
        candidates: list[int] = []
        if len(ids) >= WHOLE_SHOP_FROM:  # one pass over every customer's products
            wanted = set(ids)
            rows = self.store.execute(owns_all.format(ids=""), params)
            candidates = [cid for (cid,) in rows if cid in wanted]
        else:
            ids_sql = "AND customer_id IN (SELECT value FROM json_each(:ids))"
            for at in range(0, len(ids), _CHUNK):
                chunk = {"ids": json.dumps(ids[at : at + _CHUNK]), **params}
                rows = self.store.execute(owns_all.format(ids=ids_sql), chunk)
                candidates += [cid for (cid,) in rows]
        bought = self.bought(candidates)
        return {cid for cid in candidates if not self._picks(bought.get(cid, []), 1)}

    def due_reminders(self, first_due: int, last_due: int) -> list[DueReminder]:
        """Every (customer, reorder product) whose due day (last purchase + interval, up to
        the as-of date) lies in [first_due, last_due], ordinals, and whose reminder is still
        timely on the as-of date; for the flows' trigger."""
        intervals = self.evidence.intervals
        if not intervals or last_due < first_due:
            return []
        rows = self.store.execute(
            f"SELECT p.customer_id, p.key, p.last_day, i.value FROM json_each(:intervals) i "
            f"JOIN {self._tables}customer_products p ON p.key = i.key "
            "WHERE p.last_day + i.value BETWEEN :first AND :last "
            "AND :today - p.last_day < :until * i.value "
            "ORDER BY p.customer_id, p.last_day + i.value, p.key",
            {
                "intervals": json.dumps(intervals),
                "first": first_due,
                "last": last_due,
                "today": self.as_of.toordinal(),
                "until": REMIND_UNTIL,
            },
        )
        return [DueReminder(cid, key, last, interval) for cid, key, last, interval in rows]

    def _picks(self, bought: list[Bought], count: int) -> list[_Pick]:
        """The customer's list: due reminders, then complements, then bestsellers."""
        evidence, today = self.evidence, self.as_of.toordinal()
        owned = {item.key for item in bought}
        due: list[tuple[Fraction, _Pick]] = []
        for item in bought:
            interval = evidence.intervals.get(item.key)
            if interval is not None and timely(today - item.last_day, interval):
                days = today - item.last_day
                pick = _Pick(item.key, "replenish", round(days / interval, 4), item.key, days,
                             interval)  # fmt: skip
                due.append((Fraction(days, interval), pick))
        due.sort(key=lambda entry: (-entry[0], entry[1].key))
        picks = [pick for _, pick in due]
        if len(picks) >= count:
            return picks[:count]
        # Each product's complements come best first: merged, the first time another product
        # appears is its best reason (highest lift, then most customers, then the bought
        # product's key), and the stream is in the order the list ranks them.
        listed = {pick.key for pick in picks}
        merged = heapq.merge(*(evidence.complements.get(key, ()) for key in owned))
        for neg_lift, _, other, key in merged:
            if other in owned or other in listed:
                continue
            listed.add(other)
            picks.append(_Pick(other, "complement", round(-neg_lift, 4), key))
            if len(picks) == count:
                return picks
        for seller in evidence.bestsellers:
            if seller.key not in owned and seller.key not in listed:
                picks.append(_Pick(seller.key, "bestseller", seller.share))
                if len(picks) == count:
                    break
        return picks

    def _recommendation(self, pick: _Pick) -> Recommendation:
        names = self.evidence.names
        product = names[pick.key]
        because = None if pick.because is None else names[pick.because].name
        if pick.kind == "replenish":
            reason = (f"time to reorder: last bought {pick.days} days ago, "
                      f"customers reorder it every {pick.interval} days")  # fmt: skip
        elif pick.kind == "complement":
            reason = f"often bought with {because}"
        else:
            reason = "a bestseller"
        return Recommendation(pick.key, product.sku, product.name, product.price, pick.kind,
                              reason, pick.score, because)  # fmt: skip
