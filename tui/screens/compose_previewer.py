"""The compose screen's previews: one Composer on a connection of its own that renders the
highlighted customer's draft, and compiles the other templates in between.

A preview renders in a millisecond or two once its template is compiled; `warm()` compiles
every template after the first preview, one at a time and each after any preview that is
waiting (a lock does not queue its waiters, and a preview should not wait for all of them).
One worker at a time uses the Composer (`lock`).
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.compose import ComposeError, Composer, Draft, TemplateError
from core.store import Store, open_store
from tui.screens.compose_plan import Choice
from tui.screens.compose_text import app_words


@dataclass(frozen=True)
class Preview:
    """A customer's draft for a choice, or why there is none, and how long it took."""

    customer_id: int
    choice: Choice
    draft: Draft | None
    error: str | None
    seconds: float


class DraftPreviewer:
    """Renders previews; see the module docstring."""

    def __init__(self) -> None:
        self.composer: Composer | None = None
        self.store: Store | None = None
        self.lock = threading.Lock()
        self.warmed = False
        """Every template was compiled since the Composer was opened or refreshed."""
        self._no_preview_waiting = threading.Event()
        """Cleared while a preview waits for `lock`: warming then waits its turn."""
        self._no_preview_waiting.set()

    def open(self, db_path: Path, templates_dir: Path | None, today: date | None) -> bool:
        """Open the connection and Composer the first time, refresh them after (lock held);
        False once closed."""
        if self.composer is None:
            self.store = open_store(db_path, migrate=False)
            self.composer = Composer(self.store, templates_dir, today=today)
        elif self.store is None:
            return False
        else:
            self.composer.refresh()
        self.warmed = False  # refresh() dropped the compiled templates
        return True

    def close(self) -> None:
        """Close the connection once the worker using it is done (waits for `lock`)."""
        with self.lock:
            store, self.store = self.store, None
            if store is not None:
                store.close()

    def render(self, customer_id: int, choice: Choice) -> Preview | None:
        """The customer's draft for `choice` (None once closed)."""
        composer = self.composer
        assert composer is not None
        draft, error = None, None
        self._no_preview_waiting.clear()
        with self.lock:
            self._no_preview_waiting.set()
            if self.store is None:
                return None
            started = time.perf_counter()
            try:
                draft = composer.render(customer_id, choice.template, choice.lang, choice.discount)
            except TemplateError as exc:
                error = f"Template error in {exc}"
            except ComposeError as exc:
                error = app_words(str(exc))
            seconds = time.perf_counter() - started
        return Preview(customer_id, choice, draft, error, seconds)

    def warm(self) -> None:
        """Compile every template in every language (about 0.1 s each), each after any
        preview that is waiting."""
        composer = self.composer
        assert composer is not None
        self.warmed = True
        for info in composer.templates(available_only=True):
            self._no_preview_waiting.wait()
            with self.lock:
                if self.store is None:
                    return  # the screen closed
                with suppress(ComposeError):  # the preview of that template says why
                    composer.warm(info.name)
