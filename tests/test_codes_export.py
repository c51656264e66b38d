"""`retain-tui codes export CAMPAIGN --format shopify|woocommerce|csv --out FILE`."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import core.codes.shop_files
from core.importers import import_file
from core.store import open_store
from tests.codes_support import GENERIC_HEADER, add_campaign, generic_row, write_csv
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
AMOUNT = {"kind": "amount", "value": 500, "currency": "EUR", "expires": "2025-01-15",
          "min_order": 3000, "prefix": "THANKS"}  # fmt: skip


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A shop with three customers, a percent campaign, an amount one and one without codes."""
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        orders = write_csv(tmp_path / "orders.csv", GENERIC_HEADER, [
            generic_row("A-1", "ann@example.com", "2024-10-02", "30.00", ""),
            generic_row("A-2", "björn@example.no", "2024-10-03", "30.00", ""),
            generic_row("A-3", "=HYPERLINK(1)@example.com", "2024-10-04", "30.00", ""),
        ])  # fmt: skip
        import_file(store, orders, "orders")
        ids = dict(store.execute("SELECT email, id FROM customers"))
        add_campaign(store, "winback-at_risk-2024-11-30", {
            "WINBACK-7KQ2M9XD": ids["ann@example.com"], "WINBACK-ABCDEFGH": ids["björn@example.no"],
        })  # fmt: skip
        add_campaign(store, "=thanks", {"THANKS-23456789": ids["=HYPERLINK(1)@example.com"]},
                     discount=AMOUNT)  # fmt: skip
        add_campaign(store, "no-codes", {})
    return path


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def test_csv_has_the_documented_columns(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "codes.csv"
    result = invoke("codes", "export", "winback-at_risk-2024-11-30", "--format", "csv",
                    "--out", out, "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote 2 codes of winback-at_risk-2024-11-30 (csv)" in result.stdout
    assert rows(out) == [
        ["code", "value", "type", "currency", "expires", "customer_email"],
        ["WINBACK-7KQ2M9XD", "10", "percent", "", "2024-12-31", "ann@example.com"],
        ["WINBACK-ABCDEFGH", "10", "percent", "", "2024-12-31", "björn@example.no"],
    ]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes()[:4] == b"code"  # no byte order mark before the first header
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


def test_amounts_and_formula_like_cells(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "codes.csv"
    assert invoke("codes", "export", "=thanks", "--format", "csv", "--out", out,
                  "--db", db).exit_code == 0  # fmt: skip
    assert rows(out)[1] == [
        "THANKS-23456789", "5.00", "amount", "EUR", "2025-01-15", "'=HYPERLINK(1)@example.com"
    ]  # fmt: skip
    woo = tmp_path / "woo.csv"
    assert invoke("codes", "export", "=thanks", "--format", "woocommerce", "--out", woo,
                  "--db", db).exit_code == 0  # fmt: skip
    header, row = rows(woo)
    cells = dict(zip(header, row, strict=True))
    assert cells["post_excerpt"] == "'=thanks"  # the campaign's name, neutralised
    assert (cells["discount_type"], cells["coupon_amount"], cells["minimum_amount"]) == (
        "fixed_cart", "5.00", "30.00",
    )  # fmt: skip
    shopify = tmp_path / "discounts.csv"
    assert invoke("codes", "export", "=thanks", "--format", "shopify", "--out", shopify,
                  "--db", db).exit_code == 0  # fmt: skip
    header, row = rows(shopify)
    cells = dict(zip(header, row, strict=True))
    assert cells["Title"] == "'=thanks"
    assert [cells[name] for name in ("Value Type", "Value", "Minimum Requirement",
                                     "Minimum Value", "Ends At")] == [
        "Fixed Amount", "5.00", "Minimum Purchase Amount", "30.00", "2025-01-15 23:59:59",
    ]  # fmt: skip


def test_shopify_matrixify_discounts_sheet(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "discounts.csv"
    result = invoke("codes", "export", "winback-at_risk-2024-11-30", "--format", "shopify",
                    "--out", out, "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert rows(out) == [
        ["Title", "Command", "Code", "Method", "Type", "Value Type", "Value", "Starts At",
         "Ends At", "Minimum Requirement", "Minimum Value", "Limit Total Times",
         "Limit One Use Per Customer"],
        ["winback-at_risk-2024-11-30", "MERGE", "WINBACK-7KQ2M9XD", "Code", "Amount off Order",
         "Percentage", "10", "2024-11-30 00:00:00", "2024-12-31 23:59:59", "None", "", "1",
         "TRUE"],
        ["winback-at_risk-2024-11-30", "MERGE", "WINBACK-ABCDEFGH", "Code", "Amount off Order",
         "Percentage", "10", "2024-11-30 00:00:00", "2024-12-31 23:59:59", "None", "", "1",
         "TRUE"],
    ]  # fmt: skip


def test_woocommerce_smart_coupons_csv(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "coupons.csv"
    result = invoke("codes", "export", "winback-at_risk-2024-11-30", "--format", "woocommerce",
                    "--out", out, "--db", db, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "campaign": "winback-at_risk-2024-11-30", "format": "woocommerce", "path": str(out),
        "codes": 2, "without_email": 0,
    }  # fmt: skip
    assert rows(out)[:2] == [
        ["post_title", "post_excerpt", "post_status", "discount_type", "coupon_amount",
         "individual_use", "usage_limit", "usage_limit_per_user", "date_expires",
         "minimum_amount", "customer_email"],
        ["WINBACK-7KQ2M9XD", "winback-at_risk-2024-11-30", "publish", "percent", "10", "no",
         "1", "1", "2024-12-31", "", "ann@example.com"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("campaign", "message"),
    [
        ("nope", "error: no campaign named 'nope' (campaigns: winback-at_risk-2024-11-30, "
                 "=thanks, no-codes)"),
        ("no-codes", "error: campaign 'no-codes' issued no codes (it was exported without "
                     "--discount): nothing to write"),
    ],
)  # fmt: skip
def test_unknown_campaign_or_none_issued_is_refused(
    db: Path, tmp_path: Path, campaign: str, message: str
) -> None:
    out = tmp_path / "codes.csv"
    result = invoke("codes", "export", campaign, "--format", "csv", "--out", out, "--db", db)
    assert result.exit_code == ExitCode.REFUSED
    assert result.stderr.replace("\n", " ").startswith(message)
    assert "Traceback" not in result.output
    assert not out.exists()


def test_an_existing_file_needs_overwrite(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "codes.csv"
    out.write_text("keep me\n")
    args = ("codes", "export", "=thanks", "--format", "csv", "--out", out, "--db", db)
    refused = invoke(*args)
    assert refused.exit_code == ExitCode.REFUSED and "--overwrite" in refused.stderr
    assert out.read_text() == "keep me\n"
    assert invoke(*args, "--overwrite").exit_code == 0
    assert rows(out)[0][0] == "code"


def test_a_failure_midway_leaves_no_file(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "codes.csv"
    out.write_text("the previous export\n")
    calls = []

    def failing(value: str) -> str:
        calls.append(value)
        if len(calls) > 8:
            raise OSError(28, "No space left on device")
        return value

    monkeypatch.setattr(core.codes.shop_files, "neutralise_cell", failing)
    result = invoke("codes", "export", "winback-at_risk-2024-11-30", "--format", "csv",
                    "--out", out, "--overwrite", "--db", db)  # fmt: skip
    assert result.exit_code == ExitCode.REFUSED
    assert "No space left on device" in result.stderr
    assert out.read_text() == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


def test_a_forgotten_recipient_s_code_has_no_address(db: Path, tmp_path: Path) -> None:
    assert invoke("forget", "ann@example.com", "--yes", "--db", db).exit_code == 0
    out = tmp_path / "codes.csv"
    result = invoke("codes", "export", "winback-at_risk-2024-11-30", "--format", "csv",
                    "--out", out, "--db", db)  # fmt: skip
    assert result.exit_code == 0
    assert "1 codes belong to customers without an address" in result.stderr
    assert rows(out)[1] == ["WINBACK-7KQ2M9XD", "10", "percent", "", "2024-12-31", ""]
