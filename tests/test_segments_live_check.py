"""Checking a filter as the owner types must not rebuild the segment snapshot each time."""

from __future__ import annotations

import pytest

import core.snapshot
from core.segments import FilterError, count_matching, validate_expression
from core.store import Store


def test_invalid_expressions_keep_the_cached_snapshot(
    store: Store, load, monkeypatch: pytest.MonkeyPatch
):
    load("segments_customers.csv", "customers")
    load("segments_orders.csv", "orders")
    builds = []
    build = core.snapshot._build
    monkeypatch.setattr(core.snapshot, "_build", lambda *a: builds.append(a) or build(*a))
    assert validate_expression(store, "orders >= 2") is None
    for text in ("contry", 'contry = "DE"', "orders >", "orders >= 2 and"):
        error = validate_expression(store, text)
        assert isinstance(error, FilterError)
    assert count_matching(store, "orders >= 2") >= 0
    assert len(builds) == 1
