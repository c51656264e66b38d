"""NPS figures from the stored answers: per period, per customer, and for flow triggers.

Definitions (docs/nps.md): a promoter answers 9-10, a passive 7-8, a detractor 0-6. Per
period, each customer counts once, with their latest answer given in the period (latest by
local date, then by `answered_at` as written, then by import order); NPS = % promoters -
% detractors of those customers, from -100 to 100, undefined (None) without answers. As of a
date, a customer's answer is their latest one given on or before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.store import Store
from core.values import day_to_date

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
NPS_KEYS = ("nps", "promoters", "passives", "detractors", "responses")

_LATEST_IN = """
    SELECT score FROM (
        SELECT score, row_number() OVER (
            PARTITION BY customer_id ORDER BY answered_day DESC, answered_at DESC, id DESC
        ) AS newest
        FROM responses WHERE answered_day BETWEEN :first AND :last
    ) WHERE newest = 1
"""
"""Each customer's latest answer given in days [:first, :last]."""


def category(score: int | None) -> str | None:
    """'promoter' (9-10), 'passive' (7-8), 'detractor' (0-6), or None without an answer."""
    if score is None:
        return None
    if score >= PROMOTER_MIN:
        return "promoter"
    return "detractor" if score <= DETRACTOR_MAX else "passive"


def nps_of(promoters: int, passives: int, detractors: int) -> dict[str, object]:
    """The figures of one period as `stats --json` gives them; `nps` rounded to 4 decimals
    (half to even, exactly), None without answers."""
    from core.metrics import rounded_exactly  # core.metrics reads NPS from here

    responses = promoters + passives + detractors
    nps = rounded_exactly(100 * (promoters - detractors), responses, 4) if responses else None
    return {"nps": nps, "promoters": promoters, "passives": passives,
            "detractors": detractors, "responses": responses}  # fmt: skip


def period_nps(store: Store, first: date, last: date) -> dict[str, object]:
    """NPS of the answers given from `first` to `last` (inclusive): see the module's docstring."""
    promoters, passives, detractors = store.execute(
        f"SELECT coalesce(sum(score >= {PROMOTER_MIN}), 0), "
        f"coalesce(sum(score BETWEEN {DETRACTOR_MAX + 1} AND {PROMOTER_MIN - 1}), 0), "
        f"coalesce(sum(score <= {DETRACTOR_MAX}), 0) FROM ({_LATEST_IN})",
        {"first": first.toordinal(), "last": last.toordinal()},
    ).fetchone()
    return nps_of(promoters, passives, detractors)


def add_period_nps(store: Store, rows: list[dict[str, object]]) -> None:
    """Add the NPS figures to each period row of `compute_stats` (`start`, `end` ISO dates)."""
    for row in rows:
        row.update(
            period_nps(
                store, date.fromisoformat(str(row["start"])), date.fromisoformat(str(row["end"]))
            )
        )


def has_responses(store: Store) -> bool:
    return bool(store.scalar("SELECT EXISTS (SELECT 1 FROM responses)"))


def latest_score_sql() -> str:
    """SQL for the score of customer `c`'s latest answer on or before a day ordinal (its
    one parameter), NULL without one: the segment field `nps_score`.

    One probe of the covering index `responses_by_customer` per customer, and none at all in
    a shop without answers (the EXISTS is evaluated once per statement). Measured on 350,000
    customers: every segment count takes 0.48 s without answers (0.44 s without the NPS
    segments, 0.71 s without the EXISTS), 1.04 s with 100,000 answers (bench/bench_nps.py).
    """
    return (
        "(CASE WHEN EXISTS (SELECT 1 FROM responses) THEN (SELECT r.score FROM responses r "
        "WHERE r.customer_id = c.id AND r.answered_day <= ? "
        "ORDER BY r.answered_day DESC, r.answered_at DESC, r.id DESC LIMIT 1) END)"
    )


def customers_by_latest_answer(
    store: Store, first: date, last: date, *, min_score: int = 0, max_score: int = 10
) -> list[int]:
    """Customers (ids, ascending) whose latest answer as of `last` was given from `first` to
    `last` and scores from `min_score` to `max_score`: the flow trigger
    `nps-answer:detractor` is `max_score=6`, `nps-answer:promoter` `min_score=9`.

    An answer superseded by a later one up to `last` does not count: the customer's current
    opinion is what a follow-up answers to.
    """
    answers = latest_answers_given(store, first, last, last, min_score=min_score,
                                   max_score=max_score)  # fmt: skip
    return [customer_id for customer_id, _day in answers]


def latest_answers_given(
    store: Store, first: date, last: date, as_of: date, *, min_score: int = 0,
    max_score: int = 10,
) -> list[tuple[int, int]]:  # fmt: skip
    """(customer id, answer day ordinal), by customer, of each customer whose latest answer
    as of `as_of` was given from `first` to `last` (inclusive) and scores from `min_score` to
    `max_score`. A flow with a delay asks about answers given up to `last` = as_of - delay
    that are still the customer's latest on `as_of`."""
    rows = store.execute(
        """
        SELECT customer_id, answered_day FROM (
            SELECT customer_id, score, answered_day, row_number() OVER (
                PARTITION BY customer_id ORDER BY answered_day DESC, answered_at DESC, id DESC
            ) AS newest
            FROM responses WHERE answered_day <= :as_of
        ) WHERE newest = 1 AND answered_day BETWEEN :first AND :last
          AND score BETWEEN :low AND :high
        ORDER BY customer_id
        """,
        {"first": first.toordinal(), "last": last.toordinal(), "as_of": as_of.toordinal(),
         "low": min_score, "high": max_score},
    )  # fmt: skip
    return [(int(customer_id), int(day)) for customer_id, day in rows]


@dataclass(frozen=True)
class Answer:
    """One stored answer, as customer detail and `customer show` list it."""

    answered_at: str
    answered_day: int
    score: int
    comment: str | None

    @property
    def category(self) -> str:
        return category(self.score) or ""

    def to_dict(self) -> dict[str, object]:
        return {
            "answered_on": day_to_date(self.answered_day).isoformat(),
            "answered_at": self.answered_at,
            "score": self.score,
            "category": self.category,
            "comment": self.comment,
        }


def customer_answers(store: Store, customer_id: int) -> list[Answer]:
    """The customer's answers, oldest first (the latest is the last)."""
    rows = store.execute(
        "SELECT answered_at, answered_day, score, comment FROM responses WHERE customer_id = ? "
        "ORDER BY answered_day, answered_at, id",
        (customer_id,),
    )
    return [Answer(*row) for row in rows]
