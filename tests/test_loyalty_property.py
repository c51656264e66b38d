"""Loyalty figures against a brute-force recomputation (issue 15, "Speed and tests").

On generated shops (orders with refunds and cancellations, same-day orders, ledger rows,
random rules): every customer's balance, spend, tier and next tier equal the plain-Python
reading of docs/loyalty.md (tests/loyalty_support.py), as do the segment fields `points` and
`tier`. And after any sequence of imports, redemptions and rule changes, the kept figures
(`loyalty_points` under its stamp) equal a recomputation from scratch and the reference.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.loyalty import LoyaltyError, add_adjustment, balances, loyalty_report, redeem
from core.loyalty.kept import KEPT_COLUMNS, KEPT_STAMP_KEY, kept_rows_sql, rule_params
from core.loyalty.rules import load_rules
from core.segments import customer_rows
from core.shop_settings import set_setting
from core.store import Store, open_store
from tests.campaign_shop import ShopOrder, import_orders
from tests.loyalty_support import (
    Expected,
    Rules,
    expected_status,
    months_later,
    write_customers,
)

FIRST_DAY = date(2024, 1, 1)
SPAN_DAYS = 800

tier_lists = st.lists(st.integers(1, 60_000), min_size=0, max_size=3, unique=True).map(
    lambda cuts: tuple(
        (name, cents)
        for name, cents in zip(
            ("Bronze", "Silver", "Gold", "Platinum"), [0, *sorted(cuts)], strict=False
        )
    )
)
rules_st = st.builds(
    Rules,
    rate=st.integers(0, 25),
    bonus2=st.sampled_from([0, 0, 7, 50]),
    bonus5=st.sampled_from([0, 0, 11, 100]),
    expiry_months=st.sampled_from([None, None, 1, 3, 12]),
    point_value=st.sampled_from([1, 100, 250]),
    tiers=tier_lists,
)


@st.composite
def order_lists(draw: st.DrawFn, customers: int, prefix: str) -> list[ShopOrder]:
    count = draw(st.integers(0, 14))
    orders = []
    for i in range(count):
        cents = draw(st.sampled_from([0, 99, 1234, 5000, 19_999, 30_000]))
        refunded = draw(st.sampled_from([0, 0, 0, cents // 3, cents]))
        orders.append(
            ShopOrder(
                f"{prefix}{i}", draw(st.integers(1, customers)),
                FIRST_DAY + timedelta(days=draw(st.integers(0, SPAN_DAYS))), cents,
                refunded_cents=refunded, cancelled=draw(st.integers(0, 6)) == 0,
            )
        )  # fmt: skip
    return orders


@st.composite
def ledger_rows(
    draw: st.DrawFn, customers: int, orders: list[ShopOrder], rules: Rules
) -> list[tuple[int, int, date]]:
    """Up to 4 ledger rows (customer, points, day); with expiry, some dated on the day an
    order day's points expire or the day after, where a cut falls (the one is gone with the
    points, the other counts)."""
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        customer, points = draw(st.integers(1, customers)), draw(st.integers(-500, 500))
        if rules.expiry_months and orders and draw(st.booleans()):
            order = draw(st.sampled_from(orders))
            customer, day = order.customer, months_later(order.day, rules.expiry_months)
            day += timedelta(days=draw(st.integers(0, 1)))
        else:
            day = FIRST_DAY + timedelta(days=draw(st.integers(0, SPAN_DAYS)))
        rows.append((customer, points or 1, day))
    return rows


def new_shop(folder: Path, customers: int) -> tuple[Store, dict[int, int]]:
    store = open_store(folder / "shop.db", create=True)
    return store, write_customers(store, folder, customers)


def apply_rules(store: Store, rules: Rules) -> None:
    for key, value in rules.settings().items():
        set_setting(store, key, value)


def check_against_reference(
    store: Store,
    ids: dict[int, int],
    orders: list[ShopOrder],
    ledger: list[tuple[int, int, date]],
    rules: Rules,
    as_of: date,
) -> None:
    got = balances(store, as_of)
    assert list(got) == sorted(ids.values())  # by ascending id
    wanted = {}
    for number, customer_id in ids.items():
        want = wanted[number] = expected_status(orders, ledger, rules, number, as_of)
        status = got[customer_id]
        assert (status.points, status.spend_12m, status.tier, status.next_tier) == (
            want.points, want.spend, want.tier, want.next_tier,
        ), (number, as_of)  # fmt: skip
        assert status.points_value == max(0, want.points) * 100 // rules.point_value
    check_report(store, rules, as_of, list(wanted.values()))


def check_report(store: Store, rules: Rules, as_of: date, wanted: list[Expected]) -> None:
    """`retain-tui loyalty`'s members and points per tier (counted without statuses) equal
    the reference's statuses counted by hand."""
    report = loyalty_report(store, as_of)
    by_tier = {name: [w for w in wanted if w.tier == name] for name, _ in rules.tiers}
    below = [w for w in wanted if w.tier is None]
    want = [(name, len(ws), sum(max(0, w.points) for w in ws)) for name, ws in by_tier.items()]
    if below:
        want.insert(0, ("(none)", len(below), sum(max(0, w.points) for w in below)))
    assert [(t.name, t.members, t.points) for t in report.tiers] == want
    assert report.members == len(wanted)
    assert report.points_outstanding == sum(max(0, w.points) for w in wanted)
    assert report.negative_balances == sum(w.points < 0 for w in wanted)


def check_kept_equals_scratch(store: Store, as_of: date) -> None:
    """The kept figures equal a recomputation from the orders (stamp removed), row by row
    (points, the points since the last expiry, its day, the day they expire) and as
    balances on several dates around `as_of` (expiry is read from the kept rows)."""
    kept = {day: balances(store, day) for day in _around(as_of)}
    for day, statuses in kept.items():  # one customer's reading is the same as everyone's
        for customer_id, status in statuses.items():
            assert balances(store, day, [customer_id]) == {customer_id: status}
    assert store.get_setting(KEPT_STAMP_KEY) is not None
    rows = f"SELECT {KEPT_COLUMNS} FROM loyalty_points ORDER BY customer_id, day"
    rules = load_rules(store)
    params = rule_params(rules)
    scratch = f"SELECT * FROM ({kept_rows_sql()}) ORDER BY customer_id, day"
    assert store.execute(rows).fetchall() == store.execute(scratch, params).fetchall()
    with store.write() as conn:
        stamp = store.get_setting(KEPT_STAMP_KEY)
        conn.execute("DELETE FROM settings WHERE key = ?", (KEPT_STAMP_KEY,))
    assert {day: balances(store, day) for day in _around(as_of)} == kept
    with store.write() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (KEPT_STAMP_KEY, stamp))


def _around(as_of: date) -> list[date]:
    return [as_of + timedelta(days=offset) for offset in (-400, -95, -31, 0, 29, 366)]


@settings(max_examples=40)
@given(
    customers=st.integers(1, 4),
    data=st.data(),
    rules=rules_st,
    as_of_offset=st.integers(-30, SPAN_DAYS + 500),
)
def test_balances_and_tiers_equal_the_brute_force(
    customers: int, data: st.DataObject, rules: Rules, as_of_offset: int
) -> None:
    orders = data.draw(order_lists(customers, "A"))
    ledger = data.draw(ledger_rows(customers, orders, rules))
    as_of = FIRST_DAY + timedelta(days=as_of_offset)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        store, ids = new_shop(folder, customers)
        try:
            apply_rules(store, rules)
            if orders:
                import_orders(store, folder / "orders.csv", orders)
            with store.write() as conn:
                for number, points, day in ledger:
                    add_adjustment(conn, ids[number], points, "manual", None, day)
            check_against_reference(store, ids, orders, ledger, rules, as_of)
            check_kept_equals_scratch(store, as_of)
            # The segment fields select exactly the customers the reference says.
            number_of = {customer_id: number for number, customer_id in ids.items()}
            want = {n: expected_status(orders, ledger, rules, n, as_of) for n in ids}
            for threshold in (0, 150, 1000):
                rows = customer_rows(store, where=f"points >= {threshold}", as_of=as_of)
                assert {number_of[int(r["id"])] for r in rows} == {  # type: ignore[call-overload]
                    n for n, w in want.items() if w.points >= threshold
                }
            for name_, _ in rules.tiers:
                rows = customer_rows(store, where=f'tier = "{name_}"', as_of=as_of)
                assert {number_of[int(r["id"])] for r in rows} == {  # type: ignore[call-overload]
                    n for n, w in want.items() if w.tier == name_
                }
            shown = customer_rows(store, as_of=as_of)
            assert {number_of[int(r["id"])]: (r["points"], r["tier"]) for r in shown} == {  # type: ignore[call-overload]
                n: (w.points, w.tier) for n, w in want.items()
            }
            # A stale kept table (stamp gone): the segment fields compute from the orders.
            with store.write() as conn:
                conn.execute("DELETE FROM settings WHERE key = ?", (KEPT_STAMP_KEY,))
            shown = customer_rows(store, as_of=as_of)
            assert {number_of[int(r["id"])]: (r["points"], r["tier"]) for r in shown} == {  # type: ignore[call-overload]
                n: (w.points, w.tier) for n, w in want.items()
            }
        finally:
            store.close()


# -- any sequence of imports, redemptions and rule changes ----------------------------------

steps = st.one_of(
    st.tuples(st.just("import"), st.integers(0, 10**6)),
    st.tuples(st.just("reimport"), st.integers(0, 10**6)),
    st.tuples(st.just("redeem"), st.integers(1, 4), st.integers(1, 3000)),
    st.tuples(st.just("rule"), rules_st),
)


@settings(max_examples=25)
@given(customers=st.integers(1, 4), data=st.data(), first=rules_st,
       sequence=st.lists(steps, min_size=1, max_size=6))  # fmt: skip
def test_changing_a_rule_recomputes_consistently(
    customers: int, data: st.DataObject, first: Rules, sequence: list[tuple[object, ...]]
) -> None:
    """After each step the kept figures equal a recomputation from scratch and the
    reference; a refused redemption changes nothing."""
    as_of = FIRST_DAY + timedelta(days=SPAN_DAYS)
    rules = first
    orders: list[ShopOrder] = []
    ledger: list[tuple[int, int, date]] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        store, ids = new_shop(folder, customers)
        try:
            apply_rules(store, rules)
            for number, step in enumerate(sequence):
                kind = step[0]
                if kind == "import":
                    batch = data.draw(order_lists(customers, f"S{number}-"))
                    orders.extend(batch)
                    if batch:
                        import_orders(store, folder / f"orders{number}.csv", batch)
                elif kind == "reimport" and orders:
                    # New states of some imported orders: refunds, cancellations, undone ones.
                    changed = {}
                    for index in data.draw(st.lists(st.integers(0, len(orders) - 1), max_size=4)):
                        old = orders[index]
                        refunded = data.draw(st.sampled_from([0, old.cents // 2, old.cents]))
                        changed[index] = replace(old, refunded_cents=refunded,
                                                 cancelled=data.draw(st.booleans()))  # fmt: skip
                    for index, order in changed.items():
                        orders[index] = order
                    if changed:
                        import_orders(store, folder / f"orders{number}.csv", list(changed.values()))
                elif kind == "redeem":
                    customer, points = int(step[1]), int(step[2])  # type: ignore[call-overload]
                    customer = min(customer, customers)
                    before = expected_status(orders, ledger, rules, customer, as_of).points
                    try:
                        redeem(store, ids[customer], points, as_of)
                        ledger.append((customer, -points, as_of))
                        assert points <= before
                    except LoyaltyError:
                        assert points > before
                elif kind == "rule":
                    rules = step[1]  # type: ignore[assignment]
                    apply_rules(store, rules)
                check_against_reference(store, ids, orders, ledger, rules, as_of)
                check_kept_equals_scratch(store, as_of)
        finally:
            store.close()
