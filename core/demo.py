"""The demo shop shipped in `sample_data/`: what a newcomer sees first."""

from __future__ import annotations

from core.importers import ImportResult, import_file
from core.paths import shipped_dir
from core.store import Store

DEMO_SETTINGS = {
    "shop.name": "Nordlicht Tee & Kaffee",
    "shop.from": "Nordlicht Tee & Kaffee <hallo@nordlicht.example>",
    "shop.reply_to": "hallo@nordlicht.example",
    "shop.postal_address": "Nordlicht Tee & Kaffee GmbH, Hafenstraße 12, 20457 Hamburg, Germany",
    "shop.unsubscribe_url": "https://nordlicht.example/unsubscribe?c={customer_id}",
    "shop.unsubscribe_mailto": "unsubscribe@nordlicht.example",
    "shop.website": "https://nordlicht.example",
    "shop.feedback_url": "https://nordlicht.example/feedback?c={customer_id}&score={score}",
    "shop.currency": "EUR",
    "shop.default_language": "de",
}


def load_demo(store: Store) -> list[ImportResult]:
    """Import the demo shop's customers and orders, and its shop settings if none are set."""
    folder = shipped_dir("sample_data")
    results = [
        import_file(store, folder / "customers_export.csv", "customers"),
        import_file(store, folder / "orders_export.csv", "orders"),
    ]
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
            DEMO_SETTINGS.items(),
        )
    return results
