"""Small shops for the flow tests: customers C1..Cn and orders imported from CSV files, the
demo shop's (complete) settings, and an owner's template that drafts for everyone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from core.demo import DEMO_SETTINGS
from core.store import Store, open_store
from tests.campaign_shop import ShopOrder, load_customers_and_orders
from tests.compose_support import FOOTER_EN, write_template

NOTE = "note"
"""A transactional template without audience rules: every customer with an address gets it."""

ORDERS = [
    ShopOrder("A1", 1, date(2026, 1, 1), 2000),
    ShopOrder("A2", 1, date(2026, 3, 1), 2000),
    ShopOrder("B0", 2, date(2026, 2, 28), 2000, cancelled=True),
    ShopOrder("B1", 2, date(2026, 3, 1), 2000),
    ShopOrder("C1", 3, date(2026, 3, 1), 2000),
    ShopOrder("C2", 3, date(2026, 3, 1), 3000),
    ShopOrder("D1", 4, date(2025, 10, 1), 2000),
    ShopOrder("E1", 5, date(2025, 10, 1), 2000),
    ShopOrder("E2", 5, date(2026, 2, 20), 2000),
    ShopOrder("F1", 6, date(2026, 2, 15), 2000, refunded_cents=2000),
]
"""C1: first order in January, second on 1 March. C2: a cancelled order, then the first
counting one on 1 March. C3: first and second order on 1 March. C4: one order, 1 October.
C5: 1 October and again 20 February. C6: one order, refunded in full (never counts)."""


def flow_shop(
    folder: Path, customers: int, orders: list[ShopOrder], *, settings: dict[str, str] | None = None
) -> tuple[Store, dict[int, int]]:
    """A store in `folder` with the customers and orders; returns it and number -> store id."""
    store = open_store(folder / "shop.db", create=True)
    ids = load_customers_and_orders(store, folder, customers, orders)
    chosen = DEMO_SETTINGS | (settings or {})
    with store.write() as conn:
        conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?)", chosen.items())
    return store, ids


def owner_templates(folder: Path) -> Path:
    """The owner's templates folder with NOTE in it (never the real user's folder)."""
    root = folder / "mine"
    write_template(root, NOTE, {"en.subject.txt": "Hello", "en.txt": "Hello\n" + FOOTER_EN},
                   kind="transactional")  # fmt: skip
    return root


def entries(store: Store, flow: str) -> set[tuple[int, str]]:
    """(customer id, event key) the flow has handled."""
    return set(
        store.execute(
            "SELECT e.customer_id, e.event_key FROM flow_entries e JOIN flows f ON f.id = e.flow_id"
            " WHERE f.name = ?",
            (flow,),
        )
    )
