"""NPS per period, the NPS segments, `nps_score` and the trigger query on random shops,
against a plain-Python reference worked out from the generated answers alone; plus small
hand-checked cases."""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.metrics import compute_stats
from core.nps.figures import customers_by_latest_answer, nps_of, period_nps
from core.nps.importer import import_responses
from core.segments import count_matching, segment_customer_ids
from core.store import Store
from tests.segment_shop import RandomShop, ShopOrder

BASE = date(2025, 1, 1)
LAST_ORDER = BASE + timedelta(days=300)
TODAY = date(2026, 1, 1)
CLOCKS = ["", "T09:00:00", "T09:00:00", "T17:30:00"]  # "" is a date alone


@dataclass(frozen=True)
class Reply:
    customer: int
    day: date
    clock: str
    score: int

    @property
    def answered_at(self) -> str:
        return self.day.isoformat() + self.clock


@st.composite
def shops(draw: st.DrawFn) -> tuple[int, list[Reply], date | None]:
    customers = draw(st.integers(min_value=1, max_value=12))
    replies = [
        Reply(
            draw(st.integers(min_value=1, max_value=customers)),
            # Around the as-of dates and period edges: ties on one day are common.
            LAST_ORDER - timedelta(days=draw(st.sampled_from([0, 0, 1, 30, 31, 89, 90, 200, 300]))),
            draw(st.sampled_from(CLOCKS)),
            draw(st.sampled_from([0, 5, 6, 7, 8, 9, 10, 10])),
        )
        for _ in range(draw(st.integers(min_value=0, max_value=30)))
    ]
    as_of = draw(st.sampled_from([None, LAST_ORDER - timedelta(days=31), LAST_ORDER]))
    return customers, replies, as_of


def load(folder: Path, customers: int, replies: list[Reply]) -> Store:
    """Customers C1..Cn with an order on BASE and one (C1) on LAST_ORDER, and the answers,
    imported from files like a real shop's."""
    orders = [ShopOrder(c, BASE, 1000) for c in range(1, customers + 1)]
    store = RandomShop({c: True for c in range(1, customers + 1)},
                       orders=[*orders, ShopOrder(1, LAST_ORDER, 500)]).load(folder)  # fmt: skip
    path = folder / "responses.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "score", "answered_at"])
        for reply in replies:
            writer.writerow([f"C{reply.customer}", reply.score, reply.answered_at])
    result = import_responses(store, path, today=TODAY)
    assert result.rows_rejected == 0, result.errors
    return store


def stored_order(replies: list[Reply]) -> list[Reply]:
    """The answers as stored: one per (customer, moment, score), at its last line's place."""
    last_line = {(r.customer, r.answered_at, r.score): i for i, r in enumerate(replies)}
    return [
        r for i, r in enumerate(replies) if last_line[(r.customer, r.answered_at, r.score)] == i
    ]


def latest(replies: list[Reply], first: date, last: date) -> dict[int, Reply]:
    """Customer -> their latest answer given from `first` to `last` (day, moment, then order)."""
    found: dict[int, tuple[tuple[date, str, int], Reply]] = {}
    for index, reply in enumerate(stored_order(replies)):
        if first <= reply.day <= last:
            key = (reply.day, reply.answered_at, index)
            if reply.customer not in found or key > found[reply.customer][0]:
                found[reply.customer] = (key, reply)
    return {customer: reply for customer, (_key, reply) in found.items()}


def reference_nps(replies: list[Reply], first: date, last: date) -> dict[str, object]:
    scores = [reply.score for reply in latest(replies, first, last).values()]
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    nps = None if not scores else round(100 * (promoters - detractors) / len(scores), 4)
    return {"nps": nps, "promoters": promoters, "passives": len(scores) - promoters - detractors,
            "detractors": detractors, "responses": len(scores)}  # fmt: skip


def ids(store: Store, customers: set[int]) -> list[int]:
    return sorted(
        store.scalar("SELECT id FROM customers WHERE external_id = ?", (f"C{c}",))  # type: ignore[misc]
        for c in customers
    )


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(shops())
@example((1, [], None))
@example((2, [Reply(1, LAST_ORDER, "", 10), Reply(1, LAST_ORDER, "T09:00:00", 3),
              Reply(2, LAST_ORDER, "", 8), Reply(2, LAST_ORDER, "", 9)], None))  # fmt: skip
def test_random_shops_match_the_reference(case: tuple[int, list[Reply], date | None]) -> None:
    customers, replies, as_of = case
    with tempfile.TemporaryDirectory() as folder:
        store = load(Path(folder), customers, replies)
        try:
            check(store, replies, as_of)
        finally:
            store.close()


def check(store: Store, replies: list[Reply], as_of: date | None) -> None:
    day = as_of or LAST_ORDER
    for period in ("month", "quarter"):
        stats = compute_stats(store, period, as_of=as_of)
        for row in stats["periods"]:  # type: ignore[attr-defined]
            first, last = date.fromisoformat(row["start"]), date.fromisoformat(row["end"])
            want = reference_nps(replies, first, last)
            assert {key: row[key] for key in want} == want, (period, row)
    current = latest(replies, date.min, day)
    members = {
        "promoters": {c for c, r in current.items() if r.score >= 9},
        "passives": {c for c, r in current.items() if 7 <= r.score <= 8},
        "detractors": {c for c, r in current.items() if r.score <= 6},
    }
    for name, expected in members.items():
        assert segment_customer_ids(store, name, as_of) == ids(store, expected), name
    for score in (0, 6, 9, 10):
        expected = sum(1 for r in current.values() if r.score == score)
        assert count_matching(store, f"nps_score = {score}", as_of) == expected
    # The trigger query: latest answer as of `day`, given in the window, by score.
    for window in (0, 1, 31):
        since = day - timedelta(days=window)
        in_window = {c: r for c, r in current.items() if r.day >= since}
        low = {c for c, r in in_window.items() if r.score <= 6}
        high = {c for c, r in in_window.items() if r.score >= 9}
        assert customers_by_latest_answer(store, since, day, max_score=6) == ids(store, low)
        assert customers_by_latest_answer(store, since, day, min_score=9) == ids(store, high)


def test_hand_checked_nps() -> None:
    """4 customers: 10, 9 (promoters), 7 (passive), 3 (detractor): (2 - 1) / 4 = +25."""
    assert nps_of(2, 1, 1) == {"nps": 25.0, "promoters": 2, "passives": 1, "detractors": 1,
                               "responses": 4}  # fmt: skip
    assert nps_of(0, 0, 3)["nps"] == -100.0
    assert nps_of(1, 0, 2)["nps"] == -33.3333  # -100/3, rounded to 4 decimals
    assert nps_of(0, 0, 0)["nps"] is None


def test_hand_checked_shop(tmp_path: Path) -> None:
    """C1 answers 3 then 10 in January: only the 10 counts; C2 answers 6 in January and 9 in
    February: a detractor in January, a promoter in February and as of the end."""
    replies = [
        Reply(1, date(2025, 1, 5), "", 3),
        Reply(1, date(2025, 1, 20), "", 10),
        Reply(2, date(2025, 1, 25), "", 6),
        Reply(2, date(2025, 2, 2), "", 9),
        Reply(3, date(2025, 2, 3), "", 7),
    ]
    store = load(tmp_path, 3, replies)
    january = period_nps(store, date(2025, 1, 1), date(2025, 1, 31))
    assert january == {"nps": 0.0, "promoters": 1, "passives": 0, "detractors": 1,
                       "responses": 2}  # fmt: skip
    february = period_nps(store, date(2025, 2, 1), date(2025, 2, 28))
    assert (february["nps"], february["promoters"], february["passives"]) == (50.0, 1, 1)
    assert segment_customer_ids(store, "promoters") == ids(store, {1, 2})
    assert segment_customer_ids(store, "passives") == ids(store, {3})
    assert segment_customer_ids(store, "detractors") == []
    assert segment_customer_ids(store, "detractors", date(2025, 1, 31)) == ids(store, {2})
    assert customers_by_latest_answer(store, date(2025, 1, 1), date(2025, 1, 31),
                                      max_score=6) == ids(store, {2})  # fmt: skip
    # C2's 6 is superseded by the 9 in February: no follow-up is due for it any more.
    assert customers_by_latest_answer(store, date(2025, 1, 1), date(2025, 2, 28),
                                      max_score=6) == []  # fmt: skip
    store.close()
