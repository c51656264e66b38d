"""The SQLite store: where it lives, who may read it, how it is shared and how it migrates."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

import core.store
from core.paths import DB_ENV, data_dir, resolve_db_path
from core.schema import SCHEMA_VERSION
from core.store import Store, StoreError, open_store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual desktop umask, under which a plain create would give 0644."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# -- where the database lives -------------------------------------------------------------


def test_db_option_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, str(tmp_path / "env.db"))
    assert resolve_db_path(tmp_path / "option.db") == tmp_path / "option.db"
    assert resolve_db_path(str(tmp_path / "option.db")) == tmp_path / "option.db"


def test_environment_wins_over_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, str(tmp_path / "env.db"))
    assert resolve_db_path(None) == tmp_path / "env.db"


def test_default_is_shop_db_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "retain-tui"
    assert resolve_db_path(None) == tmp_path / "xdg" / "retain-tui" / "shop.db"
    assert resolve_db_path("") == tmp_path / "xdg" / "retain-tui" / "shop.db"


def test_home_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_db_path("~/shops/a.db") == tmp_path / "shops" / "a.db"


def test_opening_the_default_creates_a_private_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with open_store(create=True) as store:
        assert store.path == tmp_path / "xdg" / "retain-tui" / "shop.db"
    assert mode(tmp_path / "xdg" / "retain-tui") == 0o700
    assert mode(tmp_path / "xdg" / "retain-tui" / "shop.db") == 0o600


# -- permissions: the file holds personal data ---------------------------------------------


def test_new_database_and_its_wal_files_are_private_under_umask_022(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "a" / "b" / "shop.db"
    with open_store(path, create=True) as store:
        store.set_setting("shop.name", "Test")  # a write, so -wal and -shm exist
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        assert mode(path) == 0o600
        assert mode(wal) == 0o600
        assert mode(shm) == 0o600
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert mode(folder) == 0o700, folder
    assert os.umask(0o022) == 0o022  # open_store put the caller's umask back


def test_reopened_database_gets_private_wal_files_too(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "shop.db"
    open_store(path, create=True).close()
    assert not Path(f"{path}-wal").exists()  # the last connection cleaned up
    with open_store(path) as store:
        store.set_setting("k", "v")
        assert mode(Path(f"{path}-wal")) == 0o600
        assert mode(Path(f"{path}-shm")) == 0o600


def test_existing_folder_is_left_alone(tmp_path: Path, umask_022: None) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    open_store(folder / "shop.db", create=True).close()
    assert mode(folder) == 0o755
    assert mode(folder / "shop.db") == 0o600


# -- connection settings --------------------------------------------------------------------


def test_store_is_a_sqlite_utils_database(store: Store) -> None:
    assert isinstance(store.db, sqlite_utils.Database)
    assert {"customers", "orders", "order_lines", "schema_version"} <= set(store.db.table_names())


def test_pragmas_for_sharing_the_file(store: Store) -> None:
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert int(store.scalar("PRAGMA busy_timeout")) >= 5000  # type: ignore[arg-type]
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.conn.isolation_level is None  # autocommit: no implicit transactions


def test_memory_store(tmp_path: Path) -> None:
    with open_store(":memory:") as store:
        assert store.path is None
        assert store.schema_version() == SCHEMA_VERSION
        assert store.is_empty()
        with pytest.raises(StoreError, match="cannot be reopened"):
            store.reopen()
    assert not list(tmp_path.iterdir())


# -- schema ------------------------------------------------------------------------------------


def columns(store: Store, table: str) -> dict[str, str]:
    return {row[1]: row[2].upper() for row in store.execute(f"PRAGMA table_info({table})")}


def test_tables_hold_what_the_shop_needs(store: Store) -> None:
    customers = columns(store, "customers")
    for name in ("id", "external_id", "email", "first_name", "last_name", "country", "language",
                 "accepts_marketing", "created_at", "tags", "note"):  # fmt: skip
        assert name in customers, name
    orders = columns(store, "orders")
    for name in ("id", "external_id", "customer_id", "ordered_at", "currency", "subtotal",
                 "discount_code", "discount", "total", "refunded", "cancelled_at", "cancelled",
                 "source"):  # fmt: skip
        assert name in orders, name
    lines = columns(store, "order_lines")
    for name in ("order_id", "sku", "product", "quantity", "unit_price"):
        assert name in lines, name


def test_money_columns_are_integers_never_floats(store: Store) -> None:
    orders, lines = columns(store, "orders"), columns(store, "order_lines")
    for name in ("subtotal", "discount", "total", "refunded"):
        assert orders[name] == "INTEGER", name
    assert lines["unit_price"] == "INTEGER"
    for table in ("customer_stats", "customer_days"):
        assert columns(store, table)["revenue"] == "INTEGER"


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), store.write() as conn:
        conn.execute("INSERT INTO order_lines (order_id, position, quantity) VALUES (999, 0, 1)")


def query_plan(store: Store, sql: str) -> str:
    return " | ".join(row[3] for row in store.execute(f"EXPLAIN QUERY PLAN {sql}"))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM customers WHERE email_key = 'a@example.com'",
        "SELECT id FROM customers WHERE external_id = '7100'",
        "SELECT id FROM orders WHERE customer_id = 1",
        "SELECT id FROM orders WHERE order_day BETWEEN 738000 AND 738100",
        "SELECT id FROM orders WHERE external_id = '#1001'",
        "SELECT sku FROM order_lines WHERE order_id = 5",
        "SELECT customer_id FROM customer_days WHERE day BETWEEN 738000 AND 738100",
    ],
)
def test_access_paths_use_an_index(store: Store, sql: str) -> None:
    plan = query_plan(store, sql)
    assert "USING" in plan and "INDEX" in plan, plan
    assert not plan.startswith("SCAN"), plan


def test_schema_version_is_recorded(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION >= 1
    assert store.scalar("SELECT count(*) FROM schema_version") == 1


def test_forward_migration_runs_only_the_new_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        store.set_setting("shop.name", "Kept")
    extra = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n" \
            "-- a comment line\nALTER TABLE customers ADD COLUMN phone TEXT;"  # fmt: skip
    monkeypatch.setattr(core.store, "MIGRATIONS", [*core.store.MIGRATIONS, extra])
    monkeypatch.setattr(core.store, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with open_store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION + 1
        assert "phone" in columns(store, "customers")
        assert store.get_setting("shop.name") == "Kept"
    with open_store(path) as store:  # running again is a no-op, not a second ALTER TABLE
        assert store.schema_version() == SCHEMA_VERSION + 1


def test_failed_migration_leaves_the_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shop.db"
    open_store(path, create=True).close()
    broken = "CREATE TABLE fine (x);\nINSERT INTO no_such_table VALUES (1);"
    monkeypatch.setattr(core.store, "MIGRATIONS", [*core.store.MIGRATIONS, broken])
    monkeypatch.setattr(core.store, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError):
        open_store(path)
    monkeypatch.undo()
    with open_store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'fine'") == 0


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store, store.write() as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 5,))
    with pytest.raises(StoreError, match="newer than this retain-tui understands"):
        open_store(path)


def old_shop(path: Path, version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shop as an older retain-tui made it: the migrations up to `version`, one setting."""
    with monkeypatch.context() as older:
        older.setattr(core.store, "MIGRATIONS", core.store.MIGRATIONS[:version])
        older.setattr(core.store, "SCHEMA_VERSION", version)
        with open_store(path, create=True) as store:
            store.set_setting("shop.name", "Before")


def test_an_older_schema_is_backed_up_before_it_is_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    path = tmp_path / "shop.db"
    old_shop(path, SCHEMA_VERSION - 1, monkeypatch)
    with open_store(path) as store:
        backup = tmp_path / f"shop.db.v{SCHEMA_VERSION - 1}.bak"
        assert store.backup_path == backup
        assert store.schema_version() == SCHEMA_VERSION
        assert store.get_setting("shop.name") == "Before"
    assert mode(backup) == 0o600
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT version FROM schema_version").fetchone() == (
            SCHEMA_VERSION - 1,
        )
        assert copy.execute("SELECT value FROM settings").fetchone() == ("Before",)
    with open_store(path) as store:  # current now: no second copy
        assert store.backup_path is None
    assert sorted(p.name for p in tmp_path.glob("*.bak")) == [backup.name]


def test_a_second_migration_from_the_same_version_keeps_the_first_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shop.db"
    old_shop(path, 1, monkeypatch)
    open_store(path).close()
    path.unlink()
    old_shop(path, 1, monkeypatch)
    with open_store(path) as store:
        assert store.backup_path == tmp_path / "shop.db.v1.2.bak"
    assert (tmp_path / "shop.db.v1.bak").exists()


def test_no_upgrade_without_a_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "shop.db"
    old_shop(path, 1, monkeypatch)
    # A link into a missing folder: the copy cannot be written, as on a full disk.
    (tmp_path / "shop.db.v1.bak").symlink_to(tmp_path / "no-such-folder" / "copy")
    with pytest.raises(StoreError, match="cannot copy it before upgrading"):
        open_store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchone() == (1,)
    conn.close()


def test_new_and_current_databases_get_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        assert store.backup_path is None
    open_store(path).close()
    assert not list(tmp_path.glob("*.bak"))


def test_the_schema_marker_is_set_on_every_database_we_make(tmp_path: Path) -> None:
    with open_store(tmp_path / "shop.db", create=True) as store:
        assert store.scalar("PRAGMA application_id") == core.store.APPLICATION_ID
    with open_store(":memory:") as store:
        assert store.scalar("PRAGMA application_id") == core.store.APPLICATION_ID


def test_a_missing_database_is_not_created_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "shop.db"
    with pytest.raises(core.store.MissingStoreError, match="no such shop database"):
        open_store(path)
    assert not (tmp_path / "sub").exists()


def test_another_sqlite_database_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    before = path.read_bytes()
    for create in (False, True):
        with pytest.raises(StoreError, match="not a retain-tui database"):
            open_store(path, create=create)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("Name,Email\n" * 200, encoding="utf-8")
    with pytest.raises(StoreError, match=r"orders\.csv: not a retain-tui database"):
        open_store(path)


# -- transactions and sharing --------------------------------------------------------------


def test_write_commits_together(store: Store) -> None:
    with store.write() as conn:
        conn.execute("INSERT INTO settings VALUES ('a', '1')")
        conn.execute("INSERT INTO settings VALUES ('b', '2')")
    assert store.get_setting("a") == "1" and store.get_setting("b") == "2"
    assert not store.conn.in_transaction


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_write_rolls_back_on_any_exception(store: Store, error: type[BaseException]) -> None:
    with pytest.raises(error), store.write() as conn:
        conn.execute("INSERT INTO settings VALUES ('a', '1')")
        raise error
    assert store.get_setting("a") is None
    assert not store.conn.in_transaction


def test_write_is_begin_immediate(store: Store) -> None:
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    store.set_setting("k", "v")
    store.conn.set_trace_callback(None)
    # The busy timeout is set around the BEGIN (how long to wait for another writer).
    statements = [s for s in statements if not s.startswith("PRAGMA busy_timeout")]
    assert statements[0] == "BEGIN IMMEDIATE"
    assert statements[-1] == "COMMIT"


def test_readers_go_on_while_a_write_holds_the_lock(store: Store) -> None:
    store.set_setting("k", "old")
    assert store.path is not None
    other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
    try:
        with store.write() as conn:
            conn.execute("UPDATE settings SET value = 'new' WHERE key = 'k'")
            # WAL: another connection reads the last committed state without waiting...
            assert other.execute("SELECT value FROM settings").fetchone() == ("old",)
            # ...but a second writer must wait (here: not at all, so it fails at once).
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        assert other.execute("SELECT value FROM settings").fetchone() == ("new",)
    finally:
        other.close()


def test_data_version_changes_when_another_connection_commits(store: Store) -> None:
    other = store.reopen()
    try:
        before = store.data_version
        other.set_setting("k", "v")
        assert store.data_version != before
        assert store.get_setting("k") == "v"
    finally:
        other.close()


def test_settings_roundtrip(store: Store) -> None:
    assert store.get_setting("missing", "fallback") == "fallback"
    store.set_setting("shop.name", "Nordlicht")
    store.set_setting("shop.name", "Nordlicht Tee")
    assert store.get_setting("shop.name") == "Nordlicht Tee"


def test_is_empty(store: Store) -> None:
    assert store.is_empty()
    with store.write() as conn:
        conn.execute(
            "INSERT INTO customers (email, imported_at, updated_at) VALUES ('a@x', 'now', 'now')"
        )
    assert not store.is_empty()
