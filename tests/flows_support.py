"""Small shops for the flow tests: customers C1..Cn and orders imported from CSV files, the
demo shop's (complete) settings, and an owner's template that drafts for everyone."""

from __future__ import annotations

from pathlib import Path

from core.demo import DEMO_SETTINGS
from core.store import Store, open_store
from tests.campaign_shop import ShopOrder, load_customers_and_orders
from tests.compose_support import FOOTER_EN, write_template

NOTE = "note"
"""A transactional template without audience rules: every customer with an address gets it."""


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
