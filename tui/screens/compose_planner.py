"""Who gets a draft, decided off the UI thread for the compose screen, on a connection and
Composer of its own so that previews (another Composer) never wait for a large list.

The screen's workers drive it: `plans()` yields the first recipients as soon as they are
read, then everyone, then (for a template with recommendations) the exact plan, found in
one query that `stop_check()` interrupts when the owner chooses again; `fits()` counts how
many each template drafts, for the template the screen opens on. One worker at a time uses
it (`lock`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.compose import Composer, Recipient, TemplateFit, best_fit, fit_sample, template_fits
from core.store import Store, open_store
from tui.screens.compose_plan import Choice, Plan, make_plan


@dataclass(frozen=True)
class FoundFit:
    """The template that drafts the most (None: no template can be used)."""

    fit: TemplateFit | None


class RecipientPlanner:
    """A Composer that only decides recipients; see the module docstring."""

    def __init__(self) -> None:
        self.composer: Composer | None = None
        self.store: Store | None = None
        self.lock = threading.Lock()
        """Held by the worker using the planner; `close()` waits for it."""
        self.checking = False
        """The query `stop_check()` may interrupt is running (under `_check_guard`)."""
        self._check_guard = threading.Lock()

    def open(self, db_path: Path, templates_dir: Path | None, today: date | None) -> None:
        """Open the connection and Composer the first time, refresh them after (lock held)."""
        if self.composer is None:
            self.store = open_store(db_path, migrate=False)
            self.composer = Composer(self.store, templates_dir, today=today)
        elif self.store is not None:
            self.composer.refresh()

    @property
    def closed(self) -> bool:
        return self.composer is None or self.store is None

    def close(self) -> None:
        """Close the connection once the worker using it is done (waits for `lock`)."""
        with self.lock:
            store, self.store = self.store, None
            if store is not None:
                store.close()

    def plans(
        self, choice: Choice, ids: Sequence[int], first: int, cancelled: Callable[[], bool]
    ) -> Iterator[Plan]:
        """A partial plan of the first `first` recipients (for a longer list), the complete
        one, then the exact one if the complete one is an upper bound (lock held; raises
        ComposeError for a template or language that cannot be used)."""
        composer = self.composer
        assert composer is not None
        chunks = composer.recipient_chunks(ids, choice.template, choice.lang, first=first)
        exact = "recommendations" not in composer.template(choice.template).needs
        recipients: list[Recipient] = []
        for chunk in chunks:
            if cancelled():
                return
            was_empty = not recipients
            recipients.extend(chunk)
            if was_empty and len(recipients) < len(ids):
                yield make_plan(choice, list(recipients), complete=False, exact=exact)
        exact = exact or not any(r.included for r in recipients)
        plan = make_plan(choice, recipients, complete=True, exact=exact)
        yield plan
        if not plan.exact and not cancelled():
            checked = self._check(composer, plan)
            if checked is not None:
                yield checked

    def _check(self, composer: Composer, plan: Plan) -> Plan | None:
        """`plan` with those who have nothing to recommend left out; None if interrupted."""
        with self._interruptible():
            recipients = composer.exact_recipients(plan.recipients, plan.template)
            return make_plan(
                Choice(plan.template, plan.lang), recipients, complete=True, exact=True
            )
        return None

    @contextmanager
    def _interruptible(self) -> Iterator[None]:
        """Queries in the block may be stopped by `stop_check()`: the block then ends early."""
        with self._check_guard:
            self.checking = True
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "interrupted" not in str(exc):
                raise  # else the owner chose again, or left
        finally:
            with self._check_guard:
                self.checking = False

    def stop_check(self) -> None:
        """Interrupt the query for an exact plan or a fit: a newer plan should not wait."""
        with self._check_guard:
            if self.checking and self.store is not None:
                self.store.conn.interrupt()

    def fits(
        self, ids: Sequence[int], templates: Sequence[str], cancelled: Callable[[], bool]
    ) -> list[TemplateFit] | None:
        """How many of `ids` (or of a sample of a long list) each template drafts (counted,
        never rendered); None if
        cancelled or stopped by `stop_check()`, the owner having chosen (lock held)."""
        assert self.composer is not None
        fits: list[TemplateFit] = []
        with self._interruptible():
            for fit in template_fits(self.composer, fit_sample(ids), templates):
                if cancelled():
                    return None
                fits.append(fit)
            return fits
        return None

    def best_fit(
        self, ids: Sequence[int], templates: Sequence[str], cancelled: Callable[[], bool]
    ) -> FoundFit | None:
        """The template the compose screen opens on, counted by `fits()` (takes the lock);
        None if the screen closed, or the count was cancelled or stopped."""
        with self.lock:
            if self.closed:
                return None
            fits = self.fits(ids, templates, cancelled)
        return None if fits is None else FoundFit(best_fit(fits))
