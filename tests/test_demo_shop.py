"""The demo shop never mixes with the real one, and its dates follow the day it is loaded."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.demo import DEMO_SETTINGS, demo_loaded_on, load_demo
from core.paths import DB_ENV
from core.store import Store, open_store
from tui.cli import build_app

app = build_app()
LOAD_DAY = date(2027, 3, 15)
SHIPPED_FIRST_DAY, SHIPPED_LAST_DAY = date(2024, 1, 8), date(2026, 10, 31)


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args], env=env)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo() -> Iterator[Store]:
    """The demo loaded on a pinned day."""
    with open_store(":memory:") as store:
        load_demo(store, today=LOAD_DAY)
        yield store


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No --db, no RETAIN_DB: the default databases live in this test's data folder."""
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "retain-tui"


# -- dates ----------------------------------------------------------------------------------------


def test_the_last_orders_are_from_the_day_before_loading(demo: Store) -> None:
    first, last = demo.execute("SELECT min(order_day), max(order_day) FROM orders").fetchone()
    assert date.fromordinal(last) == LOAD_DAY - timedelta(days=1)
    shift = LOAD_DAY - timedelta(days=1) - SHIPPED_LAST_DAY  # whole days, gaps kept
    assert date.fromordinal(first) == SHIPPED_FIRST_DAY + shift
    assert demo_loaded_on(demo) == LOAD_DAY


def test_recent_examples_exist_on_the_day_of_loading(demo: Store) -> None:
    """Thank-you and feedback need orders of the last days; "new" needs recent first orders."""
    week_ago = (LOAD_DAY - timedelta(days=7)).toordinal()
    recent = demo.scalar("SELECT count(*) FROM orders WHERE order_day >= ?", (week_ago,))
    newcomers = demo.scalar(
        "SELECT count(*) FROM customer_stats WHERE first_day >= ?",
        ((LOAD_DAY - timedelta(days=30)).toordinal(),),
    )
    assert recent >= 20 and newcomers >= 10  # type: ignore[operator]
    future = demo.scalar(
        "SELECT count(*) FROM orders WHERE order_day >= ?", (LOAD_DAY.toordinal(),)
    )
    assert future == 0


def test_the_demo_is_the_same_shop_whatever_the_day(tmp_path: Path, demo: Store) -> None:
    with open_store(tmp_path / "other.db", create=True) as other:
        load_demo(other, today=LOAD_DAY + timedelta(days=200))
        sql = "SELECT count(*), sum(total), max(order_day) - min(order_day) FROM orders"
        assert other.execute(sql).fetchone() == demo.execute(sql).fetchone()


# -- its own file ---------------------------------------------------------------------------------


def test_demo_without_db_goes_to_its_own_file(data_home: Path) -> None:
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    assert (data_home / "demo.db").exists() and not (data_home / "shop.db").exists()
    with open_store(data_home / "demo.db") as store:
        assert demo_loaded_on(store) == date.today()
        assert store.scalar("SELECT count(*) FROM customers") == 2000


def test_the_first_import_after_the_demo_goes_to_the_real_shop(
    data_home: Path, data: Callable[[str], Path]
) -> None:
    assert invoke("demo").exit_code == 0
    demo_before = digest(data_home / "demo.db")
    result = invoke("import", "orders", data("generic_orders.csv"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["customers_added"] == 4
    with open_store(data_home / "shop.db") as shop:
        assert shop.scalar("SELECT count(*) FROM customers") == 4
        assert shop.get_setting("shop.name") is None  # no demo name, no demo sender
        assert shop.get_setting("shop.from") is None
        assert demo_loaded_on(shop) is None
    assert digest(data_home / "demo.db") == demo_before
    stats = json.loads(invoke("stats", "--json").stdout)  # commands now read the real shop
    assert stats["customers"] == 4


def test_importing_into_the_demo_is_refused(tmp_path: Path, data: Callable[[str], Path]) -> None:
    db = tmp_path / "demo.db"
    assert invoke("demo", "--db", db).exit_code == 0
    with open_store(db) as store:
        orders = store.scalar("SELECT count(*) FROM orders")
    result = invoke("import", "orders", data("generic_orders.csv"), "--db", db)
    assert result.exit_code == 2
    assert "is the demo shop" in result.stderr and "never into the demo" in result.stderr
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM orders") == orders


@pytest.mark.parametrize("how", ["option", "environment"])
def test_demo_is_refused_into_a_shop_with_anything_in_it(
    tmp_path: Path, data: Callable[[str], Path], how: str
) -> None:
    db = tmp_path / "real.db"
    assert invoke("import", "orders", data("generic_orders.csv"), "--db", db).exit_code == 0
    before = digest(db)
    if how == "option":
        result = invoke("demo", "--db", db)
    else:
        result = invoke("demo", env={DB_ENV: str(db)})
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert f"{db} already holds a shop (4 customers, 5 orders)" in message
    assert "nothing was changed" in message
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.db"]


def test_demo_is_refused_into_a_shop_with_only_settings(tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    with open_store(db, create=True) as store:
        store.set_setting("shop.name", "Mine")
    assert invoke("demo", "--db", db).exit_code == 2
    with open_store(db) as store:
        assert store.get_setting("shop.name") == "Mine"
        assert store.is_empty()


@pytest.mark.parametrize("kind", ["empty file", "empty shop", "empty sqlite"])
def test_demo_loads_into_an_empty_database(tmp_path: Path, kind: str) -> None:
    db = tmp_path / "shop.db"
    if kind == "empty file":
        db.touch()
    elif kind == "empty shop":
        open_store(db, create=True).close()
    else:
        sqlite3.connect(db).execute("PRAGMA user_version = 0").connection.close()
    result = invoke("demo", "--db", db)
    assert result.exit_code == 0, result.output
    with open_store(db) as store:
        assert store.get_setting("shop.name") == DEMO_SETTINGS["shop.name"]
        assert demo_loaded_on(store) == date.today()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.db"]  # no build files left
