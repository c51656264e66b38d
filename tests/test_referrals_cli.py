"""`retain-tui referrals`, the referral part of `customer show`, reward codes and the
`referrals.*` settings, on a small shop whose figures are checked by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.store import open_store
from tests.codes_support import GENERIC_HEADER, generic_row, write_csv
from tests.referral_support import add_referral_code
from tui.cli import build_app

app = build_app()
ANN, BOB, CY, DEE = "ann@example.com", "bob@example.com", "[bold]cy@example.com", "dee@example.com"


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def import_orders(db: Path, folder: Path, name: str, rows: list[list[str]]) -> Result:
    file = write_csv(folder / name, GENERIC_HEADER, rows)
    result = invoke("import", "orders", file, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """ann (1) and bob (2) order in November; ann gets REF-AAAAAAAA, bob REF-BBBBBBBB."""
    path = tmp_path / "shop.db"
    with open_store(path, create=True):
        pass
    import_orders(path, tmp_path, "first.csv", [
        generic_row("1001", ANN, "2024-11-01", "30.00", ""),
        generic_row("1002", BOB, "2024-11-02", "40.00", ""),
    ])  # fmt: skip
    with open_store(path) as store:
        add_referral_code(store, "REF-AAAAAAAA", ANN)
        add_referral_code(store, "REF-BBBBBBBB", BOB)
    return path


def referred_shop(db: Path, folder: Path) -> dict[str, object]:
    """cy (3) and dee (4) come with ann's code; cy orders again, dee's second is refunded."""
    result = import_orders(db, folder, "second.csv", [
        generic_row("1003", CY, "2024-12-01", "50.00", "ref-aaaaaaaa"),
        generic_row("1004", DEE, "2024-12-03", "20.00", "REF-AAAAAAAA"),
        generic_row("1005", CY, "2024-12-10", "25.50", ""),
        generic_row("1006", DEE, "2024-12-11", "99.00", "", status="refunded"),
    ])  # fmt: skip
    return json.loads(result.stdout)


def test_the_import_reports_credits_and_referrals_lists_them(db: Path, tmp_path: Path) -> None:
    summary = referred_shop(db, tmp_path)
    assert (summary["referrals_credited"], summary["referrals_reversed"]) == (2, 0)
    result = invoke("referrals", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("as_of", "codes", "referrers", "referred", "orders",
                                   "net_revenue", "points")} == {
        "as_of": "2024-12-10", "codes": 2, "referrers": 1, "referred": 2, "orders": 3,
        "net_revenue": 5000 + 2550 + 2000, "points": 1000,
    }  # fmt: skip
    (ann,) = report["by_referrer"]
    assert (ann["customer_id"], ann["code"], ann["points"], ann["net_revenue"]) == (
        1, "REF-AAAAAAAA", 1000, 9550
    )  # fmt: skip
    brought = [(r["customer_id"], r["first_order"], r["orders"], r["net_revenue"])
               for r in ann["referred"]]  # fmt: skip
    assert brought == [(3, "2024-12-01", 2, 7550), (4, "2024-12-03", 1, 2000)]
    # as of a day between the two referred orders: one credit, cy's first order only
    early = json.loads(invoke("referrals", "--json", "--as-of", "2024-12-02", "--db", db).stdout)
    assert (early["referred"], early["orders"], early["net_revenue"]) == (1, 1, 5000)
    text = invoke("referrals", "--db", db).stdout
    assert "1 referrer brought 2 new customers (3 orders, €95.50 net, 1,000 points" in text
    assert "[bold]cy@example.com (customer 3) since 2024-12-01: 2 orders, €75.50 net" in text


def test_customer_show_says_who_referred_whom(db: Path, tmp_path: Path) -> None:
    referred_shop(db, tmp_path)
    ann = json.loads(invoke("customer", "show", "1", "--json", "--db", db).stdout)
    referrals = ann[0]["referrals"] if isinstance(ann, list) else ann["referrals"]
    assert referrals["code"] == "REF-AAAAAAAA" and referrals["points"] == 1000
    assert [item["customer_id"] for item in referrals["referred"]] == [3, 4]
    assert referrals["referred_by"] is None
    cy = json.loads(invoke("customer", "show", "3", "--json", "--db", db).stdout)
    by = (cy[0] if isinstance(cy, list) else cy)["referrals"]["referred_by"]
    assert (by["customer_id"], by["code"], by["first_order"], by["points"]) == (
        1, "REF-AAAAAAAA", "2024-12-01", 500
    )  # fmt: skip
    text = invoke("customer", "show", "3", "--db", db).stdout
    assert "referred by ann@example.com (customer 1) with REF-AAAAAAAA on 2024-12-01" in text
    bob = invoke("customer", "show", "2", "--db", db).stdout
    assert "code REF-BBBBBBBB · referred 0 customers · 0 points credited" in bob


def test_a_reward_code_per_credit_is_exportable(db: Path, tmp_path: Path) -> None:
    for key, value in (("referrals.reward", "5EUR"), ("referrals.reward_valid_days", "30"),
                       ("referrals.bonus_points", "250")):  # fmt: skip
        result = invoke("config", "set", key, value, "--db", db)
        assert result.exit_code == 0, result.output
    referred_shop(db, tmp_path)
    with open_store(db) as store:
        rewards = store.execute(
            "SELECT d.code, d.customer_id, d.kind, d.value, d.expires, c.name "
            "FROM discount_codes d JOIN campaigns c ON c.id = d.campaign_id ORDER BY d.code"
        ).fetchall()
        points = store.scalar("SELECT sum(points) FROM loyalty_adjustments WHERE customer_id = 1")
    assert points == 500
    expires = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    assert [(cid, kind, value, exp, name) for _code, cid, kind, value, exp, name in rewards] == [
        (1, "amount", 500, expires, "referral-rewards")
    ] * 2
    assert all(code.startswith("REWARD-") for code, *_ in rewards)
    out = tmp_path / "rewards.csv"
    result = invoke("codes", "export", "referral-rewards", "--format", "csv", "--out", out,
                    "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count(ANN) == 2  # single use, for ann only
    # a re-import changes nothing: no third code, no more points
    import_orders(db, tmp_path, "second.csv", [])
    referred_shop(db, tmp_path)
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM discount_codes") == 2


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("referrals.bonus_points", "1000001", "use 0 to 1,000,000 points"),
        ("referrals.bonus_points", "many", "a whole number of points"),
        ("referrals.reward", "lots", "reward:"),
        ("referrals.reward_valid_days", "0", "use 1 to 366 days"),
        ("referrals.friend_discount", "150%", "between 0 and 100"),
    ],
)
def test_bad_settings_are_refused(db: Path, key: str, value: str, message: str) -> None:
    result = invoke("config", "set", key, value, "--db", db)
    assert result.exit_code == 2
    assert message in result.stderr and key in result.stderr


def test_no_points_setting_still_records_the_credit(db: Path, tmp_path: Path) -> None:
    assert invoke("config", "set", "referrals.bonus_points", "0", "--db", db).exit_code == 0
    summary = referred_shop(db, tmp_path)
    assert summary["referrals_credited"] == 2
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM loyalty_adjustments") == 0
