"""A frozen clock for tests that compare whole database states, timestamps included."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import core.consent
import core.importers
import core.importers.loader
import core.segments

FROZEN_NOW = "2024-11-30T12:00:00+00:00"


@contextmanager
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every `utc_now()` the importers, consent and segment writes call returns FROZEN_NOW."""
    for module in (core.importers, core.importers.loader, core.consent, core.segments):
        monkeypatch.setattr(module, "utc_now", lambda: FROZEN_NOW)
    yield
