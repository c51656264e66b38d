"""Where segments plug into the customer list: the Segment column and the `f` filter.

The app takes a `SegmentProvider`; `CoreSegments` (the default) reads core.segments. Every
method runs in a worker thread with that thread's own store connection: segment counts take
about 0.4 s at a million orders, a page's labels about a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.customer_pages import Restriction
from core.segments import SegmentError, customer_rows, list_segments, segment_customer_ids
from core.store import Store
from tui import display


@dataclass(frozen=True)
class SegmentChoice:
    """A segment the list can be narrowed to, with its size.

    `marketing_count` (members with consent) is None for a segment that is never a
    marketing audience; `error` says why a saved segment cannot run.
    """

    name: str
    kind: str
    count: int
    marketing_count: int | None
    error: str | None = None


class SegmentProvider(Protocol):
    def labels(self, store: Store, customer_ids: Sequence[int]) -> dict[int, str]:
        """The RFM segment name of each customer on the visible page (missing: none)."""
        ...

    def choices(self, store: Store) -> list[SegmentChoice]:
        """Every segment the list can be narrowed to, in the order to offer them."""
        ...

    def restriction(self, store: Store, name: str) -> Restriction:
        """The members of segment `name` as a list restriction (raises SegmentError)."""
        ...


class CoreSegments:
    """RFM, behaviour and the owner's own segments, as of the latest order (core.segments)."""

    def labels(self, store: Store, customer_ids: Sequence[int]) -> dict[int, str]:
        if not customer_ids:
            return {}
        try:
            rows = customer_rows(store, ids=customer_ids)
        except SegmentError:
            return {}  # e.g. a broken RFM table setting: the list still shows, unlabelled
        return {int(row["id"]): str(row["rfm_segment"]) for row in rows if row["rfm_segment"]}  # type: ignore[call-overload]

    def choices(self, store: Store) -> list[SegmentChoice]:
        return [
            SegmentChoice(
                info.name,
                info.kind,
                info.count,
                info.marketing_count if info.marketing else None,
                info.error,
            )
            for info in list_segments(store)
        ]

    def restriction(self, store: Store, name: str) -> Restriction:
        ids = segment_customer_ids(store, name)
        return Restriction.of_ids(f"Segment “{name}”: {display.plural(len(ids), 'customer')}", ids)
