"""`retain-tui loyalty` through Typer's CliRunner on a real shop file: the figures per tier
(text and JSON), the rules (shown, set, refused), redemptions, and bad input: one `error:`
line, exit 2, nothing changed."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.store import open_store
from tests.campaign_shop import ShopOrder, import_orders
from tests.loyalty_support import write_customers
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
runner = CliRunner()
ORDERS = [
    ShopOrder("A1", 1, date(2026, 1, 5), 30_000),  # C1: 3,000 points, Silver
    ShopOrder("A2", 1, date(2026, 3, 5), 1_234, refunded_cents=1_234),  # refunded: nothing
    ShopOrder("B1", 2, date(2026, 2, 5), 4_999),  # C2: 499 points, Bronze
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    store = open_store(tmp_path / "shop.db", create=True)
    write_customers(store, tmp_path, 3)
    import_orders(store, tmp_path / "orders.csv", ORDERS)
    store.close()
    return tmp_path / "shop.db"


def loyalty(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["loyalty", *args, "--db", str(db)], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def state(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [
            *conn.execute("SELECT * FROM loyalty_adjustments").fetchall(),
            *conn.execute("SELECT * FROM settings WHERE key LIKE 'loyalty.%' ORDER BY key"),
            *conn.execute("SELECT * FROM loyalty_points"),
        ]
    finally:
        conn.close()


def test_loyalty_shows_members_and_points_per_tier_and_the_liability(db: Path) -> None:
    code, out, _ = loyalty(db)
    assert code == ExitCode.OK
    lines = out.splitlines()
    assert lines[0] == "Loyalty as of 2026-02-05: 3 customers"
    assert lines[1].split() == ["Bronze", "from", "€0.00", "2", "customers", "499", "points"]
    assert lines[2].split() == ["Silver", "from", "€250.00", "1", "customers", "3,000", "points"]
    assert lines[3].split() == ["Gold", "from", "€1,000.00", "0", "customers", "0", "points"]
    assert lines[4] == "Points outstanding: 3,499, worth €34.99 (100 points = €1.00)"


def test_loyalty_json(db: Path) -> None:
    code, out, _ = loyalty(db, "--json", "--as-of", "2026-02-28")
    data = json.loads(out)
    assert code == 0 and data["as_of"] == "2026-02-28"
    assert data["members"] == 3 and data["points_outstanding"] == 3_499
    assert data["value_outstanding"] == "34.99" and data["negative_balances"] == 0
    assert data["tiers"][1] == {"name": "Silver", "threshold": "250.00", "members": 1,
                                "points": 3_000}  # fmt: skip
    assert data["rules"]["points_per_unit"] == 10 and data["rules"]["expiry_months"] is None


def test_rules_are_shown_and_set_like_config(db: Path) -> None:
    code, out, _ = loyalty(db, "rules")
    assert code == 0 and "loyalty.tiers = Bronze:0,Silver:250,Gold:1000" in out
    code, out, _ = loyalty(db, "rules", "points_per_unit", "2")
    assert code == 0 and out.strip() == "loyalty.points_per_unit = 2"
    code, out, _ = loyalty(db, "rules", "loyalty.tiers", "Member:0, VIP:100")
    assert code == 0 and out.strip() == "loyalty.tiers = Member:0,VIP:100"
    code, out, _ = loyalty(db, "--json")
    data = json.loads(out)
    assert data["points_outstanding"] == 600 + 99
    assert [(t["name"], t["members"]) for t in data["tiers"]] == [("Member", 2), ("VIP", 1)]
    code, out, _ = loyalty(db, "rules", "--json")
    assert json.loads(out)["points_per_unit"] == "2"
    result = runner.invoke(app, ["config", "get", "loyalty.points_per_unit", "--db", str(db)])
    assert result.stdout.strip() == "2"


def test_redeem_prints_what_is_left(db: Path) -> None:
    code, out, _ = loyalty(db, "redeem", "1", "500", "--reference", "LOYAL5")
    assert code == 0
    assert (
        out.strip() == "Customer 1: redeemed 500 points as of 2026-02-05; 2,500 left (worth €25.00)"
    )
    code, out, _ = loyalty(db, "redeem", "c2@example.com", "99", "--json")
    assert json.loads(out) == {"customer": 2, "redeemed": 99, "points": 400,
                               "points_value": "4.00", "as_of": "2026-02-05"}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["redeem", "1", "3001"], "customer 1 has 3,000 points as of 2026-02-05: cannot redeem"),
        (["redeem", "1", "-5"], "POINTS: '-5' is not a whole number above 0"),
        (["redeem", "1", "0"], "POINTS: '0' is not a whole number above 0"),
        (["redeem", "1", "1.5"], "POINTS: '1.5' is not a whole number above 0"),
        (["redeem", "77", "5"], "77: no customer with this email address or id"),
        (["redeem", "nobody@example.com", "5"], "no customer with this email address or id"),
        (["redeem", "1", "5", "--as-of", "2026-13-01"], "--as-of"),
        (["redeem", "1", "5", "--as-of", "2025-01-01"], "before the first order"),
        (["rules", "tiers", "Bronze:0,Gold:x"], "loyalty.tiers: 'Gold:x': 'x' is not an amount"),
        (["rules", "tiers", "Gold:100,Silver:50"], "thresholds must rise"),
        (["rules", "points_per_unit", "-2"], "loyalty.points_per_unit: '-2'"),
        (["rules", "expiry_months", "forever"], "'off' or a number of months"),
        (["rules", "colour", "red"], "unknown loyalty rule 'colour'"),
        (["rules", "tiers"], "give tiers's new value"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    db: Path, args: list[str], message: str
) -> None:
    before = state(db)
    code, out, err = loyalty(db, *args)
    assert code == ExitCode.REFUSED, out + err
    assert message in err and err.count("\n") == 1 and err.startswith("error: ")
    assert "Traceback" not in out + err
    assert state(db) == before


def test_a_missing_shop_is_refused(tmp_path: Path) -> None:
    code, _, err = loyalty(tmp_path / "none.db")
    assert code == ExitCode.REFUSED and err.startswith("error: ")
    assert not (tmp_path / "none.db").exists()


def test_customers_json_and_filters_show_points_and_tier(db: Path) -> None:
    result = runner.invoke(app, ["customers", "--json", "--where", 'tier = "silver"',
                                 "--db", str(db)])  # fmt: skip
    rows = json.loads(result.stdout)
    assert [(r["id"], r["points"], r["tier"], r["next_tier"]) for r in rows] == [
        (1, 3_000, "Silver", "Gold")
    ]
    assert rows[0]["points_value"] == 30.0 and rows[0]["spend_to_next_tier"] == 700.0
    result = runner.invoke(app, ["customers", "--json", "--where", "points >= 499",
                                 "--sort", "points", "--db", str(db)])  # fmt: skip
    assert [r["id"] for r in json.loads(result.stdout)] == [2, 1]
