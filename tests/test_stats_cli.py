"""`retain-tui stats`, through Typer's CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.importers import import_file
from core.metrics import compute_stats
from core.store import open_store
from tui.cli import build_app

app = build_app()

DATA = Path(__file__).parent / "data"
JSON_KEYS = {
    "customers", "orders", "revenue", "repeat_purchase_rate", "purchase_frequency",
    "average_order_value", "revenue_per_customer", "avg_days_between_orders", "period",
    "window_days", "periods", "cohorts",
}  # fmt: skip
PERIOD_KEYS = {"start", "end", "B", "E", "N", "crr", "churn", "returning_customer_rate",
               "orders", "revenue"}  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        import_file(store, DATA / "metrics_small.csv", "orders")
    return path


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["stats", *(str(arg) for arg in args)])


def test_json_is_the_documented_object(db: Path) -> None:
    result = invoke("--period", "month", "--window", "30", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures) >= JSON_KEYS
    assert all(set(row) >= PERIOD_KEYS for row in figures["periods"])
    assert (figures["period"], figures["window_days"]) == ("month", 30)
    with open_store(db) as store:
        assert figures == compute_stats(store, "month", 30)
    assert figures["periods"][1]["crr"] == 50.0


def test_from_and_to_reach_the_engine(db: Path) -> None:
    result = invoke("--from", "2024-01-10", "--to", "2024-03-26", "--json", "--db", db)
    figures = json.loads(result.stdout)
    assert (figures["orders"], figures["periods"][0]["start"]) == (4, "2024-01-10")
    assert figures["periods"][-1]["end"] == "2024-03-26"


def test_table_shows_b_e_n_beside_the_crr_formula(db: Path) -> None:
    with open_store(db) as store:
        store.set_setting("shop.currency", "[bold]EUR\x1b[2J")
    result = invoke("--period", "month", "--window", "30", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(E−N)/B" in out and "Retention by month, active window 30 days" in out
    # February: B 2, E 2, N 1, CRR 50.0, churn 50.0, returning 50.0, 2 orders, 90 revenue.
    assert re.search(r"2024-02 +2 +2 +1 +50\.0 +50\.0 +50\.0 +2 +90\b", out)
    assert re.search(r"2024-01 +0 +2 +2 +– +– +0\.0", out)  # B = 0: no rate
    assert re.search(
        r"Revenue \(customers\) +430\.00 \[bold\]EUR", out
    )  # the setting is not markup
    assert "\x1b" not in out
    assert re.search(r"2024-01 +2 +50\.0 +50\.0\s", out)  # cohort: +1 and +2 months


def test_empty_store_says_so(tmp_path: Path) -> None:
    open_store(tmp_path / "empty.db", create=True).close()  # as an import that added nothing
    result = invoke("--db", tmp_path / "empty.db")
    assert result.exit_code == 0
    assert "No orders yet" in result.stdout
    figures = json.loads(invoke("--json", "--db", tmp_path / "empty.db").stdout)
    assert (figures["customers"], figures["orders"], figures["revenue"]) == (0, 0, 0.0)
    assert (figures["periods"], figures["cohorts"]) == ([], {})


def test_range_without_orders_says_so(db: Path) -> None:
    result = invoke("--from", "2030-01-01", "--db", db)
    assert result.exit_code == 0
    assert "No counting orders from 2030-01-01: the data ends on 2024-03-30." in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2024-13-01"), "--from: not a date: '2024-13-01' (expected YYYY-MM-DD)"),
        (("--to", "yesterday"), "--to: not a date"),
        (("--from", "2024-03-01", "--to", "2024-02-01"), "the range starts (2024-03-01) after"),
        (
            ("--period", "week"),
            "Invalid value for '--period': 'week' is not one of 'month', 'quarter', 'year'",
        ),
    ],
)
def test_bad_options_fail_clearly(db: Path, args: tuple[str, ...], message: str) -> None:
    result = invoke(*args, "--db", db)
    assert result.exit_code == 2
    assert message in re.sub(r"\s+", " ", result.stderr)
    assert "Traceback" not in result.output


def test_window_must_be_positive(db: Path) -> None:
    result = invoke("--window", "0", "--db", db)
    assert result.exit_code == 2
    assert "--window" in result.stderr and "Traceback" not in result.output


def test_every_json_key_is_documented(db: Path) -> None:
    docs = (Path(__file__).parent.parent / "docs" / "metrics.md").read_text(encoding="utf-8")
    figures = json.loads(invoke("--json", "--db", db).stdout)
    for key in [*figures, *figures["periods"][0]]:
        assert f'"{key}"' in docs, key


def test_guests_revenue_is_shown_apart_from_customers(tmp_path: Path) -> None:
    db = tmp_path / "guests.db"
    with open_store(db, create=True) as store:
        import_file(store, Path(__file__).parent / "data" / "metrics_guest_shopify.csv", "orders")
    out = invoke("--db", db).stdout
    assert re.search(r"Revenue \(customers\) +50\.00\n", out)
    assert re.search(r"Guests \(not counted\) +500\.00, 1 order\n", out)
    figures = json.loads(invoke("--json", "--db", db).stdout)
    assert (figures["revenue"], figures["orders_guests"], figures["revenue_guests"]) == (
        50.0,
        1,
        500.0,
    )


def test_nps_per_period_with_its_counts_in_the_table_and_json(db: Path, tmp_path: Path) -> None:
    """January: A 10, B 8 -> (1 - 0) / 2 = +50; February: A 9 then 4 (the 4 counts), C 10 ->
    (1 - 1) / 2 = 0; March: none."""
    from core.nps.importer import import_responses

    answers = tmp_path / "answers.csv"
    answers.write_text(
        "customer_id,score,answered_at\nA,10,2024-01-06\nB,8,2024-01-21\nA,9,2024-02-11\n"
        "A,4,2024-02-12\nC,10,2024-02-29\n",
        encoding="utf-8",
    )
    with open_store(db) as store:
        assert import_responses(store, answers).rows_rejected == 0
    figures = json.loads(invoke("--period", "month", "--json", "--db", db).stdout)
    rows = [{key: row[key] for key in ("nps", "promoters", "passives", "detractors",
                                       "responses")} for row in figures["periods"]]  # fmt: skip
    assert rows == [
        {"nps": 50.0, "promoters": 1, "passives": 1, "detractors": 0, "responses": 2},
        {"nps": 0.0, "promoters": 1, "passives": 0, "detractors": 1, "responses": 2},
        {"nps": None, "promoters": 0, "passives": 0, "detractors": 0, "responses": 0},
    ]
    out = invoke("--period", "month", "--db", db).stdout
    assert "NPS by month: each customer's latest answer in the period" in out
    assert re.search(r"2024-01 +2 +1 +1 +0 +\+50\.0 *\n", out)
    assert re.search(r"2024-02 +2 +1 +0 +1 +\+0\.0 *\n", out)
    assert re.search(r"2024-03 so far +0 +0 +0 +0 +– *\n", out)


def test_without_answers_stats_says_how_to_get_them(db: Path) -> None:
    out = invoke("--db", db).stdout
    assert "NPS: no survey answers in these periods (`retain-tui import responses FILE`" in out
