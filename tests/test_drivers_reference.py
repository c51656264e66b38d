"""`products`, `drivers`, `first_bought(...)`, stats' returning revenue and segments' revenue
against the plain-Python reference of tests/drivers_shop.py, on random shops (hypothesis)
and on a few larger seeded ones."""

from __future__ import annotations

import random
import tempfile
from datetime import date, timedelta
from functools import cmp_to_key
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.compose.reorder import reorder_products
from core.drivers import SORT_COLUMNS, driver_groups, product_figures
from core.metrics import compute_stats
from core.segments import customer_rows, list_segments, segment_customer_ids
from core.store import Store, open_store
from tests.drivers_shop import FIRST_DAY, PRODUCTS, Reference, load, money, pct, random_shop


def reference_sorted(rows: list[dict], column: str, descending: bool) -> list[dict]:
    """By the column (missing values last whichever the direction), then by key."""

    def compare(a: dict, b: dict) -> int:
        x, y = a[column], b[column]
        if (x is None) != (y is None):
            return 1 if x is None else -1
        if x is not None and x != y:
            return (1 if x > y else -1) * (-1 if descending else 1)
        return (a["key"] > b["key"]) - (a["key"] < b["key"])

    return sorted(rows, key=cmp_to_key(compare))


def customer_numbers(store: Store, ids: list[int]) -> list[int]:
    external = dict(store.execute("SELECT id, external_id FROM customers"))
    return sorted(int(external[i][1:]) for i in ids)


def check_everything(store: Store, final: list, as_of: date, rng: random.Random) -> None:
    reference = Reference(final, as_of)
    for by in ("code", "month"):
        got = driver_groups(store, by, as_of)
        assert (got["as_of"], got["by"], got["min_comparable"]) == (as_of.isoformat(), by, 30)
        assert got["groups"] == reference.groups(by), by

    products = reference.products()
    got = product_figures(store, as_of, sort="key")
    assert got["products"] == [products[key] for key in sorted(products)]
    # The buyers and repeat buyers are those of the reorder evidence win-back uses.
    evidence = reorder_products(store, as_of, min_percent=0, min_buyers=1)
    assert {k: (p.buyers, p.repeaters) for k, p in evidence.items()} == {
        k: (p["buyers"], p["reorder_customers"]) for k, p in products.items()
    }
    column = rng.choice(SORT_COLUMNS)
    descending = rng.random() < 0.5
    sort = f"-{column}" if descending else column
    limit = rng.choice([None, 1, 3])
    expected = reference_sorted(list(products.values()), column, descending)
    got = product_figures(store, as_of, sort=sort, limit=limit)
    assert got["products"] == expected[:limit], sort
    assert got["sort"] == sort

    for key in PRODUCTS:
        expression = f'first_bought("{key}")'
        rows = customer_rows(store, where=expression, as_of=as_of)
        assert sorted(int(str(r["external_id"])[1:]) for r in rows) == sorted(
            reference.first_bought(key)
        ), key

    for info in list_segments(store, as_of):
        members = customer_numbers(store, segment_customer_ids(store, info.name, as_of))
        revenue, orders = reference.revenue_of(members)
        assert info.revenue == money(revenue, 1) or (revenue == 0 and info.revenue == 0.0)
        assert info.average_order_value == money(revenue, orders), info.name


def check_stats(store: Store, final: list, as_of: date, kind: str, start, end) -> None:
    reference = Reference(final, as_of)
    figures = compute_stats(store, kind, 365, start, end, as_of)
    for row in figures["periods"]:
        s, e = date.fromisoformat(row["start"]), date.fromisoformat(row["end"])
        returning = reference.revenue_returning(s, e)
        period_revenue = sum(
            o.net for history in reference.history.values() for o in history if s <= o.day <= e
        )
        assert row["revenue_returning"] == money(returning, 1), (row, returning)
        assert row["revenue_returning_share"] == pct(returning, period_revenue), row


@st.composite
def cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    customers = draw(st.integers(1, 15))
    count = draw(st.integers(1, 70))
    span = draw(st.sampled_from([0, 20, 100, 400]))
    as_of_offset = draw(st.one_of(st.none(), st.integers(0, span + 60)))
    kind = draw(st.sampled_from(["month", "quarter", "year"]))
    start = end = None
    if draw(st.booleans()):
        start = FIRST_DAY + timedelta(days=draw(st.integers(-10, span + 10)))
    if draw(st.booleans()):
        end = (start or FIRST_DAY) + timedelta(days=draw(st.integers(0, span + 10)))
    return seed, customers, count, span, as_of_offset, kind, start, end


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_random_shops_match_reference(case) -> None:
    seed, customers, count, span, as_of_offset, kind, start, end = case
    rng = random.Random(seed)
    orders = random_shop(rng, customers, count, span)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "shop.db", create=True)
        try:
            final = load(store, Path(folder), orders, rng)
            days = [o.day for o in final if o.counts]
            assume(days)  # an empty shop has no as-of date to compare
            first, last = min(days), max(days)
            as_of = last if as_of_offset is None else first + timedelta(days=as_of_offset)
            check_everything(store, final, as_of, rng)
            check_stats(store, final, as_of, kind, start, end)
        finally:
            store.close()


def test_larger_seeded_shops_match_reference(tmp_path: Path) -> None:
    """Groups big enough to compare (30 or more customers), long histories."""
    for seed in range(2):
        rng = random.Random(5000 + seed)
        folder = tmp_path / str(seed)
        folder.mkdir()
        store = open_store(folder / "shop.db", create=True)
        final = load(store, folder, random_shop(rng, 150, 900, 700), rng)
        last = max(o.day for o in final if o.counts)
        for as_of in (last, last - timedelta(days=200), last + timedelta(days=30)):
            check_everything(store, final, as_of, rng)
        for kind, start, end in (("quarter", None, None), ("month", None, None),
                                 ("month", date(2024, 3, 17), date(2025, 2, 3))):  # fmt: skip
            check_stats(store, final, last, kind, start, end)
            check_stats(store, final, last - timedelta(days=100), kind, start, end)
        assert any(g["comparable"] for g in driver_groups(store, "code")["groups"])
        store.close()
