"""The read-only views for other tools (core/shop_views.py): there after an import, readable
by the sqlite-utils CLI, their figures those of `customers --json` and of the imported CSV,
read-only, and holding nothing of a forgotten person."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.erasure import find_person, forget_customers
from core.shop_views import SHOP_VIEWS
from core.store import open_store
from tests.segment_shop import ORDERS_CSV, fixture_store
from tui.cli import build_app

SQLITE_UTILS = Path(sys.executable).with_name("sqlite-utils")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    fixture_store(tmp_path).close()
    return tmp_path / "shop.db"


def view_rows(db: Path, view: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(f"SELECT * FROM {view}")]
    finally:
        conn.close()


def test_the_views_exist_after_an_import(db: Path) -> None:
    with open_store(db) as store:
        assert set(SHOP_VIEWS) <= set(store.db.view_names())


def test_sqlite_utils_cli_prints_the_customers(db: Path) -> None:
    done = subprocess.run(
        [str(SQLITE_UTILS), "rows", str(db), "customers_view"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    rows = json.loads(done.stdout)
    assert len(rows) == 7
    anna = next(row for row in rows if row["email"] == "anna@example.com")
    assert anna["first_name"] == "Anna" and anna["marketing_consent"] == "yes"


def test_customers_view_agrees_with_customers_json(db: Path) -> None:
    result = CliRunner().invoke(build_app(), ["customers", "--json", "--db", str(db)])
    listed = {row["id"]: row for row in json.loads(result.stdout)}
    viewed = {row["id"]: row for row in view_rows(db, "customers_view")}
    assert viewed.keys() == listed.keys()
    consent = {True: "yes", False: "no", None: "unknown"}
    for customer_id, row in viewed.items():
        expected = listed[customer_id]
        assert row["email"] == expected["email"]
        assert row["shop_customer_id"] == expected["external_id"]
        assert row["orders"] == expected["orders"]
        assert row["spent"] == expected["spent"]
        assert row["average_order"] == expected["aov"]
        assert row["first_order"] == expected["first_order"]
        assert row["last_order"] == expected["last_order"]
        assert row["marketing_consent"] == consent[expected["accepts_marketing"]]


def test_orders_view_reads_as_the_imported_file(db: Path) -> None:
    """Order numbers, ISO dates and decimal money as in tests/data/segments_orders.csv."""
    with ORDERS_CSV.open(encoding="utf-8", newline="") as file:
        source = list(csv.DictReader(file))
    viewed = {row["order_number"]: row for row in view_rows(db, "orders_view")}
    assert viewed.keys() == {row["order_id"] for row in source}
    for line in source:
        row = viewed[line["order_id"]]
        assert row["order_date"] == line["ordered_at"][:10]
        assert row["total"] == float(line["total"])
        assert row["refunded"] == float(line["refunded"] or 0)
        assert row["net"] == round(float(line["total"]) - float(line["refunded"] or 0), 2)
    lines = view_rows(db, "order_lines_view")
    keys = ("order_number", "sku", "quantity", "line_total")
    assert {tuple(row[key] for key in keys) for row in lines} == {
        (line["order_id"], line["sku"], int(line["quantity"]),
         round(int(line["quantity"]) * float(line["price"]), 2))
        for line in source if line["sku"]
    }  # fmt: skip


def test_the_views_are_read_only(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        for view in SHOP_VIEWS:
            with pytest.raises(sqlite3.OperationalError, match="view"):
                conn.execute(f"DELETE FROM {view}")
    finally:
        conn.close()


def test_nothing_of_a_forgotten_person_is_left_in_the_views(db: Path) -> None:
    before = {view: view_rows(db, view) for view in SHOP_VIEWS}
    anna = next(row for row in before["customers_view"] if row["email"] == "anna@example.com")
    personal = {
        str(value) for key, value in anna.items()
        if key in ("email", "first_name", "last_name", "shop_customer_id", "tags",
                   "customer_since") and value
    }  # fmt: skip
    anna_orders = [row for row in before["orders_view"] if row["customer_id"] == anna["id"]]
    personal |= {str(row["discount_code"]) for row in anna_orders if row["discount_code"]}
    assert len(personal) >= 5
    with open_store(db) as store:
        forget_customers(store, find_person(store, "anna@example.com"))
    after = {view: view_rows(db, view) for view in SHOP_VIEWS}
    for view, rows in after.items():
        for row in rows:
            for value in row.values():
                assert not any(secret in str(value) for secret in personal), (view, row)
    row = next(row for row in after["customers_view"] if row["id"] == anna["id"])
    assert row["marketing_consent"] == "no"
    assert (row["orders"], row["spent"]) == (anna["orders"], anna["spent"])  # figures stay
