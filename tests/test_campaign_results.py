"""Every figure of `campaign_results` against a plain reference, and small hand-checked shops.

The reference loops over the generated order rows and recipient lists with sets and dates, as
docs/campaigns.md ("Results") reads; it shares no code with core/campaigns/results.py: not the
window arithmetic, not the code matching, not the rounding (Fractions), and its Wilson bounds
are found by bisection on the score test instead of the closed formula.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from math import sqrt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.campaigns import UnknownCampaignError
from core.campaigns.results import MAX_WINDOW_DAYS, campaign_results
from core.store import Store, open_store
from tests.campaign_shop import Campaign, ShopOrder, add_campaign, load_customers_and_orders

FIRST_DAY = date(2024, 1, 1)
Z = 1.959963984540054
REASONS = ("no_consent", "contacted_recently", "no_email", "suppressed")

# ---------------------------------------------------------------- the reference


def pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else float(round(Fraction(100 * part, whole), 4))


def wilson_by_bisection(x: int, n: int) -> tuple[float, float]:
    """The p where the score statistic |x/n - p| / sqrt(p(1-p)/n) equals Z, on each side."""

    def outside(p: float) -> bool:
        return (x / n - p) ** 2 * n > Z * Z * p * (1 - p)

    def root(inside: float, out: float) -> float:
        for _ in range(200):
            mid = (inside + out) / 2
            inside, out = (inside, mid) if outside(mid) else (mid, out)
        return (inside + out) / 2

    share = x / n
    low = 0.0 if x == 0 else root(share, 0.0)
    high = 1.0 if x == n else root(share, 1.0)
    return low, high


def reference_ci(a: int, n1: int, b: int, n2: int) -> tuple[float, float]:
    """Newcombe (1998) method 10 from the bisected Wilson bounds, in percentage points."""
    p1, p2 = a / n1, b / n2
    l1, u1 = wilson_by_bisection(a, n1)
    l2, u2 = wilson_by_bisection(b, n2)
    low = p1 - p2 - sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = p1 - p2 + sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return 100 * low, 100 * high


def codes_in(order: ShopOrder) -> set[str]:
    """The codes an order's cell holds: one, or several listed with commas or semicolons."""
    return {part.strip(" ").upper() for part in order.discount_code.replace(";", ",").split(",")}


def reference(
    campaign: Campaign, orders: list[ShopOrder], window: int, data_end: date
) -> dict[str, object]:
    first, last = campaign.as_of + timedelta(days=1), campaign.as_of + timedelta(days=window)
    came_back = {o.customer for o in orders if o.counts and first <= o.day <= min(last, data_end)}
    groups: dict[str, set[int]] = {"drafted": set(), "held_out": set()}
    left_out: dict[str, int] = {}
    for number, (outcome, reason) in campaign.outcomes.items():
        if outcome == "left_out":
            left_out[reason] = left_out.get(reason, 0) + 1
        else:
            groups[outcome].add(number)
    redeeming = [o for o in orders if o.counts and codes_in(o) & campaign.codes.keys()]
    drafted, held_out = len(groups["drafted"]), len(groups["held_out"])
    back_d = len(groups["drafted"] & came_back)
    back_h = len(groups["held_out"] & came_back)
    redeemed = set().union(*(codes_in(o) & campaign.codes.keys() for o in redeeming))
    net = sum(o.cents - o.refunded_cents for o in redeeming)
    expected: dict[str, object] = {
        "name": campaign.name,
        "as_of": campaign.as_of.isoformat(),
        "drafted": drafted,
        "held_out": held_out,
        "left_out": left_out,
        "window_complete": last <= data_end,
        "reordered_drafted": back_d,
        "reordered_held_out": back_h,
        "reorder_rate_drafted": pct(back_d, drafted),
        "reorder_rate_held_out": pct(back_h, held_out),
        "uplift": None,
        "codes_issued": len(campaign.codes),
        "codes_redeemed": len(redeemed),
        "redemption_rate": pct(len(redeemed), len(campaign.codes)),
        "redeeming_orders": len(redeeming),
        "revenue": float(round(Fraction(net, 100), 2)),
    }
    if drafted and held_out:
        expected["uplift"] = float(
            round(Fraction(100 * back_d, drafted) - Fraction(100 * back_h, held_out), 4)
        )
    return expected


def assert_matches(
    store: Store,
    campaigns: list[Campaign],
    orders: list[ShopOrder],
    window: int,
    as_of: date | None,
) -> None:
    data_end = as_of or max(o.day for o in orders if o.counts)  # the latest counting order
    got = {row["name"]: row for row in campaign_results(store, window, as_of)}
    assert sorted(got) == sorted(c.name for c in campaigns)
    for campaign in campaigns:
        row = got[campaign.name]
        expected = reference(campaign, orders, window, data_end)
        assert {key: row[key] for key in expected} == expected, campaign.name
        if expected["uplift"] is None:
            assert row["uplift_ci"] is None
        else:
            low, high = reference_ci(
                expected["reordered_drafted"], expected["drafted"],
                expected["reordered_held_out"], expected["held_out"],
            )  # fmt: skip
            assert row["uplift_ci"] == pytest.approx([low, high], abs=0.5001e-4)
            assert row["uplift_ci"][0] <= row["uplift"] <= row["uplift_ci"][1]


# ---------------------------------------------------------------- random shops


@dataclass(frozen=True)
class Case:
    seed: int
    customers: int
    orders: int
    campaigns: int
    window: int
    as_of_offset: int | None


def build(case: Case) -> tuple[list[Campaign], list[ShopOrder]]:
    rng = random.Random(case.seed)
    campaigns = []
    all_codes: list[str] = []
    for number in range(case.campaigns):
        campaign = Campaign(f"campaign-{number}", FIRST_DAY + timedelta(days=rng.randint(0, 60)))
        for customer in rng.sample(range(1, case.customers + 1), rng.randint(0, case.customers)):
            outcome = rng.choice(["drafted", "drafted", "held_out", "left_out"])
            reason = rng.choice(REASONS) if outcome == "left_out" else None
            campaign.outcomes[customer] = (outcome, reason)
            if outcome == "drafted" and rng.random() < 0.7:
                code = f"WB{number}-{customer}X{rng.randint(0, 999)}"
                campaign.codes[code] = customer
                all_codes.append(code)
        campaigns.append(campaign)
    orders = []
    for number in range(case.orders):
        cents = rng.choice([0, 500, 1999, 12000])
        code = ""
        if all_codes and rng.random() < 0.3:  # a code in any case, with spaces around
            code = rng.choice(all_codes)
            code = rng.choice([code, code.lower(), f"  {code.title()} "])
            if rng.random() < 0.2:  # two coupons on one order, as WooCommerce lists them
                code = f"{code}{rng.choice([', ', ';'])}{rng.choice(all_codes)}"
        elif rng.random() < 0.05:
            code = "SUMMER10"  # a shop code no campaign issued
        orders.append(
            ShopOrder(
                f"O{number}",
                rng.randint(1, case.customers),
                FIRST_DAY + timedelta(days=rng.randint(0, 120)),
                cents,
                rng.choice([0, 0, 0, cents // 2, cents]),
                rng.random() < 0.1,
                code,
            )
        )
    return campaigns, orders


@st.composite
def cases(draw: st.DrawFn) -> Case:
    return Case(
        seed=draw(st.integers(0, 2**32 - 1)),
        customers=draw(st.integers(1, 15)),
        orders=draw(st.integers(1, 60)),
        campaigns=draw(st.integers(1, 3)),
        window=draw(st.sampled_from([1, 7, 30, 31, 90, MAX_WINDOW_DAYS])),
        as_of_offset=draw(st.one_of(st.none(), st.integers(0, 130))),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_random_campaigns_match_reference(case: Case) -> None:
    campaigns, orders = build(case)
    if not any(o.counts for o in orders):  # a shop with a latest order to be as of
        orders[0] = ShopOrder("O-kept", 1, FIRST_DAY, 100)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "shop.db", create=True)
        try:
            ids = load_customers_and_orders(store, Path(folder), case.customers, orders)
            for campaign in campaigns:
                add_campaign(store, campaign, ids)
            first = min(o.day for o in orders if o.counts)
            as_of = None
            if case.as_of_offset is not None:
                as_of = max(first, FIRST_DAY + timedelta(days=case.as_of_offset))
            assert_matches(store, campaigns, orders, case.window, as_of)
        finally:
            store.close()


# ---------------------------------------------------------------- a shop checked by hand


@pytest.fixture
def hand_shop(tmp_path: Path) -> Store:
    """Campaign "spring" as of 2024-03-01, 30-day window (2024-03-02 to 2024-03-31):

    drafted  C1 orders 03-05 with her code ` spring-c1 ` (19.99, 5.00 refunded) -> back
             C2 orders 03-31, the window's last day                               -> back
             C3 orders 04-01, a day too late                                      -> not
             C4 orders 03-10, cancelled                                           -> not
             C5 orders 03-01, the as-of day itself                                -> not
    held out C6 orders 03-02, the window's first day                              -> back
             C7 no order                                                          -> not
    left out C8 no_consent, C9 no_consent, C10 contacted_recently

    Drafted 2/5 = 40 %, held out 1/2 = 50 %, uplift −10 pp. Codes: C1's (redeemed by her
    order, net 14.99), C2's and C4's (C4's order carries it, but is cancelled): 1 of 3
    redeemed = 33.3333 %. The data ends on 04-01 (C3's order): the window is complete.
    """
    orders = [
        ShopOrder("A1", 1, date(2024, 3, 5), 1999, 500, discount_code=" spring-c1 "),
        ShopOrder("A2", 2, date(2024, 3, 31), 5000),
        ShopOrder("A3", 3, date(2024, 4, 1), 5000),
        ShopOrder("A4", 4, date(2024, 3, 10), 5000, cancelled=True, discount_code="SPRING-C4"),
        ShopOrder("A5", 5, date(2024, 3, 1), 5000),
        ShopOrder("A6", 6, date(2024, 3, 2), 5000),
        ShopOrder("A0", 7, date(2024, 1, 15), 5000),
    ]
    store = open_store(tmp_path / "shop.db", create=True)
    ids = load_customers_and_orders(store, tmp_path, 10, orders)
    outcomes = {n: ("drafted", None) for n in range(1, 6)}
    outcomes |= {6: ("held_out", None), 7: ("held_out", None)}
    outcomes |= {8: ("left_out", "no_consent"), 9: ("left_out", "no_consent")}
    outcomes |= {10: ("left_out", "contacted_recently")}
    codes = {"SPRING-C1": 1, "SPRING-C2": 2, "SPRING-C4": 4}
    add_campaign(store, Campaign("spring", date(2024, 3, 1), outcomes, codes), ids)
    yield store
    store.close()


def test_a_shop_checked_by_hand(hand_shop: Store) -> None:
    [row] = campaign_results(hand_shop)
    assert row["drafted"] == 5
    assert row["held_out"] == 2
    assert row["left_out"] == {"contacted_recently": 1, "no_consent": 2}
    assert (row["reordered_drafted"], row["reorder_rate_drafted"]) == (2, 40.0)
    assert (row["reordered_held_out"], row["reorder_rate_held_out"]) == (1, 50.0)
    assert row["uplift"] == -10.0
    assert (row["codes_issued"], row["codes_redeemed"], row["redemption_rate"]) == (3, 1, 33.3333)
    assert (row["redeeming_orders"], row["revenue"]) == (1, 14.99)
    assert row["window_complete"] is True
    assert row["window_end"] == "2024-03-31"
    # Newcombe from Wilson bounds of 2/5 and 1/2, worked out by hand (z = 1.95996, z² = 3.84146):
    # 2/5: centre (2 + 1.92073) / 8.84146 = 0.44345, half 1.95996·√(1.2 + 0.96036) / 8.84146
    #      = 0.32583 -> [0.11762, 0.76928]; 1/2: centre 0.5, half 1.95996·√(0.5 + 0.96036)
    #      / 5.84146 = 0.40547 -> [0.09453, 0.90547]. d = 0.4 − 0.5 = −0.1:
    # low  = −0.1 − √((0.4 − 0.11762)² + (0.90547 − 0.5)²) = −0.1 − 0.49411 = −0.59411
    # high = −0.1 + √((0.76928 − 0.4)² + (0.5 − 0.09453)²) = −0.1 + 0.54842 = +0.44842
    assert row["uplift_ci"] == pytest.approx([-59.411, 44.842], abs=0.002)


def test_a_window_not_over_is_counted_so_far(hand_shop: Store) -> None:
    [row] = campaign_results(hand_shop, window_days=30, as_of=date(2024, 3, 10))
    assert row["window_complete"] is False
    assert (row["window_end"], row["days_counted"]) == ("2024-03-10", 9)
    assert row["reordered_drafted"] == 1  # C1 on 03-05; C2's 03-31 is after the data's end
    assert row["reordered_held_out"] == 1


def test_a_longer_window_reaches_the_late_order(hand_shop: Store) -> None:
    [row] = campaign_results(hand_shop, window_days=31)
    assert row["reordered_drafted"] == 3
    assert row["window_complete"] is True


def test_bad_window_and_unknown_name_are_refused(hand_shop: Store) -> None:
    for days in (0, -1, MAX_WINDOW_DAYS + 1):
        with pytest.raises(ValueError, match=f"the window must be 1 to {MAX_WINDOW_DAYS} days"):
            campaign_results(hand_shop, window_days=days)
    with pytest.raises(UnknownCampaignError, match="no campaign named 'autumn'"):
        campaign_results(hand_shop, name="autumn")
    assert [row["name"] for row in campaign_results(hand_shop, name="spring")] == ["spring"]


def test_no_holdout_means_no_uplift(tmp_path: Path) -> None:
    store = open_store(tmp_path / "shop.db", create=True)
    try:
        ids = load_customers_and_orders(
            store, tmp_path, 2, [ShopOrder("B1", 1, date(2024, 3, 3), 1000)]
        )
        add_campaign(store, Campaign("all-in", date(2024, 3, 1), {1: ("drafted", None)}), ids)
        add_campaign(store, Campaign("empty", date(2024, 3, 1)), ids)
        rows = {row["name"]: row for row in campaign_results(store)}
    finally:
        store.close()
    assert rows["all-in"]["reorder_rate_drafted"] == 100.0
    assert rows["all-in"]["reorder_rate_held_out"] is None
    assert rows["all-in"]["uplift"] is None and rows["all-in"]["uplift_ci"] is None
    assert rows["all-in"]["redemption_rate"] is None
    assert rows["empty"]["drafted"] == 0 and rows["empty"]["reorder_rate_drafted"] is None
