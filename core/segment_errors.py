"""The one error family of segments, so callers catch a single type."""

from __future__ import annotations


class SegmentError(ValueError):
    """A segment, filter or RFM table the app cannot use; the message says what and where."""


class SegmentExistsError(SegmentError):
    """Saving a segment under a name the owner already uses (the caller says how to replace it)."""
