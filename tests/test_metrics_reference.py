"""Every figure of `compute_stats` and `members` against a deliberately plain reference.

The reference below loops over order rows with sets and dates, as the definitions in
docs/metrics.md read; it shares no code with core/metrics.py (not even period arithmetic or
rounding). Shops are random: several orders on one day, cancelled and refunded orders,
guests, periods with B = 0, windows shorter and longer than a period, `--from`/`--to`, an
as-of date before, on or after the latest order (the data "ends" on it: the last period is
cut there and E counted on that day), and imports split over several files (plus late
cancellations and refunds) so that the incremental upkeep of the summaries is checked too.
"""

from __future__ import annotations

import csv
import random
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.importers import import_file
from core.metrics import compute_stats, members
from core.store import Store, open_store

FIRST_DAY = date(2023, 11, 20)


@dataclass(frozen=True)
class Order:
    order_id: str
    customer: str | None  # external customer id; None for a guest
    day: date
    total: int  # cents
    refunded: int  # cents
    cancelled: bool

    def counts(self) -> bool:
        """A customer's order that is neither cancelled nor refunded in full (docs/metrics.md)."""
        fully_refunded = 0 < self.total <= self.refunded
        return self.customer is not None and not self.cancelled and not fully_refunded


# ---------------------------------------------------------------- the reference


def pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else float(round(Fraction(100 * part, whole), 4))


def money(cents: int, per: int = 1) -> float:
    return 0.0 if per == 0 else float(round(Fraction(cents, 100 * per), 2))


def ratio(a: int, b: int) -> float:
    return 0.0 if b == 0 else float(round(Fraction(a, b), 4))


def add_months(year: int, month: int, count: int) -> tuple[int, int]:
    month += count
    while month > 12:
        year, month = year + 1, month - 12
    return year, month


def reference_periods(kind, first, last, start, end, whole=False):
    """Calendar periods from the one holding `first` to the one holding `last`, clipped;
    with `whole`, each with whether the clipping left it whole."""
    step = {"month": 1, "quarter": 3, "year": 12}[kind]
    if kind == "month":
        year, month = first.year, first.month
    elif kind == "quarter":
        year, month = first.year, (first.month - 1) // 3 * 3 + 1
    else:
        year, month = first.year, 1
    periods = []
    while date(year, month, 1) <= last:
        next_year, next_month = add_months(year, month, step)
        s, e = date(year, month, 1), date(next_year, next_month, 1) - timedelta(days=1)
        if start is not None and s < start:
            s = start
        if end is not None and e > end:
            e = end
        if s <= e:
            calendar = (date(year, month, 1), date(next_year, next_month, 1) - timedelta(days=1))
            periods.append((s, e, (s, e) == calendar) if whole else (s, e))
        year, month = next_year, next_month
    return periods


def reference_sets(orders, s, e, w):
    """The customer sets behind the figures of period [s, e], straight from the definitions."""
    counting = [o for o in orders if o.counts()]
    first_order = {}
    for o in counting:
        if o.customer not in first_order or o.day < first_order[o.customer]:
            first_order[o.customer] = o.day
    b = {o.customer for o in counting if s - timedelta(days=w) <= o.day <= s - timedelta(days=1)}
    e_set = {o.customer for o in counting if e - timedelta(days=w - 1) <= o.day <= e}
    active = {o.customer for o in counting if s <= o.day <= e}
    return {
        "B": b,
        "E": e_set,
        "N": {c for c, d in first_order.items() if s <= d <= e},
        "churned": b - e_set,
        "retained": b & e_set,
        "active": active,
        "returning": {c for c in active if first_order[c] < s},
    }


def reference_stats(orders, kind, w, start=None, end=None, as_of=None):
    """As docs/metrics.md reads: the data ends on the as-of date (the latest counting order's
    day by default), so nothing after it is looked at, and the last period ends on it."""
    if as_of is None:  # guests never reach the store here: the latest stored order counts
        as_of = max((o.day for o in orders if o.counts()), default=None)
    counting = [o for o in orders if o.counts() and o.day <= as_of] if as_of is not None else []
    stop = as_of if end is None or as_of is None else min(end, as_of)
    in_range = [o for o in counting if (start is None or o.day >= start) and o.day <= stop]
    empty = {
        "customers": 0, "orders": 0, "revenue": 0.0, "repeat_purchase_rate": 0.0,
        "purchase_frequency": 0.0, "average_order_value": 0.0, "revenue_per_customer": 0.0,
        "avg_days_between_orders": None, "period": kind, "window_days": w, "periods": [],
        "cohorts": {}, "as_of": None if as_of is None else as_of.isoformat(),
    }  # fmt: skip
    if not in_range:
        return empty
    days_of = {}
    for o in in_range:
        days_of.setdefault(o.customer, []).append(o.day)
    customers = len(days_of)
    revenue = sum(o.total - o.refunded for o in in_range)
    gaps = []
    for days in days_of.values():
        days.sort()
        gaps += [(later - earlier).days for earlier, later in pairwise(days)]
    result = dict(empty)
    result.update(
        customers=customers,
        orders=len(in_range),
        revenue=money(revenue),
        repeat_purchase_rate=pct(sum(len(d) >= 2 for d in days_of.values()), customers),
        purchase_frequency=ratio(len(in_range), customers),
        average_order_value=money(revenue, len(in_range)),
        revenue_per_customer=money(revenue, customers),
        avg_days_between_orders=float(round(Fraction(sum(gaps), len(gaps)), 4)) if gaps else None,
    )
    first = min(o.day for o in in_range)
    for s, e, whole in reference_periods(kind, first, stop, start, stop, whole=True):
        sets = reference_sets(counting, s, e, w)
        b, e_count, n = len(sets["B"]), len(sets["E"]), len(sets["N"])
        within = [o for o in counting if s <= o.day <= e]
        result["periods"].append(
            {
                "start": s.isoformat(),
                "end": e.isoformat(),
                "B": b,
                "E": e_count,
                "N": n,
                "crr": pct(e_count - n, b),
                "churn": pct(len(sets["churned"]), b),
                "returning_customer_rate": pct(len(sets["returning"]), len(sets["active"])),
                "orders": len(within),
                "revenue": money(sum(o.total - o.refunded for o in within)),
                "complete": whole,
            }
        )

    # Cohorts: calendar months, from the month of the first order to that of the as-of date
    # (or --to), the last one only up to that day.
    def month_of(d):
        return (d.year, d.month)

    first_order = {}
    for o in counting:
        first_order[o.customer] = min(first_order.get(o.customer, o.day), o.day)
    months = []
    year, month = month_of(first)
    while (year, month) <= month_of(stop):
        months.append((year, month))
        year, month = add_months(year, month, 1)
    for index, cohort in enumerate(months):
        members_ = {c for c, d in first_order.items() if month_of(d) == cohort and d <= stop}
        if not members_:
            continue
        row = []
        for later in months[index:]:
            buyers = {o.customer for o in counting if month_of(o.day) == later and o.day <= stop}
            row.append(float(round(Fraction(100 * len(members_ & buyers), len(members_)), 4)))
        result["cohorts"][f"{cohort[0]:04d}-{cohort[1]:02d}"] = row
    return result


# ---------------------------------------------------------------- shops and stores


def write_orders(path: Path, orders: list[Order]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "ordered_at", "customer_id", "total", "refunded", "status"])
        for o in orders:
            writer.writerow([
                o.order_id, o.day.isoformat(), o.customer or "",
                f"{o.total / 100:.2f}", f"{o.refunded / 100:.2f}",
                "cancelled" if o.cancelled else "paid",
            ])  # fmt: skip


def load_shop(store: Store, folder: Path, orders: list[Order], rng: random.Random) -> list[Order]:
    """Import `orders` over two files, then revise some (late cancellation or refund).

    Returns the orders as finally stored. Guests are rejected by the generic importer,
    exactly as the reference ignores them.
    """
    rng.shuffle(orders := list(orders))
    cut = rng.randint(0, len(orders))
    final = {o.order_id: o for o in orders}
    revised = []
    for o in rng.sample(orders, k=len(orders) // 4):
        change = rng.choice(["cancel", "refund", "restore", "move"])
        if change == "cancel":
            new = Order(o.order_id, o.customer, o.day, o.total, o.refunded, True)
        elif change == "refund":
            new = Order(o.order_id, o.customer, o.day, o.total, rng.randint(0, o.total), False)
        elif change == "restore":
            new = Order(o.order_id, o.customer, o.day, o.total, 0, False)
        else:
            moved = o.day + timedelta(days=rng.randint(-60, 60))
            new = Order(o.order_id, o.customer, moved, o.total, o.refunded, o.cancelled)
        revised.append(new)
        final[o.order_id] = new
    for number, part in enumerate((orders[:cut], orders[cut:], revised)):
        if part:
            path = folder / f"part{number}.csv"
            write_orders(path, part)
            import_file(store, path, "orders")
    return list(final.values())


def random_orders(rng: random.Random, customers: int, count: int, span_days: int) -> list[Order]:
    orders = []
    for number in range(count):
        customer = None if rng.random() < 0.05 else f"C{rng.randint(1, customers)}"
        day = FIRST_DAY + timedelta(days=rng.randint(0, span_days))
        if orders and rng.random() < 0.15:  # another order of someone on the same day
            twin = rng.choice(orders)
            customer, day = twin.customer, twin.day
        total = rng.choice([0, 1, 5, 999, 1000, 2550, rng.randint(1, 50_000)])
        refunded = rng.choice([0, 0, 0, total, rng.randint(0, total)])
        orders.append(Order(f"O{number}", customer, day, total, refunded, rng.random() < 0.1))
    return orders


def assert_matches(
    store: Store, orders: list[Order], kind: str, w: int, start, end, as_of=None
) -> None:
    expected = reference_stats(orders, kind, w, start, end, as_of)
    got = compute_stats(store, period=kind, window_days=w, start=start, end=end, as_of=as_of)
    if expected["as_of"] is None:  # an empty store: the as-of date is the wall clock's
        expected["as_of"] = got["as_of"]
    for key, value in expected.items():
        if key == "periods":
            assert len(got["periods"]) == len(value)
            for mine, theirs in zip(got["periods"], value, strict=True):
                assert {k: mine[k] for k in theirs} == theirs
        else:
            assert got[key] == value, key
    ids = dict(store.execute("SELECT external_id, id FROM customers"))
    for s, e in reference_periods(kind, FIRST_DAY, FIRST_DAY + timedelta(days=900), start, end)[
        ::3
    ]:
        sets = reference_sets(orders, s, e, w)
        for figure, customers in sets.items():
            assert members(store, figure, s, e, w) == sorted(ids[c] for c in customers), figure


# ---------------------------------------------------------------- the tests

WINDOWS = st.sampled_from([1, 2, 7, 28, 30, 31, 89, 90, 91, 92, 120, 365, 366, 500])


@st.composite
def cases(draw):
    """A random shop (as a seed and its orders), a period kind, a window and a range."""
    seed = draw(st.integers(0, 2**32 - 1))
    customers = draw(st.integers(1, 12))
    count = draw(st.integers(0, 80))
    span = draw(st.sampled_from([0, 3, 40, 200, 800]))
    orders = random_orders(random.Random(seed), customers, count, span)
    start = end = None
    if draw(st.booleans()):
        start = FIRST_DAY + timedelta(days=draw(st.integers(-30, span + 10)))
    if draw(st.booleans()):
        end = (start or FIRST_DAY) + timedelta(days=draw(st.integers(0, span + 10)))
    kind = draw(st.sampled_from(["month", "quarter", "year"]))
    as_of = None
    if draw(st.booleans()):  # before, within or after the orders
        as_of = FIRST_DAY + timedelta(days=draw(st.integers(-5, span + 120)))
    return seed, orders, kind, draw(WINDOWS), start, end, as_of


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_random_shops_match_reference(case) -> None:
    seed, orders, kind, w, start, end, as_of = case
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "shop.db", create=True)
        try:
            final = load_shop(store, Path(folder), orders, random.Random(seed))
            assert_matches(store, final, kind, w, start, end, as_of)
        finally:
            store.close()


def test_larger_seeded_shops_match_reference(tmp_path: Path) -> None:
    """Fewer, bigger shops: long tails of repeat buyers over three years, several windows."""
    for seed in range(3):
        rng = random.Random(1000 + seed)
        folder = tmp_path / str(seed)
        folder.mkdir()
        store = open_store(folder / "shop.db", create=True)
        orders = random_orders(rng, customers=80, count=700, span_days=1000)
        final = load_shop(store, folder, orders, rng)
        for kind, w in (("quarter", 365), ("month", 30), ("year", 90), ("quarter", 45)):
            assert_matches(store, final, kind, w, None, None)
        assert_matches(store, final, "month", 120, date(2024, 3, 17), date(2025, 2, 3))
        assert_matches(store, final, "quarter", 365, None, None, date(2025, 5, 17))
        assert_matches(store, final, "month", 30, date(2024, 1, 9), None, date(2024, 8, 14))
        store.close()


@pytest.mark.parametrize("expiry", ["off", "3"])
def test_summaries_match_a_fresh_rebuild(tmp_path: Path, expiry: str) -> None:
    """After incremental imports the summary tables equal a from-scratch rebuild (a first
    import's path), the loyalty points kept with them too (bonuses, expiry or none)."""
    from core.shop_settings import set_setting
    from core.summaries import refresh_summaries

    rng = random.Random(7)
    store = open_store(tmp_path / "shop.db", create=True)
    for key, value in (("points_per_unit", "13"), ("bonus_2nd_order", "7"),
                       ("bonus_5th_order", "110"), ("expiry_months", expiry)):  # fmt: skip
        set_setting(store, f"loyalty.{key}", value)
    load_shop(store, tmp_path, random_orders(rng, 30, 300, 700), rng)
    tables = ("customer_days", "customer_stats", "day_totals", "cohort_months", "loyalty_points")

    def snapshot():
        return {t: sorted(store.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}

    incremental = snapshot()
    with store.write() as conn:
        refresh_summaries(conn, everyone=True)
    assert snapshot() == incremental
    assert all(incremental.values())
    points = incremental["loyalty_points"]
    assert any(row[4] != row[2] for row in points)  # a bonus or an expiry shows in `kept`
