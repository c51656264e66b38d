"""Store connections for worker threads.

Each worker borrows a connection for the length of one job and gives it back, so concurrent
workers never share a connection, and the few milliseconds of opening one are paid once.
SQLite in WAL mode lets these readers run while an import writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.store import Store, open_store

IDLE_KEPT = 4


class StorePool:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._idle: list[Store] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def borrow(self, on_wait: Callable[[], None] | None = None) -> Iterator[Store]:
        """A connection of its own for the calling thread, until the block ends; `on_wait`
        is called if a write on it waits for another writer (see `Store.on_wait`)."""
        with self._lock:
            store = self._idle.pop() if self._idle else None
        if store is None:
            store = open_store(self.path, migrate=False)
        store.on_wait = on_wait
        try:
            yield store
        finally:
            store.on_wait = None
            with self._lock:
                keep = not self._closed and len(self._idle) < IDLE_KEPT
                if keep:
                    self._idle.append(store)
            if not keep:
                store.conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for store in idle:
            store.conn.close()
