"""Refitting after an import: the stored fit follows the orders once it is old enough.

The owner opts in by running `predict` once; from then on an import that changed orders
refits when the store's as-of date is `predict.refit_after_days` days (default 7; 0: after
every such import) past the fit's. The refit is its own transaction after the import's: a
refused or failed refit keeps the previous fit whole and never undoes the import. The CLI
`import` and the app's import screen both call `refit_if_stale` (docs/predictions.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from core.store import Store

__all__ = [
    "DEFAULT_REFIT_AFTER_DAYS",
    "REFIT_AFTER_SETTING",
    "RefitOutcome",
    "refit_after_days",
    "refit_if_stale",
]

REFIT_AFTER_SETTING = "predict.refit_after_days"
DEFAULT_REFIT_AFTER_DAYS = 7
MAX_REFIT_AFTER_DAYS = 3653


@dataclass(frozen=True)
class RefitOutcome:
    """What happened to the stored predictions after an import.

    `state`: "refitted"; "kept" (due, but refused or failed: `reason`, the old fit stays);
    "fresh" (the fit is recent enough); "skipped" (--no-refit); "none" (no fit stored, or the
    import changed no orders); "interrupted" (Ctrl-C or a signal during the refit: the
    caller's; the old fit stays). `as_of` is the fit in use afterwards.
    """

    state: str
    as_of: date | None = None
    customers: int | None = None
    seconds: float | None = None
    reason: str | None = None
    stale_note: str | None = None
    """When the fit in use does not describe the store's orders (kept, fresh, skipped)."""

    def line(self) -> str | None:
        """The one line `import` prints, or None when nothing was due."""
        if self.state == "refitted":
            assert self.as_of is not None
            return (
                f"predictions refitted as of {self.as_of.isoformat()} "
                f"({self.customers:,} customers, {self.seconds:.2f} s)"
            )
        if self.state == "kept":
            assert self.as_of is not None
            return (
                f"predictions not refitted: {self.reason}; the fit as of "
                f"{self.as_of.isoformat()} is kept"
            )
        return None

    def to_dict(self) -> dict[str, object]:
        """`import --json`'s `predictions` object."""
        return {
            "state": self.state,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "customers": self.customers,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "reason": self.reason,
        }


def check_refit_after_days(value: str) -> str:
    """The setting's value as stored: whole days, 0 to 3653 (ValueError otherwise)."""
    text = value.strip()
    if not text.isdigit() or not 0 <= int(text) <= MAX_REFIT_AFTER_DAYS:
        raise ValueError(
            f"{value!r}: whole days from 0 (refit after every import that changed orders) "
            f"to {MAX_REFIT_AFTER_DAYS}"
        )
    return str(int(text))


def refit_after_days(store: Store) -> int:
    """The shop's `predict.refit_after_days`, or the default 7."""
    text = store.get_setting(REFIT_AFTER_SETTING)
    return DEFAULT_REFIT_AFTER_DAYS if text is None else int(check_refit_after_days(text))


def refit_if_stale(store: Store, *, orders_changed: bool, allowed: bool = True) -> RefitOutcome:
    """Refit (in its own transaction) when a fit exists, the import changed orders and the
    store's as-of date is at least `predict.refit_after_days` past the fit's; keep the old
    fit when the new one is refused or fails (any Exception: the import is already in).
    KeyboardInterrupt passes through, the old fit whole (the write is one transaction).
    `allowed=False` (`import --no-refit`) only reports."""
    from core.predict import PredictionRefused, forecast, save_forecast
    from core.predict.stored import latest_fit

    fit = latest_fit(store)
    if fit is None:
        return RefitOutcome("none")
    if not orders_changed or not allowed:
        state = "skipped" if orders_changed else "none"
        return RefitOutcome(state, as_of=fit.as_of, stale_note=fit.staleness_note())
    store_as_of = fit.store_as_of
    if store_as_of is None or (store_as_of - fit.as_of).days < refit_after_days(store):
        return RefitOutcome("fresh", as_of=fit.as_of, stale_note=fit.staleness_note())
    started = time.perf_counter()
    try:
        result = forecast(store, store_as_of, fit.horizon_days)
        save_forecast(store, result)
    except PredictionRefused as exc:
        return RefitOutcome("kept", as_of=fit.as_of, reason=str(exc),
                            stale_note=fit.staleness_note())  # fmt: skip
    except Exception as exc:  # a refit must never turn a good import into a failed one
        text = " ".join(str(exc).split()) or type(exc).__name__
        return RefitOutcome("kept", as_of=fit.as_of, reason=f"the refit failed ({text})",
                            stale_note=fit.staleness_note())  # fmt: skip
    return RefitOutcome(
        "refitted",
        as_of=result.as_of,
        customers=len(result.history),
        seconds=time.perf_counter() - started,
    )
