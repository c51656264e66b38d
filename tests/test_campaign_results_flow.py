"""From a recorded export to its results: `export` with codes and a holdout, then an import of
the orders that came after, then `campaigns --json`, each figure counted here from the rows
the export recorded and the orders written below."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.importers import import_file
from core.store import open_store
from tests.clock import campaign_clock
from tests.compose_support import build_shop, without_audience
from tui.cli import build_app

app = build_app()
runner = CliRunner()
EVERYONE = "1,2,3,4,5,6,7,8,9"


def invoke(*args: object) -> str:
    result = runner.invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_an_export_and_the_orders_after_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = tmp_path / "shop.db"
    build_shop(db).close()
    without_audience(tmp_path / "mine", "win-back")
    campaign_clock(monkeypatch, "2026-11-06T09:00:00+00:00")
    invoke("export", "--db", db, "--templates", tmp_path / "mine", "--as-of", "2026-11-05",
           "-t", "win-back", "-c", EVERYONE, "--discount", "10%", "--holdout", "30%",
           "--campaign", "wb", "--format", "csv", "--out", tmp_path / "drafts.csv")  # fmt: skip

    conn = sqlite3.connect(db)
    external = dict(conn.execute("SELECT id, external_id FROM customers"))
    recorded = conn.execute("SELECT customer_id, outcome, reason FROM campaign_recipients")
    drafted, held_out, left_out = [], [], {}
    for customer, outcome, reason in recorded.fetchall():
        if outcome == "drafted":
            drafted.append(customer)
        elif outcome == "held_out":
            held_out.append(customer)
        else:
            left_out[reason] = left_out.get(reason, 0) + 1
    codes = dict(conn.execute("SELECT customer_id, code FROM discount_codes"))
    conn.close()
    drafted.sort()
    assert len(drafted) >= 3 and held_out and sorted(codes) == drafted

    # After the campaign: two drafted customers order with their code (typed in lower case,
    # with spaces), a third's coded order is cancelled, a held-out customer orders without
    # one; the third's order on the as-of day itself is before the window.
    first, second, third = drafted[:3]
    later = [
        ("9001", "2026-11-10", first, "31.00", "paid", f"  {codes[first].lower()} "),
        ("9002", "2026-12-05", second, "12.50", "paid", codes[second]),
        ("9003", "2026-11-12", third, "40.00", "cancelled", codes[third]),
        ("9004", "2026-11-20", held_out[0], "22.00", "paid", ""),
        ("9005", "2026-11-05", third, "18.00", "paid", ""),
    ]
    orders = tmp_path / "later.csv"
    with orders.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "ordered_at", "customer_id", "total", "status",
                         "discount_code"])  # fmt: skip
        for order_id, day, customer, total, status, code in later:
            writer.writerow([order_id, day, external[customer], total, status, code])
    with open_store(db) as store:
        imported = import_file(store, orders, "orders", fmt="generic")
    assert imported.rows_rejected == 0, imported.errors

    [row] = json.loads(invoke("campaigns", "wb", "--json", "--db", db))
    assert (row["drafted"], row["held_out"], row["left_out"]) == (
        len(drafted), len(held_out), left_out,
    )  # fmt: skip
    assert (row["codes_issued"], row["codes_redeemed"]) == (len(drafted), 2)
    assert (row["redeeming_orders"], row["revenue"]) == (2, 43.5)
    # Ordered again in (11-05, 12-05]: first (11-10) and second (12-05, the last day);
    # third's only order in the window is cancelled; the held-out customer on 11-20.
    assert (row["reordered_drafted"], row["reordered_held_out"]) == (2, 1)
    assert row["reorder_rate_drafted"] == round(200 / len(drafted), 4)
    assert row["reorder_rate_held_out"] == round(100 / len(held_out), 4)
    assert row["window_complete"] is True and row["window_end"] == "2026-12-05"
    assert row["uplift_ci"][0] <= row["uplift"] <= row["uplift_ci"][1]
