"""The whole round: a campaign with codes (`export --discount`), the codes file for the
shop (`codes export`), the shop's next orders export redeeming them (`import orders`), and
the customer's history (`customer show`), all through the CLI on one real store."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.campaigns import CODE_PATTERN
from tests.clock import CampaignClock, campaign_clock
from tests.codes_support import SHOPIFY_HEADER, shopify_row, write_csv
from tests.compose_support import build_shop, without_audience
from tui.cli import build_app

app = build_app()
runner = CliRunner()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> CampaignClock:
    return campaign_clock(monkeypatch, "2026-11-06T09:00:00+00:00")


def test_codes_from_a_campaign_are_exported_redeemed_and_shown(
    tmp_path: Path, clock: CampaignClock
) -> None:
    db = tmp_path / "shop.db"
    build_shop(db).close()
    without_audience(tmp_path / "mine", "win-back")
    drafts = tmp_path / "drafts.csv"
    exported = runner.invoke(app, [
        "export", "--db", str(db), "--templates", str(tmp_path / "mine"), "--as-of",
        "2026-11-05", "-t", "win-back", "-c", "1,2,3", "--discount", "10%", "--campaign",
        "autumn", "--out", str(drafts),
    ])  # fmt: skip
    assert exported.exit_code == 0, exported.output

    codes_file = tmp_path / "codes.csv"
    result = runner.invoke(app, ["codes", "export", "autumn", "--format", "csv", "--out",
                                 str(codes_file), "--db", str(db)])  # fmt: skip
    assert result.exit_code == 0, result.output
    with codes_file.open(encoding="utf-8", newline="") as file:
        codes = {row["customer_email"]: row["code"] for row in csv.DictReader(file)}
    assert len(codes) == 3 and all(CODE_PATTERN.fullmatch(code) for code in codes.values())
    conn = sqlite3.connect(db)
    emails = dict(conn.execute("SELECT id, email FROM customers WHERE id IN (1, 2, 3)"))
    conn.close()
    assert set(codes) == set(emails.values())

    # The shop's next export: customer 1 used their code (typed in lower case), customer 2
    # used customer 1's code too, customer 3 none.
    first = codes[emails[1]]
    orders = write_csv(tmp_path / "orders_export.csv", SHOPIFY_HEADER, [
        shopify_row("#9001", emails[1], "2026-11-10", "40.00", f" {first.lower()}"),
        shopify_row("#9002", emails[2], "2026-11-12", "25.00", first),
        shopify_row("#9003", emails[3], "2026-11-12", "30.00", ""),
    ])  # fmt: skip
    imported = runner.invoke(app, ["import", "orders", str(orders), "--db", str(db), "--json"])
    assert imported.exit_code == 0, imported.output
    summary = json.loads(imported.stdout)
    assert summary["codes_redeemed"] == 1
    assert summary["codes_reused"] == [{"code": first, "orders": ["#9001", "#9002"]}]

    shown = runner.invoke(app, ["customer", "show", "1", "--json", "--db", str(db)])
    history = json.loads(shown.stdout)["history"]
    assert [(c["campaign"], c["outcome"]) for c in history["contacts"]] == [("autumn", "drafted")]
    assert [(c["code"], c["redeemed_by"]) for c in history["codes"]] == [
        (first, ["#9001", "#9002"])
    ]
    assert [(r["order"], r["own_code"]) for r in history["redemptions"]] == [("#9001", True)]
