"""One as-of date for every command: the latest order's date, or `--as-of` (docs/metrics.md).

The shop's last order is years before the wall clock, so anything still counting from the
system clock finds nobody new, nobody with a fresh order, and a churned shop.

    Anna   1 Mar 2021, 20 May 2021
    Ben   25 May 2021
    Carla 31 May 2021      <- the latest order: the as-of date
    Dirk  10 Jan 2021
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.as_of import AsOfError, check_as_of, resolve_as_of
from core.demo import DEMO_SETTINGS
from core.importers import import_file
from core.store import open_store
from tui.cli import build_app

app = build_app()

ORDERS = """order_id,ordered_at,customer_id,email,total,status
1,2021-03-01,A,anna@example.com,30.00,paid
2,2021-05-20,A,anna@example.com,40.00,paid
3,2021-05-25,B,ben@example.com,25.00,paid
4,2021-05-31,C,carla@example.com,60.00,paid
5,2021-01-10,D,dirk@example.com,15.00,paid
"""
LATEST = "2021-05-31"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    orders = tmp_path / "orders.csv"
    orders.write_text(ORDERS, encoding="utf-8")
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        assert import_file(store, orders, "orders").rows_rejected == 0
        for key, value in DEMO_SETTINGS.items():
            store.set_setting(key, value)
    return path


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--db", str(db)], env={"COLUMNS": "200"})


def as_json(db: Path, *args: str) -> object:
    result = invoke(db, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def thank_you(db: Path, *args: str) -> dict:
    return as_json(db, "export", "-t", "thank-you", "--segment", "new", "--dry-run", *args)  # type: ignore[return-value]


def names_of(rows: object) -> list[str]:
    return sorted(str(row["email"]).split("@")[0] for row in rows)  # type: ignore[attr-defined,index]


def test_export_drafts_the_recent_customers_without_as_of(db: Path) -> None:
    """The demo's complaint: `export -t thank-you --segment new` drafted 0 of 51."""
    result = thank_you(db)
    assert result["as_of"] == LATEST
    # New (first order in the 30 days up to 31 May): Ben and Carla; both orders are fresh.
    assert (result["recipients"], result["drafted"], result["skipped"]) == (2, 2, {})


def test_every_command_uses_the_same_as_of_date(db: Path) -> None:
    stats = as_json(db, "stats")
    segments = as_json(db, "segments")
    customers = as_json(db, "customers")
    assert stats["as_of"] == LATEST  # type: ignore[index]
    assert {item["as_of"] for item in segments} == {LATEST}  # type: ignore[attr-defined]
    assert {row["as_of"] for row in customers} == {LATEST}  # type: ignore[attr-defined]
    new = next(item for item in segments if item["name"] == "new")  # type: ignore[attr-defined]
    assert new["count"] == 2
    carla = next(row for row in customers if row["email"] == "carla@example.com")  # type: ignore[attr-defined]
    assert carla["days_since_last_order"] == 0
    with open_store(db, create=True) as store:
        assert resolve_as_of(store) == date.fromisoformat(LATEST)


def test_an_earlier_as_of_ignores_later_orders_everywhere(db: Path) -> None:
    day = ("--as-of", "2021-05-26")
    stats = as_json(db, "stats", *day)
    assert (stats["as_of"], stats["orders"], stats["customers"]) == ("2021-05-26", 4, 3)  # type: ignore[index]
    assert stats["periods"][-1]["end"] == "2021-05-26"  # type: ignore[index]
    new = as_json(db, "customers", "--segment", "new", *day)
    assert names_of(new) == ["ben"]  # Carla's first order is after the as-of date
    carla = as_json(db, "customers", "--where", 'email = "carla@example.com"', *day)
    assert (carla[0]["orders"], carla[0]["last_order"]) == (0, None)  # type: ignore[index]
    result = thank_you(db, *day)
    assert (result["as_of"], result["recipients"], result["drafted"]) == ("2021-05-26", 1, 1)


def test_template_rules_see_each_customer_as_of_the_date(db: Path) -> None:
    ids = {row["email"]: str(row["id"]) for row in as_json(db, "customers")}  # type: ignore[attr-defined,index]
    anna, carla = ids["anna@example.com"], ids["carla@example.com"]

    def skipped(customer: str, as_of: str) -> dict:
        return thank_you(db, "--customer", customer, "--as-of", as_of)["skipped"]

    assert skipped(anna, "2021-05-26") == {}  # her 20 May order is 6 days old
    # As of 19 May her latest order is the one of 1 March: too old for a thank-you.
    assert skipped(anna, "2021-05-19") == {"order_too_old": 1}
    assert skipped(carla, "2021-05-26") == {"no_order": 1}  # her first order is on 31 May


def test_a_later_as_of_describes_a_quiet_shop(db: Path) -> None:
    day = ("--as-of", "2021-08-31")
    stats = as_json(db, "stats", *day)
    q2, q3 = stats["periods"][-2:]  # type: ignore[index]
    assert (q2["end"], q2["complete"]) == ("2021-06-30", True)
    assert (q3["start"], q3["end"], q3["complete"], q3["orders"]) == (
        "2021-07-01", "2021-08-31", False, 0)  # fmt: skip
    assert as_json(db, "customers", "--segment", "new", *day) == []
    assert thank_you(db, "--customer", "3", *day)["skipped"] == {"order_too_old": 1}


def test_the_unfinished_period_is_flagged_and_labelled(db: Path) -> None:
    periods = as_json(db, "stats")["periods"]  # type: ignore[index]
    assert [(p["start"], p["end"], p["complete"]) for p in periods] == [
        ("2021-01-01", "2021-03-31", True),
        ("2021-04-01", LATEST, False),  # E counted on the as-of date, not on 30 June
    ]
    result = invoke(db, "stats")
    assert result.exit_code == 0, result.output
    assert f"data to {LATEST}" in result.stdout
    assert "2021-Q2 so far" in result.stdout and "2021-Q1 so far" not in result.stdout
    assert f"the data ends on {LATEST}" in " ".join(result.stdout.split())
    monthly = invoke(db, "stats", "--period", "month")
    assert "2021-05 so far" not in monthly.stdout  # May ends on the as-of date: whole


def test_tables_say_what_date_the_data_ends_on(db: Path) -> None:
    for command in (("segments",), ("customers",), ("segment", "show", "new")):
        result = invoke(db, *command)
        assert result.exit_code == 0, result.output
        assert f"data to {LATEST}" in result.stdout, command
    result = invoke(db, "export", "-t", "thank-you", "--segment", "new", "--dry-run")
    assert f"data to {LATEST}" in result.stdout


COMMANDS = (
    ("stats",),
    ("segments",),
    ("segment", "show", "new"),
    ("customers",),
    ("export", "-t", "thank-you", "--segment", "new", "--dry-run"),
)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command[:3]))
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2020-12-31", "--as-of: 2020-12-31 is before the first order (2021-01-10)"),
        ("2999-01-01", "--as-of: 2999-01-01 is after today"),
        ("2021-02-30", "--as-of: not a date: '2021-02-30'"),
        ("yesterday", "--as-of: not a date"),
    ],
)
def test_bad_as_of_dates_are_refused(db: Path, command: tuple, value: str, message: str) -> None:
    result = invoke(db, *command, "--as-of", value)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output and result.stdout == ""


def test_check_as_of_bounds(db: Path) -> None:
    with open_store(db, create=True) as store:
        first, today = date(2021, 1, 10), date(2021, 6, 10)
        assert check_as_of(store, None) == date.fromisoformat(LATEST)
        assert check_as_of(store, first, today) == first
        assert check_as_of(store, today, today) == today
        with pytest.raises(AsOfError, match="after today"):
            check_as_of(store, today + timedelta(days=1), today)
        with pytest.raises(AsOfError, match="before the first order"):
            check_as_of(store, first - timedelta(days=1), today)
        # Data dated after the wall clock (a clock set wrong): its own last day is allowed.
        assert check_as_of(store, date.fromisoformat(LATEST), date(2021, 1, 1)) == date(2021, 5, 31)


def test_an_empty_store_is_as_of_today(tmp_path: Path) -> None:
    with open_store(tmp_path / "empty.db", create=True) as store:
        assert resolve_as_of(store) == date.today()
        assert check_as_of(store, date(2000, 1, 1)) == date(2000, 1, 1)
