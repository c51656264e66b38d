"""A frozen clock for tests that compare whole database states, timestamps included."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

import core.campaigns.records
import core.consent
import core.importers
import core.importers.loader
import core.segments

FROZEN_NOW = "2024-11-30T12:00:00+00:00"


@contextmanager
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every `utc_now()` the importers, consent and segment writes call returns FROZEN_NOW."""
    modules = (core.importers, core.importers.loader, core.consent, core.segments,
               core.campaigns.records)  # fmt: skip
    for module in modules:
        monkeypatch.setattr(module, "utc_now", lambda: FROZEN_NOW)
    yield


class CampaignClock:
    """The run time campaigns record and the frequency cap counts back from, moved by hand."""

    def __init__(self, start: str = FROZEN_NOW) -> None:
        self.now = datetime.fromisoformat(start)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def __call__(self) -> str:
        return self.now.isoformat(timespec="seconds")


def campaign_clock(monkeypatch: pytest.MonkeyPatch, start: str = FROZEN_NOW) -> CampaignClock:
    """Campaigns (core/campaigns/records.py) read their time from the returned clock."""
    clock = CampaignClock(start)
    monkeypatch.setattr(core.campaigns.records, "utc_now", clock)
    return clock
