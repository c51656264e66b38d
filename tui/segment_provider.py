"""Where segments plug into the customer list (the segments issue implements this).

The app takes an optional `SegmentProvider`. With one, the customer table shows a Segment
column for the rows on screen, and `f` filters the list by a segment. Without one (until
core.segments exists) neither appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.customer_pages import Restriction
from core.store import Store


class SegmentProvider(Protocol):
    def labels(self, store: Store, customer_ids: Sequence[int]) -> dict[int, str]:
        """The RFM segment name of each customer on the visible page (missing: none).

        Called in a worker thread with that thread's own store connection.
        """
        ...

    def filters(self, store: Store) -> list[Restriction]:
        """Every segment the list can be narrowed to, with its label (shown with its size)."""
        ...
