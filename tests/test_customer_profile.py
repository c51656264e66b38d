"""One customer in full, consent changes by the owner, and the shop's totals."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.consent import set_marketing_consent
from core.customer_pages import ListQuery, fetch_page
from core.customer_profile import count_orders, load_lines, load_orders, load_profile
from core.importers import import_file
from core.shop_totals import shop_totals
from core.store import Store, StoreError, open_store
from tests.clock import FROZEN_NOW, frozen_clock
from tests.tui_fixtures import DATA, build_shop


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    with frozen_clock(monkeypatch), open_store(build_shop(tmp_path / "shop.db")) as opened:
        yield opened


def customer_id(store: Store, search: str) -> int:
    return fetch_page(store, ListQuery(search=search))[0].customer_id


def test_profile_has_attributes_figures_and_consent_history(store: Store):
    profile = load_profile(store, customer_id(store, "bjorn"))
    assert profile is not None
    assert (profile.name, profile.country, profile.language) == ("Bjørn Ødegård", "NO", "nb")
    assert (profile.orders, profile.revenue) == (3, 3 * 4340 - 1000)
    assert profile.accepts_marketing is True
    assert [(e.at, e.accepts_marketing, e.source) for e in profile.consent_history] == [
        (FROZEN_NOW, True, "import")
    ]


def test_missing_customer_has_no_profile(store: Store):
    assert load_profile(store, 999_999) is None


def test_orders_newest_first_with_cancelled_marked_and_items_counted(store: Store):
    formula = customer_id(store, "formula")
    orders = load_orders(store, formula)
    assert [(o.external_id, o.cancelled, o.items) for o in orders] == [
        ("1012", False, 2),
        ("1011", True, 1),
    ]
    assert count_orders(store, formula) == 2
    lines = load_lines(store, orders[0].id)
    assert [(line.sku, line.quantity, line.unit_price, line.amount) for line in lines] == [
        ("ACC-MUG", 2, 1200, 2400)
    ]


def test_owner_withdraws_consent_and_a_later_import_cannot_undo_it(store: Store):
    anna = customer_id(store, "anna")
    assert set_marketing_consent(store, anna, False) is True
    assert set_marketing_consent(store, anna, False) is False  # already so: nothing recorded
    import_file(store, DATA / "tui_shop_customers.csv", "customers")  # still says "yes"
    profile = load_profile(store, anna)
    assert profile is not None and profile.accepts_marketing is False
    assert [(e.accepts_marketing, e.source) for e in profile.consent_history] == [
        (True, "import"),
        (False, "app"),
    ]


def test_consent_for_unknown_customer_or_source_is_refused(store: Store):
    with pytest.raises(StoreError):
        set_marketing_consent(store, 999_999, True)
    with pytest.raises(ValueError):
        set_marketing_consent(store, customer_id(store, "anna"), True, source="robot")


def test_shop_totals_count_only_counting_orders_and_net_revenue(store: Store):
    totals = shop_totals(store)
    assert totals.customers == 14
    assert totals.customers_with_orders == 13  # "Never Ordered" has none
    # 20 orders, two cancelled (1011 cancelled, 1007 refunded in a generic file)
    assert totals.orders == 18
    revenue = store.scalar("SELECT sum(total - refunded) FROM orders WHERE NOT cancelled")
    assert totals.revenue == revenue
    assert totals.currency == "EUR"
    assert totals.last_import == FROZEN_NOW


def test_shop_totals_report_guest_orders_apart(store: Store):
    with store.write() as conn:
        conn.execute(
            "INSERT INTO orders (external_id, ordered_at, order_day, total, source, fingerprint, "
            "imported_at) VALUES ('POS-1', '2024-12-01', 739221, 1000, 'pos', 'f', 'x')"
        )
    totals = shop_totals(store)
    # Orders and revenue are customers', like every figure of `stats`; guests' on their own.
    assert (totals.orders, totals.guest_orders, totals.guest_revenue) == (18, 1, 1000)
    assert totals.revenue == store.scalar(
        "SELECT sum(total - refunded) FROM orders WHERE NOT cancelled AND customer_id IS NOT NULL"
    )
    assert totals.last_day == 739221


def test_empty_store_totals(tmp_path: Path):
    with open_store(tmp_path / "empty.db", create=True) as store:
        totals = shop_totals(store)
    assert (totals.customers, totals.orders, totals.revenue, totals.first_day) == (0, 0, 0, None)
