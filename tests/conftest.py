"""Shared fixtures: a store in tmp_path, the export files in tests/data/, a database snapshot."""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from core.importers import ImportResult, import_file
from core.store import Store, open_store

# pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment, and rich
# fixes a console's width from COLUMNS when the console is made (at import): the commands'
# output would then ignore the widths that CLI tests ask for. Before any test module loads.
for _size in ("COLUMNS", "LINES"):
    os.environ.pop(_size, None)

DATA = Path(__file__).resolve().parent / "data"
BIG_ROWS = 50_000
# Tables an import writes to besides its own log (`import_runs` grows with every run).
SHOP_TABLES = ("customers", "orders", "order_lines", "customer_stats", "customer_days",
               "consent_events", "settings", "schema_version")  # fmt: skip


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (the README's command) starts one worker more than the machine has cores:
    the app's tests wait between steps (each Pilot pause sleeps at least 20 ms until the app
    is idle, lock tests wait out timeouts), and the extra worker runs meanwhile. On an idle
    2-core machine the suite took 369 s instead of 420 s (501 s instead of 585 s beside
    another busy program)."""
    return (os.cpu_count() or 1) + 1


# Property tests are judged by their examples, not by the speed of a loaded machine: no
# per-example deadline, and slow data generation is no failure. Tests may ask for fewer
# examples; none needs to ask for these again.
# Derandomized: every run tries the same examples, so CI cannot fail on an example no run here
# has seen; a hole a property finds is kept as an @example. Explore by hand with more examples
# (RETAIN_FUZZ_EXAMPLES) or HYPOTHESIS_RANDOM=1.
settings.register_profile(
    "retain",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not os.environ.get("HYPOTHESIS_RANDOM"),
)
settings.load_profile("retain")


USER_FOLDERS = {
    "XDG_DATA_HOME": ".local/share",
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "XDG_STATE_HOME": ".local/state",
}


@pytest.fixture(autouse=True)
def own_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has a home, data and config folder of its own and no RETAIN_* settings
    from the environment: no test reads or writes the real user's shop, templates or
    preferences, and tests running side by side (pytest-xdist) never share one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name, folder in USER_FOLDERS.items():
        monkeypatch.setenv(name, str(home / folder))
    for name in ("RETAIN_DB", "RETAIN_THEME", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def notices_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps keep every notification they showed in `notices_kept`: a notice times out after
    a few seconds, which a loaded machine can spend before a test looks for it."""
    from textual.app import App

    show = App._on_notify

    def keep(app: App, event: object) -> None:
        app.__dict__.setdefault("notices_kept", []).append(event.notification)  # type: ignore[attr-defined]
        show(app, event)  # type: ignore[arg-type]

    monkeypatch.setattr(App, "_on_notify", keep)


def data_path(name: str) -> Path:
    path = DATA / name
    assert path.is_file(), f"missing fixture {path}"
    return path


def shop_state(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every shop table, timestamps included: equal means nothing changed."""
    return {
        table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for table in SHOP_TABLES
    }


def committed_state(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """`shop_state` of what is committed in the file at `db`, read on a connection of its own."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return shop_state(conn)
    finally:
        conn.close()


@pytest.fixture
def data() -> Callable[[str], Path]:
    """`data("shopify_orders.csv")` -> the fixture file's path."""
    return data_path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh shop database file in tmp_path (a file, so WAL and permissions are real)."""
    with open_store(tmp_path / "shop.db", create=True) as opened:
        yield opened


@pytest.fixture
def load(store: Store) -> Callable[..., ImportResult]:
    """`load("generic_orders.csv", "orders", strict=True)` imports a fixture into `store`."""

    def run(name: str, kind: str, **options: object) -> ImportResult:
        return import_file(store, data_path(name), kind, **options)  # type: ignore[arg-type]

    return run


Query = Callable[..., list[dict[str, object]]]


@pytest.fixture
def query(store: Store) -> Query:
    """`query("SELECT ... WHERE x = ?", value)` -> rows of `store` as dicts."""

    def run(sql: str, *params: object) -> list[dict[str, object]]:
        cursor = store.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    return run


@pytest.fixture
def state() -> Callable[[Store], dict[str, list[tuple[object, ...]]]]:
    return lambda store: shop_state(store.conn)


def write_big_orders(path: Path, rows: int = BIG_ROWS) -> Path:
    """A generic orders file, one order per row, big enough for progress and kill tests."""
    start = date(2024, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["order_id", "ordered_at", "customer_id", "email", "total", "country"])
        for n in range(rows):
            customer = n % 5_000
            writer.writerow([
                f"BIG-{n}", (start + timedelta(days=n % 900)).isoformat(), f"K{customer}",
                f"k{customer}@example.com", f"{10 + n % 90}.{n % 100:02d}", "DE",
            ])  # fmt: skip
    return path


@pytest.fixture
def big_orders_writer() -> Callable[..., Path]:
    """`big_orders_writer(path, rows=20_000)` writes a generated orders file."""
    return write_big_orders


@pytest.fixture(scope="session")
def big_orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_big_orders(tmp_path_factory.mktemp("big") / "big_orders.csv")
