"""Refitting the stored predictions after an import (core/predict/refit.py, `import orders`)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.importers import import_file
from core.predict import forecast, latest_fit, save_forecast
from core.predict.refit import refit_if_stale
from core.predict.stored import save_predictions
from core.shop_settings import set_setting
from core.store import open_store
from tests.prediction_support import cdnow_copy_fixture, cdnow_db_fixture  # noqa: F401
from tests.test_predict_cdnow import write_cdnow_orders
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
LAST_CDNOW_DAY = date(1998, 6, 30)


def later_orders(folder: Path, day: str, name: str = "later.csv") -> Path:
    """Two orders of known CDNOW customers on `day`."""
    path = folder / name
    tag = f"{path.stem}-{day}"
    path.write_text(
        "order_id,ordered_at,customer_id,total\n"
        f"{tag}-1,{day},00050,20.00\n{tag}-2,{day},00004,35.50\n"
    )
    return path


def run_import(db: Path, file: Path, *options: str) -> Result:
    return CliRunner().invoke(
        app, ["import", "orders", str(file), *options, "--db", str(db)], env={"COLUMNS": "200"}
    )


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def predictions(db: Path) -> list[tuple[object, ...]]:
    with open_store(db) as store:
        return store.execute(
            "SELECT customer_id, p_alive, expected_orders, expected_spend, clv, previous_p_alive "
            "FROM predictions ORDER BY customer_id"
        ).fetchall()


def fits(db: Path) -> list[tuple[object, ...]]:
    with open_store(db) as store:
        return store.execute("SELECT * FROM prediction_fits").fetchall()


def test_a_stale_fit_is_refitted_as_a_direct_predict_would(db: Path, tmp_path: Path) -> None:
    with open_store(db) as store:
        save_forecast(store, forecast(store, LAST_CDNOW_DAY, 180))
    result = run_import(db, later_orders(tmp_path, "1998-07-10"))
    assert result.exit_code == 0, result.output
    line = re.search(r"predictions refitted as of 1998-07-10 \(2,357 customers, \d+\.\d\d s\)",
                     flat(result.stdout))  # fmt: skip
    assert line is not None, result.stdout
    assert result.stderr == ""  # fresh now: no staleness note
    with open_store(db) as store:
        fit = latest_fit(store)
        assert fit is not None and fit.as_of == date(1998, 7, 10) and not fit.stale
        assert fit.horizon_days == 180  # the owner's horizon is kept
        direct = forecast(store, date(1998, 7, 10), 180)
        stored = dict(
            (row[0], row[1:])
            for row in store.execute(
                "SELECT customer_id, p_alive, expected_orders, expected_spend, clv FROM predictions"
            )
        )
    expected = {
        customer_id: (p, orders, round(spend * 100), round(clv * 100))
        for customer_id, p, orders, spend, clv in zip(
            direct.history.ids.tolist(), direct.scores.p_alive.tolist(),
            direct.scores.expected_orders.tolist(), direct.scores.expected_spend.tolist(),
            direct.scores.clv.tolist(), strict=True,
        )
    }  # fmt: skip
    assert stored == expected


def test_a_fresh_fit_is_not_refitted_until_the_setting_says(db: Path, tmp_path: Path) -> None:
    with open_store(db) as store:
        save_forecast(store, forecast(store, LAST_CDNOW_DAY))
    before = predictions(db)
    result = run_import(db, later_orders(tmp_path, "1998-07-06"))  # 6 days < 7
    assert result.exit_code == 0, result.output
    assert "refitted" not in result.stdout
    assert flat(result.stderr) == (
        "note: predictions are as of 1998-06-30, the shop's orders now run to 1998-07-06: "
        "run `retain-tui predict` to refresh them"
    )
    assert predictions(db) == before
    with open_store(db) as store:
        set_setting(store, "predict.refit_after_days", "0")
    again = run_import(db, later_orders(tmp_path, "1998-07-06", "same_day.csv"))
    assert "predictions refitted as of 1998-07-06" in flat(again.stdout)
    with open_store(db) as store:
        assert latest_fit(store).as_of == date(1998, 7, 6)  # type: ignore[union-attr]


def test_an_import_that_changes_no_orders_does_not_refit(db: Path, tmp_path: Path) -> None:
    with open_store(db) as store:
        save_forecast(store, forecast(store, date(1998, 5, 1)))
        set_setting(store, "predict.refit_after_days", "0")
    before = fits(db)
    same = tmp_path / "same.csv"
    write_cdnow_orders(same)  # every order already stored, unchanged
    result = run_import(db, same, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["predictions"]["state"] == "none"
    assert fits(db) == before


def test_no_refit_keeps_the_fit_and_json_says_so(db: Path, tmp_path: Path) -> None:
    with open_store(db) as store:
        save_forecast(store, forecast(store, LAST_CDNOW_DAY))
    before = predictions(db)
    result = run_import(db, later_orders(tmp_path, "1998-08-01"), "--no-refit", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["predictions"] == {
        "state": "skipped", "as_of": "1998-06-30", "customers": None, "seconds": None,
        "reason": None,
    }  # fmt: skip
    assert "run `retain-tui predict`" in flat(result.stderr)
    assert predictions(db) == before
    refitted = run_import(db, later_orders(tmp_path, "1998-08-02", "next.csv"), "--json")
    data = json.loads(refitted.stdout)["predictions"]
    assert data["state"] == "refitted" and data["as_of"] == "1998-08-02"
    assert data["customers"] == 2357 and data["seconds"] > 0


def test_a_refused_refit_keeps_the_old_fit_and_says_why(tmp_path: Path, data) -> None:
    """A shop of 9 orders cannot support a fit; a fit stored earlier (here written directly,
    as a bigger shop's would be) stays whole, and the import still succeeds."""
    db = tmp_path / "small.db"
    with open_store(db, create=True) as store:
        import_file(store, data("generic_orders.csv"), "orders")
        ids = [row[0] for row in store.execute("SELECT id FROM customers ORDER BY id")]
        save_predictions(store, {"as_of": "2020-01-01", "horizon_days": 365,
                                 "monthly_discount_rate": 0.01, "time_unit": "weeks",
                                 "r": 1, "alpha": 1, "a": 1, "b": 1, "p": 1, "q": 2, "v": 1,
                                 "customers": len(ids), "repeat_customers": 1,
                                 "revenue_90_days": 0},
                         [(customer, 0.5, 1.0, 100, 100) for customer in ids])  # fmt: skip
    before, fits_before = predictions(db), fits(db)
    later = tmp_path / "later.csv"
    later.write_text("order_id,ordered_at,customer_id,total\nX-1,2024-04-01,C-NEW,10.00\n")
    result = run_import(db, later)
    assert result.exit_code == 0, result.output
    assert re.search(
        r"predictions not refitted: too few repeat customers to predict: \d+ customers bought "
        r"again \(with a positive order value\) up to 2024-04-01, the models need at least 200; "
        r"the fit as of 2020-01-01 is kept",
        flat(result.stdout),
    ), result.stdout
    assert result.stderr == ""  # the line said it all
    assert predictions(db) == before and fits(db) == fits_before
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM orders WHERE external_id = 'X-1'") == 1


def test_a_refit_that_fails_midway_leaves_the_old_fit_whole(db: Path) -> None:
    """A fault inside the refit's write (a row refused after a thousand were written) rolls
    the refit back: the old fit and every prediction as they were, and the outcome says so."""
    with open_store(db) as store:
        save_forecast(store, forecast(store, date(1998, 3, 1), 90))
    before, fits_before = predictions(db), fits(db)
    with open_store(db) as store:
        thousandth = store.scalar("SELECT customer_id FROM predictions LIMIT 1 OFFSET 1000")
        store.execute(
            "CREATE TEMP TRIGGER fault BEFORE UPDATE ON predictions "
            f"WHEN new.customer_id = {thousandth} BEGIN SELECT RAISE(ABORT, 'disk fault'); END"
        )
        outcome = refit_if_stale(store, orders_changed=True)
    assert outcome.state == "kept"
    assert outcome.line() == (
        "predictions not refitted: the refit failed (disk fault); the fit as of 1998-03-01 is kept"
    )
    assert predictions(db) == before and fits(db) == fits_before


def test_the_setting_is_checked(db: Path) -> None:
    for bad in ("-1", "seven", "1.5", "99999"):
        refused = CliRunner().invoke(
            app, ["config", "set", "--db", str(db), "--", "predict.refit_after_days", bad]
        )
        assert refused.exit_code == ExitCode.REFUSED, bad
        assert "predict.refit_after_days" in refused.stderr
    assert (
        CliRunner()
        .invoke(app, ["config", "set", "predict.refit_after_days", "30", "--db", str(db)])
        .exit_code
        == 0
    )


def test_ctrl_c_during_the_refit_keeps_the_import_and_the_old_fit(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner presses Ctrl-C while the models are being fitted (the fit raises
    KeyboardInterrupt, as Python does at that moment): exit 130, one line, the import's
    orders stored, the previous fit whole."""
    import core.predict

    with open_store(db) as store:
        save_forecast(store, forecast(store, LAST_CDNOW_DAY, 90))
    before, fits_before = predictions(db), fits(db)

    def pressed_ctrl_c(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(core.predict, "forecast", pressed_ctrl_c)
    result = run_import(db, later_orders(tmp_path, "1998-07-20"))
    assert result.exit_code == ExitCode.INTERRUPTED
    assert flat(result.stderr) == (
        "error: interrupted while refitting the predictions: the import is saved, the fit as "
        "of 1998-06-30 is kept"
    )
    assert "orders added 2" in flat(result.stdout)
    assert predictions(db) == before and fits(db) == fits_before
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM orders WHERE order_day = ?",
                            (date(1998, 7, 20).toordinal(),)) == 2  # fmt: skip
