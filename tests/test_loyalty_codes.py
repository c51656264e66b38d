"""Points as a discount code (issue 15; core/loyalty/codes.py, docs/loyalty.md): the counter
command deducts at once; a campaign's points codes leave out who has too few points, cost
nothing until an order uses them, then deduct exactly once, and give the points back when
that order stops counting. Bad input: one `error:` line, exit 2, nothing written."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from core.campaigns.codes import CODE_PATTERN
from core.campaigns.records import find_campaign
from core.compose import Discount
from core.delivery.outbox import campaign_discount
from core.demo import DEMO_SETTINGS
from core.loyalty import balances, issue_points_code, loyalty_report
from core.loyalty.codes import record_campaign_codes
from core.store import Store, open_store
from tests.campaign_shop import ShopOrder, import_orders
from tests.loyalty_support import write_customers
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
runner = CliRunner()
AS_OF = date(2026, 3, 5)
ORDERS = [
    ShopOrder("A1", 1, date(2026, 1, 5), 30_000),  # C1: 3,000 points
    ShopOrder("B1", 2, date(2026, 2, 5), 4_999),  # C2: 499 points
    ShopOrder("C0", 3, date(2026, 3, 5), 100),  # C3: 10 points, the as-of date
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    store = open_store(tmp_path / "shop.db", create=True)
    write_customers(store, tmp_path, 3)
    import_orders(store, tmp_path / "orders.csv", ORDERS)
    with store.write() as conn:
        conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?)", DEMO_SETTINGS.items())
    store.close()
    return tmp_path / "shop.db"


def invoke(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def state(db: Path) -> list[object]:
    return [
        rows(db, "SELECT * FROM loyalty_adjustments"),
        rows(db, "SELECT * FROM loyalty_codes"),
        rows(db, "SELECT * FROM discount_codes"),
        rows(db, "SELECT * FROM campaigns"),
    ]


def points(db: Path, customer: int, as_of: date = AS_OF) -> int:
    with open_store(db) as store:
        return balances(store, as_of, [customer])[customer].points


def reimport(db: Path, folder: Path, name: str, orders: list[ShopOrder]) -> tuple[int, int]:
    """Import `orders`; the points codes it found used and given back."""
    with open_store(db) as store:
        result = import_orders(store, folder / name, orders)
    return result.points_codes_used, result.points_codes_returned


# -- the counter command ---------------------------------------------------------------------


def test_a_counter_code_deducts_at_once_and_never_again(db: Path, tmp_path: Path) -> None:
    code, out, err = invoke(db, "loyalty", "code", "c1@example.com", "500", "--as-of", "2026-03-05")
    assert (code, err) == (ExitCode.OK, "")
    issued, summary = out.splitlines()
    assert CODE_PATTERN.fullmatch(issued) and issued.startswith("POINTS-")
    assert summary == (
        "Customer 1: 500 points -> €5.00 off, valid until 2027-03-05; 2,500 points left"
    )
    assert rows(db, "SELECT points, kind, reference, as_of FROM loyalty_adjustments") == [
        (-500, "code", issued, "2026-03-05")
    ]
    assert rows(db, "SELECT kind, value, currency, expires, customer_id FROM discount_codes") == [
        ("amount", 500, "EUR", "2027-03-05", 1)
    ]
    # The shop's coupon import gets it like any campaign's codes.
    out_file = tmp_path / "codes.csv"
    code, _, err = invoke(db, "codes", "export", "loyalty-codes", "--format", "csv",
                          "--out", str(out_file))  # fmt: skip
    assert code == ExitCode.OK, err
    assert issued in out_file.read_text(encoding="utf-8")
    # An order using it changes nothing more: the points went when it was handed over.
    used = ShopOrder("A9", 1, date(2026, 3, 5), 2_000, discount_code=issued.lower())
    reimport(db, tmp_path, "used.csv", [used])
    assert points(db, 1) == 2_500 + 200
    assert len(rows(db, "SELECT * FROM loyalty_adjustments")) == 1


def test_a_counter_code_at_250_points_per_unit_in_json(db: Path) -> None:
    assert invoke(db, "loyalty", "rules", "point_value", "250")[0] == ExitCode.OK
    code, out, _ = invoke(db, "loyalty", "code", "1", "1005", "--json", "--valid-days", "30")
    assert code == ExitCode.OK
    got = json.loads(out)
    assert {k: got[k] for k in ("customer", "points", "value", "currency", "balance")} == {
        "customer": 1, "points": 1005, "value": "4.02", "currency": "EUR", "balance": 1995,
    }  # fmt: skip
    assert got["expires"] == (AS_OF + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.com", "500"], "nobody@example.com"),
        (["2", "500"], "customer 2 has 499 points as of 2026-03-05: cannot redeem 500"),
        (["1", "0"], "POINTS: '0' is not a whole number above 0"),
        (["1", "-5"], "POINTS: '-5' is not a whole number above 0"),
        (["1", "ten"], "POINTS: 'ten' is not a whole number above 0"),
        (["1", "500", "--valid-days", "0"], "--valid-days 0: use 1 to 3660 days"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    db: Path, args: list[str], message: str
) -> None:
    before = state(db)
    code, out, err = invoke(db, "loyalty", "code", *args)
    assert code == ExitCode.REFUSED and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err
    assert state(db) == before


def test_points_not_worth_whole_cents_are_refused(db: Path) -> None:
    assert invoke(db, "loyalty", "rules", "point_value", "250")[0] == ExitCode.OK
    before = state(db)
    code, _, err = invoke(db, "loyalty", "code", "1", "333")
    assert code == ExitCode.REFUSED
    assert err == (
        "error: 333 points are not worth whole cents at 250 points per 1.00: use a multiple of 5\n"
    )
    assert state(db) == before


# -- a campaign's points codes ---------------------------------------------------------------


def export(db: Path, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    return invoke(db, "export", "--template", "loyalty", "--as-of", "2026-03-05",
                  "--out", str(tmp_path / "drafts"), "--templates", str(tmp_path / "mine"),
                  *args)  # fmt: skip


def test_a_campaign_gives_codes_to_who_has_the_points_and_deducts_on_use(
    db: Path, tmp_path: Path
) -> None:
    said = []
    for customer in ("1", "2", "3"):
        code, out, err = export(db, tmp_path, "--customer", customer, "--discount", "points:500",
                                "--campaign", "points-spring", "--overwrite")  # fmt: skip
        assert code == ExitCode.OK, err
        said.append(out + err)
    assert "fewer loyalty points than the points code costs" in said[1]
    assert rows(db, "SELECT customer_id, outcome, reason FROM campaign_recipients "
                    "ORDER BY customer_id") == [
        (1, "drafted", None), (2, "left_out", "not_enough_points"),
        (3, "left_out", "not_enough_points"),
    ]  # fmt: skip
    ((issued,),) = rows(db, "SELECT code FROM discount_codes WHERE customer_id = 1")
    assert rows(db, "SELECT kind, value FROM discount_codes") == [("amount", 500)]
    with open_store(db) as store:  # `send` renders the drafts again with the same discount
        campaign = find_campaign(store, "points-spring")
        assert campaign is not None
        assert campaign_discount(campaign) == Discount(
            amount_cents=500, currency="EUR", valid_days=30, points=500
        )
    draft = next((tmp_path / "drafts").iterdir()).read_text(encoding="utf-8")
    assert issued in draft
    # Issued, not used: nothing deducted, the report counts it as promised.
    assert points(db, 1) == 3_000
    with open_store(db) as store:
        report = loyalty_report(store, AS_OF)
    assert (report.points_in_open_codes, report.value_in_open_codes) == (500, 500)
    code, out, _ = invoke(db, "loyalty", "--as-of", "2026-03-05")
    assert (
        "Promised in open codes: 500 points, worth €5.00 (deducted when an order uses them)" in out
    )
    # Used: deducted once, dated by the order; a re-import changes nothing.
    used = ShopOrder("A2", 1, date(2026, 3, 20), 2_000, discount_code=f" {issued.lower()} ")
    for name, changed in (("use.csv", (1, 0)), ("again.csv", (0, 0))):
        assert reimport(db, tmp_path, name, [used]) == changed
        assert rows(db, "SELECT points, kind, reference, as_of FROM loyalty_adjustments") == [
            (-500, "code", issued, "2026-03-20")
        ]
    assert points(db, 1, date(2026, 3, 20)) == 3_000 + 200 - 500
    with open_store(db) as store:
        assert loyalty_report(store, date(2026, 3, 20)).points_in_open_codes == 0
    # The order cancelled: the points come back; counting again: deducted again (#2).
    assert reimport(db, tmp_path, "cancel.csv", [replace(used, cancelled=True)]) == (0, 1)
    assert points(db, 1, date(2026, 3, 20)) == 3_000
    assert reimport(db, tmp_path, "undo.csv", [used]) == (1, 0)
    assert rows(db, "SELECT points, reference FROM loyalty_adjustments ORDER BY id") == [
        (-500, issued), (500, f"{issued} returned"), (-500, f"{issued} #2"),
    ]  # fmt: skip
    assert points(db, 1, date(2026, 3, 20)) == 3_000 + 200 - 500


def test_a_code_used_after_the_balance_fell_is_honoured_below_zero(
    db: Path, tmp_path: Path
) -> None:
    code, _, err = export(db, tmp_path, "--customer", "1", "--discount", "points:3000")
    assert code == ExitCode.OK, err
    ((issued,),) = rows(db, "SELECT code FROM discount_codes")
    assert invoke(db, "loyalty", "redeem", "1", "2000")[0] == ExitCode.OK
    reimport(db, tmp_path, "use.csv",
             [ShopOrder("A2", 1, date(2026, 3, 5), 1_000, discount_code=issued)])  # fmt: skip
    assert points(db, 1) == 3_000 + 100 - 2_000 - 3_000


@pytest.mark.parametrize(
    ("discount", "message"),
    [
        ("points:0", "points for a code must be a whole number above 0"),
        ("points:x", "write a percentage (10%) or an amount with currency (5EUR) or points:N"),
    ],
)
def test_a_bad_points_discount_is_refused(
    db: Path, tmp_path: Path, discount: str, message: str
) -> None:
    before = state(db)
    code, _, err = export(db, tmp_path, "--customer", "1", "--discount", discount)
    assert code == ExitCode.REFUSED and message in err and err.count("\n") == 1, err
    assert state(db) == before


# -- the property: each code deducts at most once --------------------------------------------

DAY0 = date(2026, 1, 1)
steps = st.one_of(
    st.tuples(st.just("counter"), st.integers(1, 3), st.sampled_from([100, 500, 2_000])),
    st.tuples(st.just("campaign"), st.integers(1, 3), st.sampled_from([100, 500, 2_000])),
    st.tuples(st.just("order"), st.integers(1, 3), st.integers(0, 40), st.integers(0, 9)),
    st.tuples(st.just("change"), st.integers(0, 40), st.sampled_from(["cancel", "refund", "ok"])),
)


@settings(max_examples=25, deadline=None)
@given(sequence=st.lists(steps, min_size=1, max_size=10))
# A campaign code used, its order cancelled (the points come back), then counting again, and
# another order with it dated earlier (the first use moves): each import changes one order.
@example([("campaign", 1, 100), ("order", 1, 5, 0), ("change", 0, "cancel"),
          ("change", 0, "ok"), ("order", 2, 1, 0), ("change", 1, "refund")])  # fmt: skip
def test_each_code_deducts_at_most_once(sequence: list[tuple[object, ...]]) -> None:
    """After any sequence of issues, imports with codes and re-imports (cancelled, refunded,
    counting again): a counter code's ledger rows sum to −points, a campaign code's to
    −points exactly when a counting order carries it, else 0."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        store = open_store(folder / "shop.db", create=True)
        try:
            ids = write_customers(store, folder, 3)
            orders: list[ShopOrder] = [
                ShopOrder(f"S{n}", n, DAY0, 500_000)
                for n in (1, 2, 3)  # 50,000 points each
            ]
            import_orders(store, folder / "start.csv", orders)
            codes: dict[str, tuple[str, int]] = {}  # code -> (how issued, points)
            for number, step in enumerate(sequence):
                _apply(store, folder, number, step, ids, orders, codes)
                _check(store, orders, codes)
        finally:
            store.close()


def _apply(
    store: Store,
    folder: Path,
    number: int,
    step: tuple[object, ...],
    ids: dict[int, int],
    orders: list[ShopOrder],
    codes: dict[str, tuple[str, int]],
) -> None:
    kind = step[0]
    if kind == "counter":
        customer, amount = int(step[1]), int(step[2])  # type: ignore[call-overload]
        issued = issue_points_code(store, ids[customer], amount, DAY0, "EUR")
        codes[issued.code] = ("counter", amount)
    elif kind == "campaign":
        customer, amount = int(step[1]), int(step[2])  # type: ignore[call-overload]
        code = f"CAMP-{number:08d}"
        with store.write() as conn:
            campaign = conn.execute(
                "INSERT INTO campaigns (name, template, kind, audience, discount, options, "
                "holdout_percent, created_at, as_of) VALUES (?, 'loyalty', 'marketing', "
                "'customers', '{}', '{}', 0, '2026-01-01T00:00:00+00:00', '2026-01-01')",
                (f"c{number}",),
            ).lastrowid
            conn.execute(
                "INSERT INTO discount_codes (code, campaign_id, customer_id, kind, value, "
                "created_at) VALUES (?, ?, ?, 'amount', ?, '2026-01-01T00:00:00+00:00')",
                (code, campaign, ids[customer], amount),
            )
            record_campaign_codes(conn, [(code, ids[customer])], amount, "2026-01-01")
        codes[code] = ("campaign", amount)
    elif kind == "order":
        customer, day, pick = (int(x) for x in step[1:])  # type: ignore[call-overload]
        carried = sorted(codes)[pick % len(codes)] if codes and pick < 7 else ""
        order = ShopOrder(f"O{number}", customer, DAY0 + timedelta(days=day), 1_000,
                          discount_code=carried)  # fmt: skip
        orders.append(order)
        import_orders(store, folder / f"o{number}.csv", [order])
    elif kind == "change" and len(orders) > 3:
        index = 3 + int(step[1]) % (len(orders) - 3)  # type: ignore[call-overload]
        old = orders[index]
        new = {
            "cancel": replace(old, cancelled=True),
            "refund": replace(old, refunded_cents=old.cents),
            "ok": replace(old, cancelled=False, refunded_cents=0),
        }[str(step[2])]
        orders[index] = new
        import_orders(store, folder / f"c{number}.csv", [new])


def _check(store: Store, orders: list[ShopOrder], codes: dict[str, tuple[str, int]]) -> None:
    used = {o.discount_code for o in orders if o.counts and o.discount_code}
    for code, (how, amount) in codes.items():
        total = store.scalar(
            "SELECT coalesce(sum(points), 0) FROM loyalty_adjustments "
            "WHERE kind = 'code' AND (reference = ? OR reference LIKE ? || ' %')",
            (code, code),
        )
        want = -amount if how == "counter" or code in used else 0
        assert total == want, (code, how)
