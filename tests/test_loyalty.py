"""Loyalty, hand-checked (issue 15): rounding down per order, refunds and cancellations,
the 2nd/5th order bonuses, expiry, the 12-month tier window, redemptions, the rules'
validation, the kept points after imports and rule changes, and what shows them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.loyalty import (
    LoyaltyError,
    add_adjustment,
    balances,
    load_rules,
    loyalty_report,
    parse_tiers,
    redeem,
)
from core.loyalty.kept import KEPT_STAMP_KEY
from core.loyalty.rules import add_months
from core.segments import customer_rows
from core.shop_settings import SettingError, set_setting, unset_setting
from core.store import Store, open_store
from tests.campaign_shop import ShopOrder, import_orders
from tests.loyalty_support import write_customers

AS_OF = date(2026, 6, 30)


def shop(tmp_path: Path, orders: list[ShopOrder], customers: int = 2, **rules: str) -> Store:
    store = open_store(tmp_path / "shop.db", create=True)
    write_customers(store, tmp_path, customers)
    for key, value in rules.items():
        set_setting(store, f"loyalty.{key}", value)
    if orders:
        import_orders(store, tmp_path / "orders.csv", orders)
    return store


def points(store: Store, customer: int = 1, as_of: date = AS_OF) -> int:
    return balances(store, as_of, [customer])[customer].points


def test_points_are_rounded_down_per_order(tmp_path: Path) -> None:
    # 12.34 -> 123.4 -> 123; 0.99 -> 9.9 -> 9: 132, not the 133 of the sum (13.33 × 10).
    store = shop(tmp_path, [ShopOrder("A", 1, date(2026, 1, 5), 1234),
                            ShopOrder("B", 1, date(2026, 2, 5), 99)])  # fmt: skip
    assert points(store) == 132
    assert balances(store, AS_OF, [1])[1].points_value == 132  # 100 points = 1.00: 1.32


def test_refunds_take_points_back_and_a_full_refund_or_cancellation_earns_nothing(
    tmp_path: Path,
) -> None:
    store = shop(
        tmp_path,
        [ShopOrder("A", 1, date(2026, 1, 5), 5000, refunded_cents=2000),  # 30.00: 300
         ShopOrder("B", 1, date(2026, 1, 6), 4000, refunded_cents=4000),  # refunded: 0
         ShopOrder("C", 1, date(2026, 1, 7), 7000, cancelled=True)],  # cancelled: 0
    )  # fmt: skip
    assert points(store) == 300
    # A later import refunds the rest of A: its points go, on the next reading.
    import_orders(store, tmp_path / "again.csv",
                  [ShopOrder("A", 1, date(2026, 1, 5), 5000, refunded_cents=5000)])  # fmt: skip
    assert points(store) == 0


def test_bonus_on_the_2nd_and_5th_counting_order(tmp_path: Path) -> None:
    orders = [ShopOrder(f"O{i}", 1, date(2026, 1, 1 + i), 100) for i in range(6)]
    store = shop(tmp_path, orders, bonus_2nd_order="50", bonus_5th_order="200")
    assert points(store) == 6 * 10 + 50 + 200
    assert points(store, as_of=date(2026, 1, 2)) == 10 + 10 + 50  # two orders so far
    # A cancelled 2nd order moves the rank: the 3rd becomes the 2nd, the 6th the 5th.
    import_orders(store, tmp_path / "again.csv",
                  [ShopOrder("O1", 1, date(2026, 1, 2), 100, cancelled=True)])  # fmt: skip
    assert points(store) == 5 * 10 + 50 + 200
    assert points(store, as_of=date(2026, 1, 3)) == 10 + 10 + 50


def test_two_orders_on_one_day_count_one_by_one(tmp_path: Path) -> None:
    orders = [ShopOrder("A", 1, date(2026, 1, 1), 100), ShopOrder("B", 1, date(2026, 1, 1), 100)]
    store = shop(tmp_path, orders, bonus_2nd_order="7")
    assert points(store) == 27


def test_expiry_after_months_without_an_order(tmp_path: Path) -> None:
    # 31 January + 1 month is 28 February: on it the points still hold, the day after not.
    store = shop(tmp_path, [ShopOrder("A", 1, date(2026, 1, 31), 1000)], expiry_months="1")
    assert points(store, as_of=date(2026, 2, 28)) == 100
    assert points(store, as_of=date(2026, 3, 1)) == 0
    # An order within the month keeps them; a gap longer than it loses what came before.
    import_orders(store, tmp_path / "more.csv",
                  [ShopOrder("B", 1, date(2026, 2, 28), 500),
                   ShopOrder("C", 1, date(2026, 5, 1), 200)])  # fmt: skip
    assert points(store, as_of=date(2026, 3, 1)) == 150
    assert points(store, as_of=date(2026, 5, 1)) == 20
    # A credit before the expiry day goes with it; one after counts.
    with store.write() as conn:
        add_adjustment(conn, 1, 40, "manual", None, date(2026, 3, 20))
        add_adjustment(conn, 1, 9, "manual", None, date(2026, 4, 20))
    assert points(store, as_of=date(2026, 4, 20)) == 9  # expired 28 March, then +9
    assert points(store, as_of=date(2026, 5, 1)) == 29
    unset_setting(store, "loyalty.expiry_months")
    assert points(store, as_of=date(2026, 5, 1)) == 100 + 50 + 20 + 40 + 9


def test_tier_by_net_spend_in_the_12_months_up_to_the_as_of_date(tmp_path: Path) -> None:
    orders = [ShopOrder("A", 1, date(2025, 6, 30), 90_000),  # exactly 12 months before: out
              ShopOrder("B", 1, date(2025, 7, 1), 20_000, refunded_cents=5_000),  # 150.00 in
              ShopOrder("C", 1, date(2026, 6, 1), 10_000)]  # fmt: skip
    store = shop(tmp_path, orders)
    status = balances(store, AS_OF, [1])[1]
    assert (status.spend_12m, status.tier, status.next_tier) == (25_000, "Silver", "Gold")
    assert (status.spend_to_next_tier, status.points_to_next_tier) == (75_000, 7_500)
    assert balances(store, date(2025, 12, 31), [1])[1].tier == "Gold"  # A still in the window
    nobody = balances(store, AS_OF, [2])[2]
    assert (nobody.points, nobody.tier, nobody.next_tier) == (0, "Bronze", "Silver")


def test_everyone_s_balances_with_gaps_in_the_customer_ids(tmp_path: Path) -> None:
    """Ids 1..N are read as a range; with a gap (a customer deleted) they come from the
    table, and the deleted customer is nobody's."""
    orders = [ShopOrder("A", 1, date(2026, 1, 5), 1000), ShopOrder("B", 3, date(2026, 1, 5), 500)]
    store = shop(tmp_path, orders, customers=4)
    everyone = balances(store, AS_OF)
    assert [(s.customer_id, s.points) for s in everyone.values()] == [(1, 100), (2, 0), (3, 50),
                                                                      (4, 0)]  # fmt: skip
    with store.write() as conn:
        conn.execute("DELETE FROM customers WHERE id = 2")
    everyone = balances(store, AS_OF)
    assert [(s.customer_id, s.points) for s in everyone.values()] == [(1, 100), (3, 50), (4, 0)]
    assert 2 not in everyone and everyone.get(2) is None and len(everyone) == 3
    assert balances(store, AS_OF, [2, 3]) == {3: everyone[3]}
    with store.write() as conn:
        conn.execute("DELETE FROM customers WHERE id = 1")
    assert list(balances(store, AS_OF)) == [3, 4]


def test_a_first_tier_above_zero_leaves_small_spenders_without_one(tmp_path: Path) -> None:
    store = shop(tmp_path, [ShopOrder("A", 1, date(2026, 6, 1), 1000)], tiers="VIP:500")
    status = balances(store, AS_OF, [1])[1]
    assert (status.tier, status.next_tier, status.spend_to_next_tier) == (None, "VIP", 49_000)
    report = loyalty_report(store, AS_OF)
    assert [(t.name, t.members, t.points) for t in report.tiers] == [("(none)", 2, 100),
                                                                     ("VIP", 0, 0)]  # fmt: skip


def test_redeem_takes_points_and_refuses_beyond_the_balance(tmp_path: Path) -> None:
    store = shop(tmp_path, [ShopOrder("A", 1, date(2026, 1, 5), 5000)])
    assert redeem(store, 1, 200, AS_OF, reference="WELCOME5") == 300
    ledger = store.execute("SELECT customer_id, points, kind, reference, as_of "
                           "FROM loyalty_adjustments").fetchall()  # fmt: skip
    assert ledger == [(1, -200, "redemption", "WELCOME5", AS_OF.isoformat())]
    for bad in (301, 0, -5):
        with pytest.raises(LoyaltyError):
            redeem(store, 1, bad, AS_OF)
    with pytest.raises(LoyaltyError, match="no customer with id 99"):
        redeem(store, 99, 1, AS_OF)
    # Back-dated before the order: nothing to redeem then.
    with pytest.raises(LoyaltyError, match="has 0 points as of 2026-01-01"):
        redeem(store, 1, 10, date(2026, 1, 1))
    assert store.scalar("SELECT count(*) FROM loyalty_adjustments") == 1
    assert points(store) == 300


def test_a_backdated_redemption_cannot_overdraw_a_later_one(tmp_path: Path) -> None:
    store = shop(tmp_path, [ShopOrder("A", 1, date(2026, 1, 5), 5000)])
    redeem(store, 1, 400, AS_OF)
    with pytest.raises(LoyaltyError, match="has 100 points as of 2026-06-30"):
        redeem(store, 1, 200, date(2026, 3, 1))  # 500 on 1 March, but only 100 left later


def test_referral_and_code_rows_are_recorded_once(tmp_path: Path) -> None:
    store = shop(tmp_path, [])
    with store.write() as conn:
        assert add_adjustment(conn, 1, 50, "referral", "order-7", AS_OF) is not None
        assert add_adjustment(conn, 1, 50, "referral", "order-7", AS_OF) is None
        assert add_adjustment(conn, 2, 50, "referral", "order-7", AS_OF) is not None
        with pytest.raises(LoyaltyError, match="unknown adjustment kind"):
            add_adjustment(conn, 1, 5, "gift", None, AS_OF)
        with pytest.raises(LoyaltyError, match="negative"):
            add_adjustment(conn, 1, 5, "redemption", None, AS_OF)
    assert points(store, 1) == 50 and points(store, 2) == 50


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "NAME:THRESHOLD pairs"),
        ("Bronze:0,,Gold:10", "NAME:THRESHOLD pairs"),
        ("Bronze", "a tier is NAME:THRESHOLD"),
        ("Bronze:0,Silver:x", "'x' is not an amount"),
        ("Bronze:0,Silver:-5", "cannot be negative"),
        ("Bronze:0,Gold:100,Silver:50", "must rise"),
        ("Bronze:0,bronze:10", "named twice"),
        ("[b]Gold:10", "a tier is NAME:THRESHOLD"),
    ],
)
def test_bad_tiers_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(LoyaltyError, match=message):
        parse_tiers(text)


def test_tiers_keep_names_and_amounts() -> None:
    tiers = parse_tiers(" Bronze : 0, Silver:249.50 ,Gold Club:1000")
    assert [(t.name, t.threshold) for t in tiers] == [("Bronze", 0), ("Silver", 24_950),
                                                      ("Gold Club", 100_000)]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value"),
    [("points_per_unit", "-1"), ("points_per_unit", "2.5"), ("point_value", "0"),
     ("expiry_months", "121"), ("bonus_5th_order", "lots"), ("tiers", "Gold")],
)  # fmt: skip
def test_bad_rules_are_refused_and_the_old_value_kept(tmp_path: Path, key: str, value: str) -> None:
    store = shop(tmp_path, [ShopOrder("A", 1, date(2026, 1, 5), 5000)])
    before = load_rules(store)
    with pytest.raises(SettingError, match=f"loyalty.{key}"):
        set_setting(store, f"loyalty.{key}", value)
    assert load_rules(store) == before and points(store) == 500


def test_a_rule_change_rebuilds_the_kept_points_at_once(tmp_path: Path) -> None:
    store = shop(tmp_path, [ShopOrder("A", 1, date(2026, 1, 5), 5000)])
    assert store.get_setting(KEPT_STAMP_KEY) == "10:0:0:off"
    set_setting(store, "loyalty.points_per_unit", "3")
    assert store.get_setting(KEPT_STAMP_KEY) == "3:0:0:off"
    assert store.scalar("SELECT points FROM loyalty_points") == 150
    assert points(store) == 150


def test_a_stored_rule_that_no_longer_validates_is_named(tmp_path: Path) -> None:
    store = shop(tmp_path, [ShopOrder("A", 1, date(2026, 1, 5), 5000)])
    store.set_setting("loyalty.tiers", "Gold")  # as an older version or a hand edit might
    with pytest.raises(LoyaltyError, match=r"loyalty\.tiers: the stored value is refused"):
        balances(store, AS_OF)


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), -12) == date(2023, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)


def test_points_hold_on_the_expiry_day_and_go_the_day_after(tmp_path: Path) -> None:
    orders = [
        ShopOrder("A", 1, date(2026, 1, 15), 1000),
        ShopOrder("B", 2, date(2026, 1, 15), 1000),
        ShopOrder("C", 2, date(2026, 4, 15), 500),
        ShopOrder("D", 2, date(2026, 4, 16), 300),
    ]
    store = shop(tmp_path, orders, expiry_months="3")
    assert points(store, 1, date(2026, 4, 15)) == 100  # 15 January + 3 months
    assert points(store, 1, date(2026, 4, 16)) == 0
    # An order on the expiry day itself keeps what came before.
    assert points(store, 2, date(2026, 4, 16)) == 100 + 50 + 30
    # The segment field says the same, on both days.
    for day, who in ((date(2026, 4, 15), ["C1", "C2"]), (date(2026, 4, 16), ["C2"])):
        rows = customer_rows(store, where="points >= 100", as_of=day)
        assert [row["external_id"] for row in rows] == who


def test_an_upgraded_shop_rebuilds_its_kept_points_with_expiry_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration adding `kept`, `cut`, `expires` rebuilds a kept table under the rules
    (the old stamp, without the expiry, is no longer current)."""
    import core.store
    from core.schema_programme import upgrade_kept_points

    before = core.store.MIGRATIONS.index(upgrade_kept_points)
    path = tmp_path / "shop.db"
    with monkeypatch.context() as older:
        older.setattr(core.store, "MIGRATIONS", core.store.MIGRATIONS[:before])
        older.setattr(core.store, "SCHEMA_VERSION", before)
        with open_store(path, create=True) as store, store.write() as conn:
            conn.execute(
                "INSERT INTO customers (id, email, imported_at, updated_at) "
                "VALUES (1, 'a@example.com', '2026-01-01', '2026-01-01')"
            )
            conn.execute("INSERT INTO loyalty_points VALUES (1, 700000, 99, 990)")  # stale
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, '10:0:0')", (KEPT_STAMP_KEY,)
            )
    with open_store(path) as store:
        assert store.get_setting(KEPT_STAMP_KEY) == "10:0:0:off"
        assert store.scalar("SELECT count(*) FROM loyalty_points") == 0  # no orders: none
        columns = [row[1] for row in store.execute("PRAGMA table_info(loyalty_points)")]
        assert columns[-3:] == ["kept", "cut", "expires"]
