"""`retain-tui predict` end to end on a real import of the CDNOW sample, and its refusals."""

from __future__ import annotations

import csv
import json
import math
import random
import re
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.importers import import_file
from core.predict import forecast, latest_fit, save_forecast
from core.predict.stored import customers_whose_p_alive_fell_below, save_predictions
from core.segments import count_matching
from core.store import open_store
from tests.conftest import committed_state
from tests.paused_child import run_until_ready, signalled
from tests.prediction_support import cdnow_copy_fixture, cdnow_db_fixture  # noqa: F401
from tests.test_predict_cdnow import CALIBRATION_END
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
JSON_TOP = {"as_of", "horizon_days", "bgnbd", "gamma_gamma", "customers"}
CUSTOMER_KEYS = {"id", "external_id", "p_alive", "expected_orders", "expected_spend", "clv"}


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["predict", *args, "--db", str(db)], env={"COLUMNS": "200"})


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_predict_json_is_the_issues_shape(db: Path) -> None:
    result = invoke(db, "--as-of", "1997-09-30", "--horizon-days", "273", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == JSON_TOP
    assert data["as_of"] == "1997-09-30"
    assert data["horizon_days"] == 273
    assert set(data["bgnbd"]) == {"r", "alpha", "a", "b", "time_unit"}
    assert data["bgnbd"]["time_unit"] == "weeks"
    assert data["bgnbd"]["alpha"] == pytest.approx(4.414, rel=0.01)
    assert set(data["gamma_gamma"]) == {"p", "q", "v"}
    assert len(data["customers"]) == 2357
    assert all(set(row) == CUSTOMER_KEYS for row in data["customers"])
    first = data["customers"][0]
    assert first["external_id"] == "00050"  # ids ascending, as imported
    for row in data["customers"]:
        assert 0 <= row["p_alive"] <= 1
        assert row["expected_orders"] >= 0 and row["expected_spend"] > 0 and row["clv"] >= 0


def test_predict_prints_parameters_fit_check_and_top_customers(db: Path) -> None:
    result = invoke(db, "--as-of", "1997-09-30", "--top", "3")
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "Predictions as of 1997-09-30 for the next 365 days" in out
    assert "time unit: weeks" in out
    assert re.search(r"BG/NBD: r = 0\.24\d*, α = 4\.41\d* weeks, a = 0\.79\d*, b = 2\.4\d*", out)
    assert re.search(r"Gamma-Gamma: p = 6\.2\d*, q = 3\.7\d*, γ = 15\.4\d*", out)
    assert "Fit check" in out and "7+" in out
    assert "Top 3 customers by CLV" in out
    assert "retain-tui predict --json" in out
    assert result.stderr == ""


def test_predictions_are_stored_and_usable_in_segments(db: Path) -> None:
    assert invoke(db, "--as-of", "1997-09-30").exit_code == 0
    with open_store(db) as store:
        fit = latest_fit(store)
        assert fit is not None and fit.as_of == CALIBRATION_END and fit.horizon_days == 365
        assert fit.stale  # the file runs to June 1998
        assert "run `retain-tui predict`" in (fit.staleness_note() or "")
        rows = store.execute("SELECT p_alive, clv FROM predictions").fetchall()
        assert len(rows) == 2357
        brute = sum(1 for p_alive, clv in rows if p_alive < 0.3 and clv > 10_000)
        assert brute > 0
        assert count_matching(store, "p_alive < 0.3 and clv > 100") == brute
        assert count_matching(store, "not p_alive < 0.3") == 2357 - sum(
            1 for p_alive, _clv in rows if p_alive < 0.3
        )


def test_a_second_fit_keeps_the_previous_p_alive_for_the_trigger(db: Path) -> None:
    assert invoke(db, "--as-of", "1997-06-30").exit_code == 0
    with open_store(db) as store:
        before = dict(store.execute("SELECT customer_id, p_alive FROM predictions"))
    assert invoke(db).exit_code == 0  # as of the latest order, a year later
    with open_store(db) as store:
        assert latest_fit(store).as_of == date(1998, 6, 30)  # type: ignore[union-attr]
        assert not latest_fit(store).stale  # type: ignore[union-attr]
        rows = store.execute("SELECT customer_id, p_alive, previous_p_alive FROM predictions")
        now = {customer: (p, previous) for customer, p, previous in rows}
        assert store.scalar("SELECT count(*) FROM prediction_fits") == 1
        dropped = customers_whose_p_alive_fell_below(store, 0.5)
    assert {c: previous for c, (_p, previous) in now.items() if c in before} == before
    assert all(now[c][1] is None for c in now.keys() - before.keys())
    assert dropped == sorted(c for c in before if before[c] >= 0.5 and now[c][0] < 0.5)
    assert dropped


def test_too_few_repeat_customers_is_refused_and_stores_nothing(tmp_path: Path, data) -> None:
    db = tmp_path / "small.db"
    with open_store(db, create=True) as store:
        import_file(store, data("generic_orders.csv"), "orders")
    result = invoke(db)
    assert result.exit_code == ExitCode.REFUSED
    assert result.stdout == ""
    assert flat(result.stderr).startswith("error: too few repeat customers to predict: ")
    assert "the models need at least 200" in result.stderr
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM prediction_fits") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--horizon-days", "0"], "--horizon-days"),
        (["--horizon-days", "99999"], "--horizon-days"),
        (["--as-of", "1996-01-01"], "--as-of: 1996-01-01 is before the first order"),
        (["--as-of", "yesterday"], "--as-of: not a date"),
    ],
)
def test_bad_options_are_refused(db: Path, args: list[str], message: str) -> None:
    result = invoke(db, *args)
    assert result.exit_code == ExitCode.REFUSED
    assert message in flat(result.output)
    assert "Traceback" not in result.output


def test_a_missing_database_is_refused(tmp_path: Path) -> None:
    result = invoke(tmp_path / "none.db")
    assert result.exit_code == ExitCode.REFUSED
    assert "no such shop database" in result.stderr


def test_an_interrupted_write_leaves_the_previous_predictions(db: Path) -> None:
    with open_store(db) as store:
        save_forecast(store, forecast(store, date(1997, 9, 30), 90))
        before = store.execute("SELECT * FROM predictions ORDER BY customer_id").fetchall()
        fits = store.execute("SELECT * FROM prediction_fits").fetchall()

        def rows_then_interrupt():  # the owner presses Ctrl-C midway through the rows
            yield from [(row[0], 0.5, 1.0, 100, 100) for row in before[:1000]]
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            save_predictions(store, {"as_of": "1998-06-30", "horizon_days": 1,
                                     "monthly_discount_rate": 0, "time_unit": "weeks",
                                     "r": 1, "alpha": 1, "a": 1, "b": 1, "p": 1, "q": 2, "v": 1,
                                     "customers": 1, "repeat_customers": 1,
                                     "revenue_90_days": 0}, rows_then_interrupt())  # fmt: skip
        assert store.execute("SELECT * FROM predictions ORDER BY customer_id").fetchall() == before
        assert store.execute("SELECT * FROM prediction_fits").fetchall() == fits


def test_other_commands_do_not_import_scipy() -> None:
    script = (
        "import sys\n"
        "from tui.cli import main\n"
        "for args in (['customers', '--help'], ['stats', '--help'], ['segments', '--help']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "import core.segment_fields, core.predict, core.customer_details\n"
        "print(sorted(m for m in ('scipy', 'numpy') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


BRUTE_FORCE = {
    "p_alive < 0.3": lambda p, o, s, c: p is not None and p < 0.3,
    "p_alive >= 0.9": lambda p, o, s, c: p is not None and p >= 0.9,
    "not p_alive < 0.3": lambda p, o, s, c: not (p is not None and p < 0.3),
    "p_alive != 1": lambda p, o, s, c: not (p is not None and p == 1),
    "p_alive = null": lambda p, o, s, c: p is None,
    "expected_orders > 1.5": lambda p, o, s, c: o is not None and o > 1.5,
    "expected_spend in (35.17, 40)": lambda p, o, s, c: s in (3517, 4000),
    "clv > 100 or p_alive < 0.05": lambda p, o, s, c: (
        (c is not None and c > 10_000) or (p is not None and p < 0.05)
    ),
}


@pytest.mark.parametrize("expression", BRUTE_FORCE)
def test_prediction_fields_in_segments_match_a_brute_force_count(db: Path, expression: str) -> None:
    with open_store(db) as store:
        save_forecast(store, forecast(store, CALIBRATION_END, 180))
        store.execute("INSERT INTO customers (external_id, imported_at, updated_at) "
                      "VALUES ('never-ordered', 'x', 'x')")  # fmt: skip
        store.conn.commit()
        rows = store.execute(
            "SELECT p.p_alive, p.expected_orders, p.expected_spend, p.clv FROM customers c "
            "LEFT JOIN predictions p ON p.customer_id = c.id"
        ).fetchall()
        expected = sum(1 for row in rows if BRUTE_FORCE[expression](*row))
        assert count_matching(store, expression) == expected


def test_an_import_that_moves_the_as_of_date_says_the_predictions_are_stale(
    db: Path, tmp_path: Path
) -> None:
    """Fewer days than `predict.refit_after_days` (7) past the fit: no refit, a note."""
    assert invoke(db).exit_code == 0  # as of the latest order: fresh
    later = tmp_path / "later.csv"
    later.write_text("order_id,ordered_at,customer_id,total\nLATE-1,1998-07-05,00050,20.00\n")
    result = CliRunner().invoke(app, ["import", "orders", str(later), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert flat(result.stderr) == (
        "note: predictions are as of 1998-06-30, the shop's orders now run to 1998-07-05: "
        "run `retain-tui predict` to refresh them "
    )
    with open_store(db) as store:
        assert latest_fit(store).stale  # type: ignore[union-attr]
        assert store.scalar("SELECT count(*) FROM predictions") == 2357  # kept, marked stale


def test_an_import_without_predictions_says_nothing_about_them(tmp_path: Path, data) -> None:
    result = CliRunner().invoke(
        app, ["import", "orders", str(data("generic_orders.csv")), "--db", str(tmp_path / "a.db")]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_the_discount_rate_setting_is_used_and_checked(db: Path) -> None:
    config = CliRunner().invoke(
        app, ["config", "set", "predict.monthly_discount_rate", "0.02", "--db", str(db)]
    )
    assert config.exit_code == 0, config.output
    result = invoke(db, "--as-of", "1997-09-30", "--top", "0")
    assert "CLV discounted at 2.00% a month" in flat(result.stdout)
    with open_store(db) as store:
        assert latest_fit(store).monthly_discount_rate == 0.02  # type: ignore[union-attr]
    for bad in ("2%", "-0.1", "0.9"):
        refused = CliRunner().invoke(
            app, ["config", "set", "--db", str(db), "--", "predict.monthly_discount_rate", bad]
        )
        assert refused.exit_code == ExitCode.REFUSED, bad
        assert "predict.monthly_discount_rate" in refused.stderr


PAUSED_BEFORE_COMMIT = """
import sys
from contextlib import contextmanager

from core.store import Store
from tui.cli import main

original_write = Store.write


@contextmanager
def write(self):
    with original_write(self) as conn:
        yield conn  # every prediction is written inside the transaction...
        print("READY", flush=True)  # ...and the COMMIT has not run
        sys.stdin.readline()


Store.write = write
main(sys.argv[1:])
"""


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_before_the_commit_leaves_the_previous_predictions(
    db: Path, number: signal.Signals
) -> None:
    assert invoke(db, "--as-of", "1997-09-30").exit_code == 0
    before = committed_state(db), prediction_tables(db)
    child = run_until_ready(PAUSED_BEFORE_COMMIT, ["predict", "--db", str(db)])
    err = signalled(child, number)
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "error: interrupted: nothing was changed"
    assert (committed_state(db), prediction_tables(db)) == before
    with open_store(db) as store:
        assert latest_fit(store).as_of == CALIBRATION_END  # type: ignore[union-attr]


def prediction_tables(db: Path) -> list[list[tuple[object, ...]]]:
    with open_store(db) as store:
        return [store.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("prediction_fits", "predictions")]  # fmt: skip


def test_customer_show_includes_the_prediction(db: Path) -> None:
    assert invoke(db, "--as-of", "1997-09-30").exit_code == 0
    with open_store(db) as store:
        p_alive, clv = store.execute(
            "SELECT p_alive, clv FROM predictions WHERE customer_id = 1"
        ).fetchone()
    shown = CliRunner().invoke(app, ["customer", "show", "1", "--json", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    prediction = json.loads(shown.stdout)["customer"]["prediction"]
    assert prediction["p_alive"] == round(p_alive, 6) and prediction["clv"] == clv / 100
    assert prediction["as_of"] == "1997-09-30" and prediction["stale"] is True
    text = CliRunner().invoke(app, ["customer", "show", "1", "--db", str(db)])
    assert "predicted as of 1997-09-30, next 365 days: p_alive" in flat(text.stdout)
    assert "(stale: run retain-tui predict)" in text.stdout


def test_customer_data_in_the_table_is_shown_as_text(db: Path) -> None:
    with open_store(db) as store, store.write() as conn:
        conn.execute(
            "UPDATE customers SET first_name = '[bold]x', last_name = '\x1b[2J[/]', "
            "external_id = '=HYPERLINK(\"x\")' WHERE id = 1"
        )
    result = invoke(db, "--as-of", "1997-09-30", "--top", "2357")
    assert result.exit_code == 0, result.output
    assert "[bold]x" in result.stdout and "\\x1b[2J[/]" in result.stdout
    assert "\x1b" not in result.stdout
    assert '=HYPERLINK("x")' in result.stdout


def test_order_values_too_wild_for_a_finite_mean_are_refused(tmp_path: Path) -> None:
    """400 customers whose typical order values span e^±5 (log-normal, σ = 2.5): the
    Gamma-Gamma fit finds q < 1, a spend distribution without a mean, and predict refuses."""
    rng = random.Random(3)
    orders = tmp_path / "wild.csv"
    with orders.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "ordered_at", "customer_id", "total"])
        for customer in range(400):
            value = max(math.exp(rng.gauss(3, 2.5)), 0.01)
            for day in sorted(rng.sample(range(700), rng.randint(1, 6))):
                ordered = date(2023, 1, 1) + timedelta(days=day)
                writer.writerow([f"W{customer}-{day}", ordered.isoformat(), f"K{customer}",
                                 f"{value:.2f}"])  # fmt: skip
    db = tmp_path / "wild.db"
    with open_store(db, create=True) as store:
        import_file(store, orders, "orders")
    result = invoke(db, "--as-of", "2024-12-31")
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert flat(result.stderr).startswith("error: the spend model has no finite mean (q = 0.")
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM prediction_fits") == 0
