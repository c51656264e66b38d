"""`retain-tui products` and `retain-tui drivers` through CliRunner, on a shop small enough to
work out by hand (tests/data/drivers_small.csv), plus stats' returning revenue on it.

The shop, as of 2024-03-20 (its latest counting order; O7 is cancelled, O8 refunded in full):
C1 first ordered O1 (WELCOME; TEA and MUG; 30.00), then O2 (TEA, 20.00) and O3 (TEA,
25.00 less 5.00 refunded): 3 orders, 70.00. C2: O4 (" welcome " is WELCOME; TEA; 40.00)
only. C3: O5 at 10:00 (MUG, 15.00) is first, O6 at 15:00 the same day (BOX, 10.00): 2 orders,
25.00, a repeat customer as in `stats`. C4: O8 does not count, so O9 (no SKU: "Loose
sencha", 12.00) is first and only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.importers import import_file
from core.store import open_store
from tui.cli import build_app

app = build_app()
DATA = Path(__file__).parent / "data"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        result = import_file(store, DATA / "drivers_small.csv", "orders")
        assert result.rows_rejected == 0, result.errors
    return path


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--db", str(db)], env={"COLUMNS": "120"})


def ok_json(result: Result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result: Result, message: str) -> None:
    """Exit 2, one `error:` line naming the option, nothing on stdout, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_products_by_hand(db: Path) -> None:
    figures = ok_json(invoke(db, "products", "--json"))
    assert (figures["as_of"], figures["sort"]) == ("2024-03-20", "-first_order_customers")
    by_key = {row["key"]: row for row in figures["products"]}
    # Most first-order customers first; MUG and TEA tie at 2 and go by key.
    assert list(by_key) == ["MUG", "TEA", "Loose sencha", "BOX"]
    assert by_key["TEA"] == {
        "key": "TEA", "sku": "TEA", "name": "Earl Grey",
        "first_order_customers": 2, "repeat_customers": 1, "repeat_rate": 50.0,
        "revenue_per_customer": 55.0,  # (C1 70 + C2 40) / 2
        "revenue_after_first_per_customer": 20.0,  # (C1 70 - 30 + C2 0) / 2
        "comparable": False,
        "buyers": 2, "reorder_customers": 1, "reorder_rate": 50.0,
        "median_reorder_days": 36.0,  # C1: O1 on 5 January, O2 on 10 February
    }  # fmt: skip
    mug = by_key["MUG"]  # C1 and C3 came in with it; neither bought it again (O7 cancelled)
    assert (mug["first_order_customers"], mug["repeat_rate"], mug["revenue_per_customer"],
            mug["revenue_after_first_per_customer"], mug["buyers"], mug["reorder_rate"],
            mug["median_reorder_days"]) == (2, 100.0, 47.5, 25.0, 2, 0.0, None)  # fmt: skip
    sencha = by_key["Loose sencha"]  # no SKU: keyed by its name
    assert (sencha["sku"], sencha["first_order_customers"], sencha["repeat_rate"]) == (None, 1, 0.0)
    box = by_key["BOX"]  # only in C3's second order and in C4's order that does not count
    assert (box["name"], box["first_order_customers"], box["repeat_rate"], box["buyers"]) == (
        "Box [red]x[/red]",
        0,
        None,
        1,
    )
    assert box["revenue_per_customer"] is None


def test_products_sort_and_limit(db: Path) -> None:
    rows = ok_json(invoke(db, "products", "--sort", "-median_reorder_days", "--json"))
    assert [row["key"] for row in rows["products"]] == ["TEA", "BOX", "Loose sencha", "MUG"]
    rows = ok_json(invoke(db, "products", "--sort", "repeat_rate", "--limit", "2", "--json"))
    assert [row["key"] for row in rows["products"]] == ["Loose sencha", "TEA"]
    rows = ok_json(invoke(db, "products", "--sort", "name", "--json"))
    assert [row["name"] for row in rows["products"]][:2] == ["Box [red]x[/red]", "Earl Grey"]


def test_products_as_of_an_earlier_day(db: Path) -> None:
    """On 31 January: C1 (one order so far) and C2; TEA has no reorder yet."""
    by_key = {r["key"]: r for r in ok_json(invoke(db, "products", "--as-of", "2024-01-31",
                                                  "--json"))["products"]}  # fmt: skip
    assert set(by_key) == {"TEA", "MUG"}
    assert (by_key["TEA"]["repeat_rate"], by_key["TEA"]["revenue_per_customer"]) == (0.0, 35.0)
    assert (by_key["TEA"]["reorder_rate"], by_key["TEA"]["median_reorder_days"]) == (0.0, None)


def test_products_table_is_safe_and_marks_small_groups(db: Path) -> None:
    result = invoke(db, "products")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Box [red]x[/red]" in out  # a product name is data, not markup
    assert re.search(r"Earl Grey +2 \* +50\.0 +55\.00 +20\.00 +2 +50\.0 +36\b", out)
    assert "fewer than 30 customers, too few to compare" in out
    assert "retain-tui customers --where 'first_bought(\"MUG\")'" in out


def test_drivers_by_code_by_hand(db: Path) -> None:
    figures = ok_json(invoke(db, "drivers", "--json"))
    assert (figures["as_of"], figures["by"], figures["min_comparable"]) == (
        "2024-03-20",
        "code",
        30,
    )
    assert figures["groups"] == [
        {"group": None, "customers": 2, "repeat_customers": 1, "repeat_rate": 50.0,
         "revenue_per_customer": 18.5,  # (C3 25 + C4 12) / 2
         "revenue_after_first_per_customer": 5.0,  # (C3 25 - 15 + C4 0) / 2
         "comparable": False},
        {"group": "WELCOME", "customers": 2, "repeat_customers": 1, "repeat_rate": 50.0,
         "revenue_per_customer": 55.0, "revenue_after_first_per_customer": 20.0,
         "comparable": False},
    ]  # fmt: skip


def test_drivers_by_month_by_hand(db: Path) -> None:
    groups = ok_json(invoke(db, "drivers", "--by", "month", "--json"))["groups"]
    assert [(g["group"], g["customers"], g["repeat_rate"], g["revenue_per_customer"],
             g["revenue_after_first_per_customer"]) for g in groups] == [
        ("2024-01", 2, 50.0, 55.0, 20.0),
        ("2024-02", 1, 100.0, 25.0, 10.0),
        ("2024-03", 1, 0.0, 12.0, 0.0),
    ]  # fmt: skip


def test_drivers_table(db: Path) -> None:
    result = invoke(db, "drivers")
    assert result.exit_code == 0, result.output
    assert re.search(r"no code +2 \* +50\.0 +18\.50 +5\.00", result.stdout)
    assert re.search(r"WELCOME +2 \* +50\.0 +55\.00 +20\.00", result.stdout)


def test_first_bought_lists_whom_a_product_brought_in(db: Path) -> None:
    def ids(expression: str) -> list[str]:
        rows = ok_json(invoke(db, "customers", "--where", expression, "--json"))
        return sorted(str(row["external_id"]) for row in rows)  # type: ignore[index]

    assert ids('first_bought("TEA")') == ["C1", "C2"]
    assert ids('first_bought("TEA") and orders = 1') == ["C2"]  # came once, never again
    assert ids('first_bought("Loose sencha")') == ["C4"]
    assert ids('first_bought("BOX")') == []  # C3's first order is O5 (10:00), not O6 (15:00)


def test_stats_returning_revenue_by_hand(db: Path) -> None:
    periods = ok_json(invoke(db, "stats", "--period", "month", "--json"))["periods"]
    assert [(p["start"], p["revenue"], p["revenue_returning"], p["revenue_returning_share"])
            for p in periods] == [
        ("2024-01-01", 70.0, 0.0, 0.0),  # C1 and C2 start
        ("2024-02-01", 45.0, 20.0, 44.4444),  # C1's O2 of C1 20, C3 new 25
        ("2024-03-01", 32.0, 20.0, 62.5),  # C1's O3 20 (net), C4 new 12
    ]  # fmt: skip
    # Clipped by --from: C3's first order (1 February) is before the period, but outside it.
    clipped = ok_json(invoke(db, "stats", "--period", "month", "--from", "2024-02-05",
                             "--json"))["periods"]  # fmt: skip
    assert [(p["start"], p["revenue"], p["revenue_returning"]) for p in clipped] == [
        ("2024-02-05", 20.0, 20.0), ("2024-03-01", 32.0, 20.0)
    ]  # fmt: skip
    out = invoke(db, "stats", "--period", "month").stdout
    assert re.search(r"2024-02 .* 45 +44\.4\s", out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("products", "--sort", "bogus"), "--sort: unknown column 'bogus'; choose one of key,"),
        (("products", "--sort", "-"), "--sort: unknown column ''"),
        (("drivers", "--by", "week"), "--by: unknown grouping 'week'; choose one of code, month"),
        (("drivers", "--as-of", "2024-13-01"), "--as-of: not a date"),
        (("products", "--as-of", "2023-12-31"), "--as-of: 2023-12-31 is before the first order"),
    ],
)
def test_bad_options_are_refused_in_one_line(db: Path, args: tuple[str, ...], message: str) -> None:
    refused(invoke(db, *args), message)


def test_limit_must_be_positive(db: Path) -> None:
    result = invoke(db, "products", "--limit", "0")
    assert result.exit_code == 2 and "--limit" in result.stderr
    assert "Traceback" not in result.output


def test_missing_database_is_refused(tmp_path: Path) -> None:
    for command in ("products", "drivers"):
        result = invoke(tmp_path / "nope.db", command)
        assert result.exit_code == 2 and "nope.db" in result.stderr
        assert not (tmp_path / "nope.db").exists()


def test_empty_shop_says_so(tmp_path: Path) -> None:
    open_store(tmp_path / "empty.db", create=True).close()
    result = invoke(tmp_path / "empty.db", "products")
    assert result.exit_code == 0 and "No products" in result.stdout
    result = invoke(tmp_path / "empty.db", "drivers")
    assert result.exit_code == 0 and "No customers" in result.stdout
    assert ok_json(invoke(tmp_path / "empty.db", "drivers", "--json"))["groups"] == []
    assert ok_json(invoke(tmp_path / "empty.db", "products", "--json"))["products"] == []


def test_the_migration_fills_each_cohorts_revenue(db: Path) -> None:
    """A shop from before cohort revenue (its column dropped again here) gets the same rows
    as an import keeps; the step is found by what it does, not by its number."""
    from core.schema import MIGRATIONS
    from core.schema_programme import _add_cohort_revenue

    assert _add_cohort_revenue in MIGRATIONS
    with open_store(db) as store:
        kept = store.execute("SELECT * FROM cohort_months ORDER BY 1, 2").fetchall()
        assert [row[3] for row in kept] == [7000, 2000, 2000, 2500, 1200]  # cents, by hand
        with store.write() as conn:
            conn.execute("ALTER TABLE cohort_months DROP COLUMN revenue")
            _add_cohort_revenue(conn)
        assert store.execute("SELECT * FROM cohort_months ORDER BY 1, 2").fetchall() == kept
