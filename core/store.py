"""The shop store: one SQLite file in WAL mode that a cron import and the open app can share.

Writes go through `Store.write()`, a short explicit `BEGIN IMMEDIATE` transaction; the
connection itself runs in autocommit mode so nothing commits behind our back.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

from core.paths import resolve_db_path
from core.schema import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 10_000
MEMORY = ":memory:"


class StoreError(Exception):
    """The store cannot be opened or is newer than this program."""


def utc_now() -> str:
    """A timestamp for `imported_at`-style columns."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """An open shop database. Use `open_store()` to get one."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils' view of the same connection, for introspection and ad-hoc use.

        Imported on first use: most commands never need it, and it costs 40 ms at start-up.
        Never call its insert/upsert helpers inside `write()`: they commit on their own.
        """
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all.

        KeyboardInterrupt and any other exception roll back, so an interrupted import leaves
        the database as it was.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def execute(
        self, sql: str, params: Iterable[object] | dict[str, object] = ()
    ) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)  # type: ignore[arg-type]

    def scalar(self, sql: str, params: Iterable[object] | dict[str, object] = ()) -> object:
        row = self.conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
        return None if row is None else row[0]

    @property
    def data_version(self) -> int:
        """Changes when another connection commits: how the app notices a cron import."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def schema_version(self) -> int:
        return _schema_version(self.conn)

    def is_empty(self) -> bool:
        return self.scalar("SELECT NOT EXISTS (SELECT 1 FROM orders)") == 1 and (
            self.scalar("SELECT NOT EXISTS (SELECT 1 FROM customers)") == 1
        )

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", (key,))
        return default if value is None else str(value)

    def set_setting(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def reopen(self) -> Store:
        """A second connection to the same file, for a worker thread."""
        if self.path is None:
            raise StoreError("an in-memory store cannot be reopened")
        return open_store(self.path)

    def close(self) -> None:
        with suppress(sqlite3.Error):
            self.conn.execute("PRAGMA optimize")
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _create_private_file(path: Path) -> None:
    """Create the database (and its folders) readable by the owner only: it holds personal data."""
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):  # `mkdir(parents=True)` would give the parents 0755
        folder.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def open_store(path: str | os.PathLike[str] | None = None, *, migrate: bool = True) -> Store:
    """Open (creating if needed) the shop database at `path` (see `resolve_db_path`)."""
    if path == MEMORY:
        conn = sqlite3.connect(MEMORY, isolation_level=None, check_same_thread=False)
        db_path = None
    else:
        db_path = resolve_db_path(path)
        if not db_path.exists():
            _create_private_file(db_path)
        # SQLite gives the -wal and -shm files the database's own mode; a tight umask
        # covers the moment before it can.
        old_umask = os.umask(0o077)
        try:
            conn = sqlite3.connect(
                db_path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            _configure(conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{db_path}: not a retain-tui database ({exc})") from exc
        finally:
            os.umask(old_umask)
    if db_path is None:
        _configure(conn)
    store = Store(conn, db_path)
    if migrate:
        _migrate(store)
    return store


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = FILE")  # staging a big import must not cost RAM
    conn.execute("PRAGMA cache_size = -65536")


def _schema_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return 0 if row is None else int(row[0])


def _migrate(store: Store) -> None:
    current = _schema_version(store.conn)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"{store.path}: schema version {current} is newer than this retain-tui "
            f"understands ({SCHEMA_VERSION}); upgrade retain-tui"
        )
    if current == SCHEMA_VERSION:
        return
    with store.write() as conn:
        # Re-read inside the write lock: another process may have migrated meanwhile.
        current = _schema_version(conn)
        if current == 0:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
        conn.execute("DELETE FROM schema_version")
        conn.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (executescript would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise StoreError(f"incomplete statement in migration: {buffer.strip()[:60]}")
