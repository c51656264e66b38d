"""`retain-tui campaigns`: the JSON fields, the human report, "so far", and bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.campaigns.results import MAX_WINDOW_DAYS
from core.store import open_store
from tests.campaign_shop import Campaign, ShopOrder, add_campaign, load_customers_and_orders
from tui.cli import build_app

app = build_app()
JSON_FIELDS = {
    "name", "template", "created_at", "as_of", "drafted", "held_out", "left_out",
    "codes_issued", "codes_redeemed", "redemption_rate", "revenue", "reorder_rate_drafted",
    "reorder_rate_held_out", "uplift", "uplift_ci",
}  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Two campaigns: "[bold]spring" (holdout, a redeemed code) and "june" (no holdout)."""
    store = open_store(tmp_path / "shop.db", create=True)
    orders = [
        ShopOrder("A1", 1, date(2024, 3, 5), 1999, discount_code="spring-c1"),
        ShopOrder("A2", 3, date(2024, 3, 20), 5000),
        ShopOrder("A3", 2, date(2024, 6, 10), 5000),
    ]
    ids = load_customers_and_orders(store, tmp_path, 4, orders)
    spring = Campaign(
        "[bold]spring",
        date(2024, 3, 1),
        {1: ("drafted", None), 2: ("drafted", None), 3: ("held_out", None),
         4: ("left_out", "no_consent")},
        {"SPRING-C1": 1, "SPRING-C2": 2},
        holdout_percent=10,
    )  # fmt: skip
    add_campaign(store, spring, ids)
    add_campaign(store, Campaign("june", date(2024, 6, 1), {1: ("drafted", None)}), ids)
    store.close()
    return tmp_path / "shop.db"


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["campaigns", *args, "--db", str(db)], env={"COLUMNS": "80"})


def refused(result: Result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert text in " ".join(result.output.split()), result.output


def test_json_has_every_field_of_the_issue(db: Path) -> None:
    result = invoke(db, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == ["[bold]spring", "june"]
    assert all(set(row) >= JSON_FIELDS for row in rows)
    spring, june = rows
    assert spring["left_out"] == {"no_consent": 1}
    assert (spring["codes_issued"], spring["codes_redeemed"], spring["revenue"]) == (2, 1, 19.99)
    assert (spring["reorder_rate_drafted"], spring["reorder_rate_held_out"]) == (50.0, 100.0)
    assert spring["uplift"] == -50.0 and len(spring["uplift_ci"]) == 2
    assert spring["window_complete"] is True
    assert june["uplift"] is None and june["uplift_ci"] is None
    assert june["window_complete"] is False  # the data ends on 06-10: 9 of 30 days


def test_the_report_reads_in_80_columns_and_says_so_far(db: Path) -> None:
    result = invoke(db)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "[bold]spring · win-back · as of 2024-03-01" in text  # the name, not markup
    assert "Drafted 2 · held out 1 · left out 1 (no_consent 1)" in text
    assert "Codes 2 issued, 1 redeemed (50.0 %) · revenue 19.99 from 1 order" in text
    assert "drafted 50.0 % (1 of 2) · held out 100.0 % (1 of 1)" in text
    assert "uplift −50.0 pp, 95 % CI" in text
    assert "Ordered again within 9 of 30 days so far after 2024-06-01:" in text
    assert "uplift: none to measure (no holdout)" in text
    for line in text.splitlines():
        assert len(line) <= 80, line


def test_one_campaign_by_name_and_another_window(db: Path) -> None:
    result = invoke(db, "june", "--json", "--window-days", "7")
    assert result.exit_code == 0, result.output
    [june] = json.loads(result.stdout)
    assert (june["name"], june["window_days"], june["window_complete"]) == ("june", 7, True)
    assert june["reorder_rate_drafted"] == 0.0  # C1's last order is in March


def test_an_unknown_campaign_is_refused(db: Path) -> None:
    refused(
        invoke(db, "autumn"), "error: no campaign named 'autumn' (campaigns: [bold]spring, june)"
    )


@pytest.mark.parametrize("days", ["0", "-3", str(MAX_WINDOW_DAYS + 1), "ten"])
def test_a_window_out_of_range_is_refused(db: Path, days: str) -> None:
    refused(invoke(db, "--window-days", days), "--window-days")


def test_a_shop_without_campaigns(tmp_path: Path) -> None:
    store = open_store(tmp_path / "shop.db", create=True)
    load_customers_and_orders(store, tmp_path, 1, [ShopOrder("A1", 1, date(2024, 3, 5), 100)])
    store.close()
    result = invoke(tmp_path / "shop.db")
    assert result.exit_code == 0
    assert "No campaigns yet" in result.stdout
    assert json.loads(invoke(tmp_path / "shop.db", "--json").stdout) == []


def test_control_characters_in_a_name_do_not_reach_the_terminal(tmp_path: Path) -> None:
    store = open_store(tmp_path / "shop.db", create=True)
    ids = load_customers_and_orders(store, tmp_path, 1, [ShopOrder("A1", 1, date(2024, 3, 5), 1)])
    add_campaign(
        store, Campaign("clear\x1b[2J\nnext", date(2024, 3, 1), {1: ("drafted", None)}), ids
    )
    store.close()
    result = invoke(tmp_path / "shop.db")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "clear\\x1b[2J\\nnext · win-back" in result.stdout
    assert json.loads(invoke(tmp_path / "shop.db", "--json").stdout)[0]["name"] == (
        "clear\x1b[2J\nnext"
    )
