"""`retain-tui segments`, `segment add|rm|show|rfm-table` and `customers`, through CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.importers import import_file
from core.store import open_store
from tests.segment_shop import fixture_store
from tui.cli import build_app

app = build_app()

CUSTOMER_KEYS = {
    "id", "external_id", "email", "first_name", "last_name", "country", "language",
    "accepts_marketing", "orders", "spent", "first_order", "last_order", "r", "f", "m",
    "rfm_segment", "segments", "as_of",
}  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    fixture_store(tmp_path).close()
    return tmp_path / "shop.db"


def invoke(db: Path, *args: str | Path) -> Result:
    """Run a command on `db`, on a wide terminal so table cells do not wrap."""
    return CliRunner().invoke(
        app, [*(str(arg) for arg in args), "--db", str(db)], env={"COLUMNS": "200"}
    )


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout


def refused(result: Result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert message in flat(result.stderr)
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_segments_json(db: Path) -> None:
    data = json.loads(ok(invoke(db, "segments", "--json")))
    by_name = {item["name"]: item for item in data}
    assert set(data[0]) == {"name", "kind", "definition", "description", "count", "share",
                            "marketing", "marketing_count", "as_of", "error", "revenue",
                            "average_order_value"}  # fmt: skip
    assert by_name["Lost"] == {
        "name": "Lost", "kind": "rfm", "definition": "R 1, F 1, M 1–5",
        "description": "RFM scores in these ranges (default table)", "count": 1,
        "share": 14.29, "marketing": True, "marketing_count": 1, "as_of": "2025-12-31",
        "error": None, "revenue": 45.0, "average_order_value": 45.0,
    }  # fmt: skip
    assert by_name["opted-out"]["marketing"] is False
    # By hand from tests/data/segments_orders.csv: C4's 999.99 + 10.00 over 2 orders is
    # 504.995, rounded half to even to 505.00; one-time: C2 45 + C3 30 (its cancelled 15 does
    # not count) + C5 25 over 3 orders; a segment without members has no average.
    money = {name: (item["revenue"], item["average_order_value"]) for name, item in by_name.items()}
    assert money["Can't Lose Them"] == (1009.99, 505.0)
    assert money["one-time"] == (100.0, 33.33)
    assert money["Loyal Customers"] == (350.5, 116.83)  # 120 + 80.50 + (200 - 50 refunded)
    assert money["Champions"] == (0.0, None)


def test_segments_table_for_people(db: Path) -> None:
    out = flat(ok(invoke(db, "segments")))
    assert "Segments · data to 2025-12-31" in out
    assert "Loyal Customers" in out and "opted-out" in out
    assert "transactional mail" in out


def test_segments_as_of_and_bad_dates(db: Path) -> None:
    data = json.loads(ok(invoke(db, "segments", "--json", "--as-of", "2024-06-30")))
    assert {item["as_of"] for item in data} == {"2024-06-30"}
    refused(invoke(db, "segments", "--as-of", "2024-13-01"), "--as-of: not a date")


def test_add_show_rm(db: Path) -> None:
    out = flat(ok(invoke(db, "segment", "add", "Wholesale", '"wholesale" in tags')))
    assert "Saved segment Wholesale: 2 customers (28.6%), 1 with marketing consent." in out
    shown = json.loads(ok(invoke(db, "segment", "show", "wholesale", "--json")))
    assert (shown["name"], shown["kind"], shown["count"]) == ("Wholesale", "custom", 2)
    text = flat(ok(invoke(db, "segment", "show", "Wholesale")))
    assert 'Definition: "wholesale" in tags' in text
    assert "retain-tui customers --segment Wholesale" in text
    refused(invoke(db, "segment", "add", "Wholesale", "orders > 1"),
            "segment 'Wholesale' already exists; add --replace to change it")  # fmt: skip
    ok(invoke(db, "segment", "add", "Wholesale", "orders > 1", "--replace"))
    ok(invoke(db, "segment", "rm", "wholesale"))
    refused(invoke(db, "segment", "show", "Wholesale"), "unknown segment 'Wholesale'")


def test_segment_errors_are_clear(db: Path) -> None:
    refused(invoke(db, "segment", "add", "Typo", "ordrs > 1"),
            "unknown field 'ordrs' at column 1; did you mean 'orders'?")  # fmt: skip
    refused(invoke(db, "segment", "add", "vip", "orders > 1"), "built-in behaviour segment")
    refused(invoke(db, "segment", "rm", "Lost"), "cannot be removed")
    refused(invoke(db, "segment", "show", "At Rsik"), "did you mean 'At Risk'?")
    refused(invoke(db, "segment", "add", "X", "'; DROP TABLE customers; --"), "unterminated")
    data = json.loads(ok(invoke(db, "customers", "--json")))
    assert len(data) == 7


def test_rfm_table_show_save_reset(db: Path, tmp_path: Path) -> None:
    out = ok(invoke(db, "segment", "rfm-table"))
    assert out.startswith("# in force: default")
    assert 'name = "Champions"' in out
    file = tmp_path / "rfm.toml"
    file.write_text('[[segment]]\nname = "Fans"\nr = [3, 5]\nf = 1\nm = [1, 5]\n',
                    encoding="utf-8")  # fmt: skip
    assert "RFM table saved: 1 rows" in ok(invoke(db, "segment", "rfm-table", file))
    names = [item["name"] for item in json.loads(ok(invoke(db, "segments", "--json")))]
    assert names[:2] == ["Fans", "Others"]
    ok(invoke(db, "segment", "rfm-table", "--reset"))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[segment]]\nname = "X"\nr = [0, 9]\nf = 1\nm = 1\n', encoding="utf-8")
    refused(invoke(db, "segment", "rfm-table", bad), "scores run from 1 to 5")
    refused(invoke(db, "segments", "--rfm-table", bad), "scores run from 1 to 5")
    refused(invoke(db, "segment", "rfm-table", tmp_path / "none.toml"), "cannot read")
    refused(invoke(db, "segment", "rfm-table", "--reset", file), "give it or a FILE, not both")
    data = json.loads(ok(invoke(db, "customers", "--json", "--rfm-table", file)))
    assert {row["rfm_segment"] for row in data} <= {"Fans", "Others", None}


def test_customers_json_and_options(db: Path) -> None:
    rows = json.loads(ok(invoke(db, "customers", "--json")))
    assert all(set(row) >= CUSTOMER_KEYS for row in rows)
    top = json.loads(ok(invoke(db, "customers", "--sort", "-spent", "--limit", "2", "--json")))
    assert [row["external_id"] for row in top] == ["C4", "C1"]
    assert top[0]["spent"] == 1009.99
    same = json.loads(ok(invoke(db, "customers", "--sort", "spent", "--desc", "--limit", "2",
                                "--json")))  # fmt: skip
    assert same == top
    page = json.loads(ok(invoke(db, "customers", "--segment", "one-time", "--where",
                                'country != "IT"', "--marketing", "--json")))  # fmt: skip
    assert [row["external_id"] for row in page] == ["C2", "C5"]
    refused(invoke(db, "customers", "--where", "ordrs > 1"), "did you mean 'orders'?")
    refused(
        invoke(db, "customers", "--sort", "spnt"),
        "--sort: cannot sort by unknown field 'spnt'; did you mean 'spent'?",
    )
    refused(
        invoke(db, "customers", "--sort", "-tags"), "--sort: cannot sort by 'tags'; sort by one"
    )
    assert json.loads(ok(invoke(db, "customers", "--sort", "-ID", "--json")))[0]["id"] == 7
    refused(invoke(db, "customers", "--segment", "nope"), "unknown segment 'nope'")
    assert invoke(db, "customers", "--limit", "-1").exit_code == 2


def test_customer_text_never_becomes_markup_or_terminal_codes(db: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(
        "customer_id,email,first_name,last_name,country\n"
        'H1,h@example.com,"[@click=app.quit]\x1b[2J","Evil\r\nBcc: x@example.com",DE\n',
        encoding="utf-8",
    )
    with open_store(db) as store:
        import_file(store, hostile, "customers", fmt="generic")
    out = ok(invoke(db, "customers"))
    assert "\x1b" not in out and "\r" not in out
    assert "[@click=app.quit]" in flat(out)
    assert "\\x1b[2J" in out
    assert "[bold]Frank" in flat(out)
    assert "=HYPERLINK(1)" in flat(out)
    data = json.loads(ok(invoke(db, "customers", "--json", "--where", 'external_id = "H1"')))
    assert data[0]["first_name"] == "[@click=app.quit]\x1b[2J"
    ok(invoke(db, "segment", "add", "[red]Mine", "orders > 0"))
    assert "[red]Mine" in flat(ok(invoke(db, "segments")))
