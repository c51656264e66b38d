"""A stored fit for tests of what the app shows from predictions (not of the models).

The parameters are plausible, not fitted: screens and lists read only the stored rows.
`predict` itself is tested on real fits (tests/test_predict_*.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from core.importers import import_file
from core.predict.stored import save_predictions
from core.store import Store, open_store
from tests.test_predict_cdnow import write_cdnow_orders

FIT_VALUES: dict[str, object] = {
    "as_of": "2024-10-06", "horizon_days": 365, "monthly_discount_rate": 0.01,
    "time_unit": "weeks", "r": 0.2, "alpha": 4.0, "a": 0.8, "b": 2.4, "p": 6.0, "q": 3.7,
    "v": 15.0, "customers": 13, "repeat_customers": 3, "revenue_90_days": 12_345,
}  # fmt: skip


def store_fit(store: Store, clv_of: Callable[[int], int | None]) -> dict[int, int]:
    """Store a fit predicting each customer with an order: CLV `clv_of(id)` cents, or no
    prediction where it gives None. The stored CLVs by customer id."""
    ids = [row[0] for row in store.execute("SELECT customer_id FROM customer_stats")]
    clvs = {cid: clv for cid in ids if (clv := clv_of(cid)) is not None}
    save_predictions(store, FIT_VALUES, [(cid, 0.5, 1.0, 2_000, clv) for cid, clv in clvs.items()])
    return clvs


@pytest.fixture(scope="module", name="cdnow_db")
def cdnow_db_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDNOW sample imported once per module; tests take a copy (they write to it)."""
    folder = tmp_path_factory.mktemp("cdnow")
    with open_store(folder / "shop.db", create=True) as store:
        import_file(store, write_cdnow_orders(folder / "orders.csv"), "orders")
    return folder / "shop.db"


@pytest.fixture(name="db")
def cdnow_copy_fixture(cdnow_db: Path, tmp_path: Path) -> Path:
    """The test's own copy of the imported CDNOW sample."""
    return Path(shutil.copy(cdnow_db, tmp_path / "shop.db"))
