"""The as-of date: the one "today" every figure, segment, template rule and export counts from.

By default it is the date of the latest counting order in the store (guest orders included,
cancelled ones not), so the same store shows the same figures on any day and a shop whose last
import is months old is not measured against the wall clock. `--as-of DATE` overrides it: an
earlier date means the figures ignore the orders after it, a later one describes a quiet shop.
The wall clock is only the default of an empty store. Documented in docs/metrics.md.
"""

from __future__ import annotations

from datetime import date

from core.store import Store
from core.values import day_to_date

__all__ = ["AsOfError", "check_as_of", "first_order_date", "latest_order_date", "resolve_as_of"]


class AsOfError(ValueError):
    """An as-of date no figure can be computed for (before the first order, in the future)."""


def latest_order_date(store: Store) -> date | None:
    """The local date of the latest counting order, if any."""
    return _order_date(store, "DESC")


def first_order_date(store: Store) -> date | None:
    """The local date of the first counting order, if any."""
    return _order_date(store, "ASC")


def resolve_as_of(store: Store, given: date | None = None) -> date:
    """`given`, else the date of the latest order, else (an empty store) today's date."""
    if given is not None:
        return given
    return latest_order_date(store) or date.today()


def check_as_of(store: Store, given: date | None, today: date | None = None) -> date:
    """The as-of date for an `--as-of` option: `given` checked against the store, or the default.

    A date after the latest order is allowed (a quiet shop), up to today's date; a date before
    the first order or after today (`today`, default the real one) has nothing to describe.
    """
    if given is None:
        return resolve_as_of(store)
    latest = latest_order_date(store)
    today = today or date.today()
    last_allowed = max(today, latest) if latest is not None else today
    if given > last_allowed:
        raise AsOfError(f"{given} is after today ({today}): figures cannot describe the future")
    first = first_order_date(store)
    if first is not None and given < first:
        raise AsOfError(f"{given} is before the first order ({first}): there is nothing to show")
    return given


def _order_date(store: Store, direction: str) -> date | None:
    day = store.scalar(
        f"SELECT order_day FROM orders WHERE NOT cancelled ORDER BY order_day {direction} LIMIT 1"
    )
    return None if day is None else day_to_date(int(day))  # type: ignore[call-overload]
