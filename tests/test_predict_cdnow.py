"""The CDNOW validation: the published BG/NBD and Gamma-Gamma estimates, from our own import.

The sample's purchase records (tests/data/cdnow, see its README) go through a real import as a
generic orders file; the models are fitted as of 1997-09-30, the end of the 39-week
calibration period of Fader, Hardie & Lee (2005), and must give their parameters within 2 %.
The holdout (the next 39 weeks) compares predicted and actual repeat transactions, as the
table in docs/predictions.md does.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from core.importers import import_file
from core.predict import Forecast, forecast
from core.predict.scoring import FIT_CHECK_TOP
from core.store import Store, open_store

CDNOW = Path(__file__).parent / "data" / "cdnow" / "CDNOW_sample.txt"
CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_DAYS = 273  # 39 weeks: 1997-10-01 to 1998-06-30
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def cdnow_records() -> list[tuple[str, date, str]]:
    """(customer, date, dollar value) per record of the sample file."""
    records = []
    for line in CDNOW.read_text("ascii").splitlines():
        customer, _sample_id, day, _cds, dollars = line.split()
        records.append((customer, date(int(day[:4]), int(day[4:6]), int(day[6:])), dollars))
    return records


def write_cdnow_orders(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["order_id", "ordered_at", "customer_id", "total"])
        for n, (customer, day, dollars) in enumerate(cdnow_records()):
            writer.writerow([f"CD-{n}", day.isoformat(), customer, dollars])
    return path


@pytest.fixture(scope="module")
def cdnow_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("cdnow")
    store = open_store(folder / "shop.db", create=True)
    result = import_file(store, write_cdnow_orders(folder / "cdnow_orders.csv"), "orders")
    assert result.rows_rejected == 0
    yield store
    store.close()


@pytest.fixture(scope="module")
def calibrated(cdnow_store: Store) -> Forecast:
    return forecast(cdnow_store, CALIBRATION_END, HOLDOUT_DAYS)


def test_the_calibration_data_are_the_papers(calibrated: Forecast) -> None:
    history = calibrated.history
    assert len(history) == 2357
    assert history.repeat_customers == 946
    assert int(history.x.sum()) == 2457  # repeat transactions in weeks 1-39


@pytest.mark.parametrize("name", PUBLISHED_BGNBD)
def test_bgnbd_reproduces_the_published_estimates(calibrated: Forecast, name: str) -> None:
    assert getattr(calibrated.frequency, name) == pytest.approx(PUBLISHED_BGNBD[name], rel=0.02)


@pytest.mark.parametrize("name", PUBLISHED_GAMMA_GAMMA)
def test_gamma_gamma_reproduces_the_published_estimates(calibrated: Forecast, name: str) -> None:
    published = PUBLISHED_GAMMA_GAMMA[name]
    assert getattr(calibrated.spend, name) == pytest.approx(published, rel=0.02)


def test_the_log_likelihood_is_the_papers(calibrated: Forecast) -> None:
    assert calibrated.log_likelihood[0] == pytest.approx(-9582.4, abs=0.1)


def test_the_fit_check_matches_the_calibration_histogram(calibrated: Forecast) -> None:
    rows = {row.repeat_transactions: row for row in calibrated.fit_check}
    assert rows["0"].actual == 1411
    assert sum(row.actual for row in rows.values()) == 2357
    for row in rows.values():  # the paper's Figure 2: close everywhere
        assert row.expected == pytest.approx(row.actual, rel=0.15, abs=5)


def holdout_transactions() -> dict[str, int]:
    """Per customer, days with a purchase in the 39 weeks after the calibration period."""
    days: dict[str, set[date]] = defaultdict(set)
    end = date.fromordinal(CALIBRATION_END.toordinal() + HOLDOUT_DAYS)
    for customer, day, _dollars in cdnow_records():
        if CALIBRATION_END < day <= end:
            days[customer].add(day)
    return {customer: len(found) for customer, found in days.items()}


def holdout_table(store: Store, result: Forecast) -> list[tuple[str, int, float, float]]:
    """(calibration repeat transactions, customers, mean actual, mean predicted in holdout)."""
    external = dict(store.execute("SELECT id, external_id FROM customers"))
    actual_by_customer = holdout_transactions()
    actual = np.array([actual_by_customer.get(external[int(i)], 0) for i in result.history.ids])
    x = result.history.x
    rows = []
    for n in range(FIT_CHECK_TOP + 1):
        group = x == n if n < FIT_CHECK_TOP else x >= FIT_CHECK_TOP
        label = str(n) if n < FIT_CHECK_TOP else f"{n}+"
        rows.append(
            (label, int(group.sum()), float(actual[group].mean()),
             float(result.scores.expected_orders[group].mean()))
        )  # fmt: skip
    rows.append(("all", len(x), float(actual.sum()), float(result.scores.expected_orders.sum())))
    return rows


def test_the_holdout_predictions_track_the_actual_repeat_purchases(
    cdnow_store: Store, calibrated: Forecast
) -> None:
    table = holdout_table(cdnow_store, calibrated)
    *groups, (_all, _customers, actual_total, predicted_total) = table
    assert actual_total == 1882  # days with a repeat purchase in weeks 40-78
    assert predicted_total == pytest.approx(actual_total, rel=0.15)  # 1,653: 12 % short
    means = [predicted for _label, _n, _actual, predicted in groups]
    assert means == sorted(means)  # more past purchases, more expected
    for _label, _n, actual, predicted in groups:
        assert predicted == pytest.approx(actual, rel=0.35, abs=0.1)


def print_holdout_table() -> None:  # pragma: no cover - for docs/predictions.md
    with open_store(":memory:") as store:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            import_file(store, write_cdnow_orders(Path(folder) / "o.csv"), "orders")
        result = forecast(store, CALIBRATION_END, HOLDOUT_DAYS)
        for row in holdout_table(store, result):
            print("| {} | {:,} | {:.3f} | {:.3f} |".format(*row))


if __name__ == "__main__":  # pragma: no cover
    print_holdout_table()
