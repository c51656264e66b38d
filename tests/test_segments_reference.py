"""Scores and segments of random shops against an independent plain-Python reference.

The shops are written as CSV and imported like a real export; the reference works from the
generated rows alone. Small value ranges make ties common; one customer and all-equal shops
come up by construction.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.segments import (
    count_matching,
    customer_rows,
    list_segments,
    segment_customer_ids,
)
from tests.segment_shop import RandomShop, ShopOrder
from tests.test_rfm import ISSUE_TABLE, reference_segment

BASE = date(2025, 1, 1)
AS_OF = BASE + timedelta(days=400)
# Offsets from AS_OF that sit on the behaviour boundaries (new < 30 days, lapsed >= 180 days).
DAYS_BEFORE = [0, 0, 1, 29, 30, 31, 100, 179, 180, 181, 400]
CENTS = [0, 500, 1000, 1000, 2550, 99999]


@st.composite
def shops(draw: st.DrawFn) -> tuple[RandomShop, date | None]:
    customers = draw(st.integers(min_value=1, max_value=24))
    consent = {
        number: draw(st.sampled_from([True, False, None])) for number in range(1, customers + 1)
    }
    orders = []
    for _ in range(draw(st.integers(min_value=0, max_value=50))):
        cents = draw(st.sampled_from(CENTS))
        refund = draw(st.sampled_from([0, 0, 0, cents, cents // 3]))
        orders.append(
            ShopOrder(
                customer=draw(st.integers(min_value=1, max_value=customers)),
                day=AS_OF - timedelta(days=draw(st.sampled_from(DAYS_BEFORE))),
                cents=cents,
                refunded_cents=refund,
                cancelled=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    as_of = draw(st.sampled_from([None, AS_OF, AS_OF - timedelta(days=30), AS_OF + timedelta(9)]))
    return RandomShop(consent=consent, orders=orders), as_of


def reference(shop: RandomShop, as_of: date | None) -> tuple[date, dict[str, dict[str, object]]]:
    """External id -> expected row figures and segment names, in plain Python."""
    as_of = as_of or shop.latest_day() or date.today()
    figures = shop.figures(as_of)
    n = len(figures)
    recency = {c: (as_of - last).days for c, (_o, _m, _f, last) in figures.items()}
    expected: dict[str, dict[str, object]] = {}
    for customer, consent in shop.consent.items():
        row: dict[str, object] = {"orders": 0, "spent": 0.0, "r": None, "f": None, "m": None,
                                  "rfm_segment": None}  # fmt: skip
        segments: set[str] = set()
        if customer in figures:
            count, net, first, last = figures[customer]
            # L = number of customers strictly worse: more days, fewer orders, less money.
            worse_r = sum(1 for other in figures if recency[other] > recency[customer])
            worse_f = sum(1 for other in figures.values() if other[0] < count)
            worse_m = sum(1 for other in figures.values() if other[1] < net)
            r, f, m = (min(5, 1 + 5 * worse // n) for worse in (worse_r, worse_f, worse_m))
            better = sum(1 for other in figures.values() if other[1] > net)
            row.update(orders=count, spent=round(net / 100, 2), r=r, f=f, m=m,
                       rfm_segment=reference_segment(r, f, m))  # fmt: skip
            segments.add(reference_segment(r, f, m))
            if (as_of - first).days < 30:
                segments.add("new")
            segments.add("one-time" if count == 1 else "repeat")
            if (as_of - last).days >= 180:
                segments.add("lapsed")
            if 10 * better < n:
                segments.add("vip")
        if consent is not True:
            segments.add("opted-out")
        row["segments"] = segments
        row["consent"] = consent is True
        expected[f"C{customer}"] = row
    return as_of, expected


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(shops())
@example((RandomShop({1: True}, orders=[ShopOrder(1, AS_OF, 1000)]), None))
@example((RandomShop({1: True, 2: None, 3: False},
                     orders=[ShopOrder(c, AS_OF, 500) for c in (1, 2, 3)]), None))  # fmt: skip
@example((RandomShop({c: True for c in range(1, 21)},  # 20 distinct spends: 2 VIPs
                     orders=[ShopOrder(c, AS_OF - timedelta(c), 100 * c) for c in range(1, 21)]),
          None))  # fmt: skip
def test_random_shops_match_the_reference(case: tuple[RandomShop, date | None]) -> None:
    shop, as_of = case
    with tempfile.TemporaryDirectory() as folder:
        store = shop.load(Path(folder))
        try:
            check_shop(store, shop, as_of)
        finally:
            store.close()


def check_shop(store, shop: RandomShop, as_of: date | None) -> None:
    expected_as_of, expected = reference(shop, as_of)
    rows = customer_rows(store, as_of=as_of)
    assert len(rows) == len(expected)
    by_external = {row["external_id"]: row for row in rows}
    id_of = {row["external_id"]: row["id"] for row in rows}
    for external_id, want in expected.items():
        got = by_external[external_id]
        for key in ("orders", "spent", "r", "f", "m", "rfm_segment"):
            assert got[key] == want[key], (external_id, key, got, want)
        assert set(got["segments"]) == want["segments"], (external_id, got, want)

    infos = {info.name: info for info in list_segments(store, as_of)}
    assert {info.as_of for info in infos.values()} == {expected_as_of.isoformat()}
    names = [name for name, *_ranges in ISSUE_TABLE] + ["Others"]
    for name in [*names, "new", "one-time", "repeat", "lapsed", "vip", "opted-out"]:
        members = {e for e, want in expected.items() if name in want["segments"]}
        reachable = {e for e in members if expected[e]["consent"]}
        assert infos[name].count == len(members), name
        if name != "opted-out":
            assert infos[name].marketing_count == len(reachable), name
        assert segment_customer_ids(store, name, as_of) == sorted(id_of[e] for e in members)
        assert segment_customer_ids(store, name, as_of, marketing=True) == sorted(
            id_of[e] for e in reachable
        )

    # Every customer with an order lands in exactly one RFM segment.
    scored = {e for e, want in expected.items() if want["r"] is not None}
    rfm_members = [set(segment_customer_ids(store, name, as_of)) for name in names]
    assert sum(len(members) for members in rfm_members) == len(scored)
    assert set().union(*rfm_members) == {id_of[e] for e in scored}
    for name in names:
        quoted = name.replace('"', '\\"')
        assert count_matching(store, f'rfm_segment = "{quoted}"', as_of) == infos[name].count
