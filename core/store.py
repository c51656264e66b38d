"""The shop store: one SQLite file in WAL mode that a cron import and the open app can share.

Writes go through `Store.write()`, a short explicit `BEGIN IMMEDIATE` transaction; the
connection itself runs in autocommit mode so nothing commits behind our back.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
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
WRITE_WAIT_ENV = "RETAIN_WRITE_WAIT"
WRITE_WAIT_SECONDS = 120.0
"""How long a writer waits for another one (a first import of a million orders merges ~30 s)."""
FIRST_WAIT_MS = 1_000
"""After this long waiting for the write lock, the caller is told (`on_wait`)."""
MEMORY = ":memory:"
ANALYSIS_LIMIT = 2000
"""Rows of each index the closing `PRAGMA optimize` reads (SQLite 3.46's own bound)."""
APPLICATION_ID = 0x52545549  # "RTUI" in the SQLite header: this file is a retain-tui shop
LEGACY_TABLES = frozenset({"schema_version", "customers", "orders", "settings"})
"""How a retain-tui database made before `APPLICATION_ID` is recognised (and then stamped)."""

# CPython's sqlite3 binds None and bool through its adapter protocol: a registry miss and two
# failed attribute lookups, ~600 ns a value against ~100 ns for an int, and an import binds
# millions of them. Registered, they are bound as before (NULL; 0 or 1) in a quarter of the
# time: `set().discard` is a C function that returns None for any argument.
sqlite3.register_adapter(type(None), set().discard)
sqlite3.register_adapter(bool, int)


class StoreError(Exception):
    """The store cannot be opened, is not a retain-tui database, or is newer than this program."""


class StoreBusyError(StoreError):
    """Another connection held the write lock for longer than a writer waits."""

    def __init__(self, path: Path | None, waited: float) -> None:
        super().__init__(
            f"the shop database is busy: another program has been writing for {waited:g} s; "
            "nothing was changed"
        )
        self.path = path


class StoreWriteError(StoreError):
    """The shop cannot be written (read-only file or folder, a full disk); it is unchanged."""


class MissingStoreError(StoreError):
    """No database at the path: only `import` and `demo` create one, so a typo is not a shop."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: no such shop database")
        self.path = path


def write_wait_seconds() -> float:
    """How long a writer waits for the write lock: `$RETAIN_WRITE_WAIT` seconds, else 120."""
    try:
        return max(0.0, float(os.environ.get(WRITE_WAIT_ENV, WRITE_WAIT_SECONDS)))
    except ValueError:
        return WRITE_WAIT_SECONDS


def waiting_message() -> str:
    """What a writer says while it waits for another one: the CLI on stderr, the app in a
    notice (one wording for both)."""
    return (
        "waiting for another retain-tui write to finish (an import?); "
        f"giving up after {write_wait_seconds():g} s"
    )


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED: another connection holds a lock we need."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


_CANNOT_WRITE = {
    sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_PERM,
}  # fmt: skip


def cannot_write(exc: sqlite3.Error) -> bool:
    """SQLite failed because the file, its folder or the disk refuses writes."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _CANNOT_WRITE


def write_refusal(path: Path | None, exc: BaseException) -> str:
    """Why `path` cannot be written, in the words of the system when it can tell."""
    if path is None:
        return str(exc)
    try:
        fd = os.open(path, os.O_RDWR)
        os.close(fd)
    except OSError as error:
        return (error.strerror or str(error)).lower()
    if not os.access(path.parent, os.W_OK):
        return f"the folder {path.parent} is read-only"
    with suppress(OSError):
        if shutil.disk_usage(path.parent).free == 0:
            return "no space left on device"
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return (f"{exc}: the shop's disk has room, so SQLite's temporary folder "
                f"{sqlite_temp_folder()} may be full (SQLITE_TMPDIR names another)")  # fmt: skip
    return str(exc)


def sqlite_temp_folder() -> str:
    """The folder SQLite keeps its temporary files in on Unix (the TEMP tables an import
    stages its rows in, big sorts): the first writable one of these."""
    for folder in (os.environ.get("SQLITE_TMPDIR"), os.environ.get("TMPDIR"), "/var/tmp",
                   "/usr/tmp", "/tmp"):  # fmt: skip
        if folder and os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            return folder
    return "."


def roll_back(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already (it does on its own after
    some errors, a full disk among them); a failure to roll back is not the error to report."""
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


@contextmanager
def deferred_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """A plain BEGIN ... COMMIT, rolled back on any error: one consistent read, or writes to
    TEMP tables only (no lock is taken on the shop's database until it is written)."""
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        roll_back(conn)
        raise
    conn.execute("COMMIT")


def utc_now() -> str:
    """A timestamp for `imported_at`-style columns."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """An open shop database. Use `open_store()` to get one."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path | None,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        self.conn = conn
        self.path = path
        self.on_wait = on_wait
        """Called once per write that has waited a second for another writer (the CLI says so)."""
        self.read_only: str | None = None
        """Why this opening can only read (a read-only file, folder or mount, a full disk)."""
        self.backup_path: Path | None = None
        """The copy made before this opening migrated an older schema forward, if it did."""

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
        the database as it was. Waits up to `write_wait_seconds()` for another writer (a cron
        import merging); after that, `StoreBusyError` with nothing changed.
        """
        if self.read_only is not None:
            raise StoreWriteError(
                f"{self.path}: cannot write the shop database: {self.read_only}; "
                "nothing was changed"
            )
        try:
            self._begin_immediate()
            try:
                yield self.conn
            except BaseException:
                roll_back(self.conn)
                raise
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if not cannot_write(exc):
                raise
            roll_back(self.conn)
            raise StoreWriteError(
                f"{self.path}: cannot write the shop database: {write_refusal(self.path, exc)}; "
                "nothing was changed"
            ) from exc

    def _begin_immediate(self) -> None:
        """BEGIN IMMEDIATE, waiting for the write lock in steps so the caller can be told."""
        limit = write_wait_seconds()
        started = time.monotonic()
        told = False
        try:
            while True:
                remaining = limit - (time.monotonic() - started)
                step = max(0, min(FIRST_WAIT_MS, int(remaining * 1000)))
                self.conn.execute(f"PRAGMA busy_timeout = {step}")
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc):
                        raise
                if remaining <= step / 1000:
                    raise StoreBusyError(self.path, limit)
                if not told and self.on_wait is not None:
                    told = True
                    self.on_wait()
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

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
        return open_store(self.path, on_wait=self.on_wait)

    def holds_anything(self) -> bool:
        """Whether the shop has any row of its own (orders, customers, settings, segments, runs)."""
        return bool(
            self.scalar(
                "SELECT EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM orders) "
                "OR EXISTS (SELECT 1 FROM settings) OR EXISTS (SELECT 1 FROM custom_segments) "
                "OR EXISTS (SELECT 1 FROM import_runs)"
            )
        )

    def close(self) -> None:
        # Statistics for the planner, for the tables this connection's queries used without
        # any: bounded to ANALYSIS_LIMIT rows an index, as SQLite >= 3.46 bounds it by itself
        # (on 3.40 a first analysis of the customer list and customer_products took 0.3 s
        # at the close of an import into a million-order shop; bounded, 2 ms).
        with suppress(sqlite3.Error):
            self.conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
            self.conn.execute("PRAGMA optimize")
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def opening_notes(store: Store) -> list[str]:
    """What the owner should read once after opening: the upgrade and its backup copy, and
    the notes a migration left (e.g. customers whose addresses turned out the same)."""
    from core.email_rekey import take_notice

    notes = []
    if store.backup_path is not None:
        notes.append(
            f"Upgraded {store.path} to this version's schema; "
            f"the old one is kept in {store.backup_path}"
        )
    notes.extend(f"note: {line}" for line in take_notice(store))
    return notes


def _create_private_file(path: Path) -> None:
    """Create the database (and its folders) readable by the owner only: it holds personal data."""
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):  # `mkdir(parents=True)` would give the parents 0755
        folder.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def open_store(
    path: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    migrate: bool = True,
    on_wait: Callable[[], None] | None = None,
) -> Store:
    """Open the shop database at `path` (see `resolve_db_path`).

    `on_wait` is called when a write has waited a second for another writer (`Store.on_wait`).

    A missing file is `MissingStoreError` unless `create` (only `import` and `demo` create a
    shop); with `create`, an empty file or an empty SQLite database becomes a new shop too.
    Anything without the retain-tui schema is refused and left byte for byte as it was.
    """
    if path == MEMORY:
        conn = sqlite3.connect(MEMORY, isolation_level=None, check_same_thread=False)
        _configure(conn)
        store = Store(conn, None, on_wait)
    else:
        db_path = resolve_db_path(path)
        try:
            if db_path.is_file() and not os.access(db_path, os.W_OK):
                # Not for us to write (a 0400 file): opened read-write, SQLite would fall
                # back to reading and leave a -wal and -shm behind that it cannot remove.
                raise StoreError(f"{db_path}: read-only") from PermissionError(
                    errno.EACCES, os.strerror(errno.EACCES)
                )
            store = Store(_connect(db_path, create), db_path, on_wait)
        except StoreError as exc:
            cause = exc.__cause__
            if not db_path.is_file():
                raise
            if not isinstance(cause, PermissionError) and not (
                isinstance(cause, sqlite3.Error) and cannot_write(cause)
            ):
                raise
            store = Store(_connect_read_only(db_path), db_path, on_wait)
            store.read_only = write_refusal(db_path, cause)
    if migrate:
        _migrate(store)
    return store


def _connect(db_path: Path, create: bool) -> sqlite3.Connection:
    if not db_path.exists():
        if not create:
            raise MissingStoreError(db_path)
        _create_private_file(db_path)
    elif db_path.is_dir():
        raise StoreError(f"{db_path}: is a folder, not a retain-tui database")
    # SQLite gives the -wal and -shm files the database's own mode; a tight umask
    # covers the moment before it can.
    old_umask = os.umask(0o077)
    try:
        conn = sqlite3.connect(
            db_path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            if not _is_retain_database(conn, db_path) and not create:
                raise StoreError(f"{db_path}: empty, not a retain-tui database")
            _configure(conn)  # only now: WAL mode would change a file that is not ours
        except BaseException:
            conn.close()
            raise
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db_path}: not a retain-tui database ({exc})") from exc
    finally:
        os.umask(old_umask)
    return conn


def _connect_read_only(db_path: Path) -> sqlite3.Connection:
    """Open for reading a shop whose file, folder or disk refuses writes.

    A WAL database needs its -shm file; where it cannot be made (a read-only folder or mount,
    a full disk), SQLite reads the file as immutable: nothing can write it through here.
    """
    last: sqlite3.Error | None = None
    attempts = ("mode=ro", "mode=ro&immutable=1")
    wal = db_path.with_name(f"{db_path.name}-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        # Nothing waits in a WAL: read the file as it is, without making a -wal and -shm a
        # read-only connection could not remove again (a 0400 file in a writable folder).
        attempts = attempts[::-1]
    for options in attempts:
        uri = f"{db_path.resolve().as_uri()}?{options}"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        try:
            if _is_retain_database(conn, db_path):
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA foreign_keys = ON")
                return conn
        except sqlite3.Error as exc:
            last = exc
        except BaseException:
            conn.close()
            raise
        conn.close()
    raise StoreError(f"{db_path}: cannot be opened, not even for reading ({last})")


def _is_retain_database(conn: sqlite3.Connection, path: Path) -> bool:
    """True for a retain-tui database, False for an empty one; `StoreError` for anything else.

    Only reads: a SQLite file of another program must not change by being looked at.
    """
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if application_id == APPLICATION_ID:
        return True
    if application_id == 0:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if tables >= LEGACY_TABLES:
            return True  # made before the marker; `_migrate` stamps it
        if not conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            return False
    raise StoreError(f"{path}: not a retain-tui database (no retain-tui schema; left untouched)")


def remove_database(path: Path, *, keep_main: bool = False) -> None:
    """Delete a database's files (its -wal and -shm too, which must never outlive it)."""
    for suffix in ("-wal", "-shm") if keep_main else ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


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
    stamped = store.scalar("PRAGMA application_id") == APPLICATION_ID
    if current == SCHEMA_VERSION and stamped:
        return
    if 0 < current < SCHEMA_VERSION and store.path is not None:
        # Before the write lock: SQLite's backup cannot copy from inside our own transaction.
        try:
            store.backup_path = _backup(store, current)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"{store.path}: cannot copy it before upgrading its schema ({exc}); "
                "nothing was changed"
            ) from exc
    with store.write() as conn:
        # Re-read inside the write lock: another process may have migrated meanwhile.
        current = _schema_version(conn)
        if current == 0:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            step = MIGRATIONS[version - 1]
            if callable(step):
                step(conn)
                continue
            for statement in _statements(step):
                conn.execute(statement)
        conn.execute("DELETE FROM schema_version")
        conn.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _backup(store: Store, version: int) -> Path:
    """A private copy of the shop as it is, `shop.db.v5.bak` beside it, made with SQLite's
    backup API (consistent even while a cron import writes); never overwrites an older copy."""
    assert store.path is not None
    target = store.path.with_name(f"{store.path.name}.v{version}.bak")
    number = 1
    while target.exists():
        number += 1
        target = store.path.with_name(f"{store.path.name}.v{version}.{number}.bak")
    _create_private_file(target)
    old_umask = os.umask(0o077)
    copy = sqlite3.connect(target)
    try:
        store.conn.backup(copy)
    except BaseException:
        copy.close()
        target.unlink()
        raise
    finally:
        os.umask(old_umask)
    copy.close()
    return target


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
