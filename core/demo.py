"""The demo shop shipped in `sample_data/`: what a newcomer sees first, in a file of its own.

The demo never mixes with a real shop: it lives in its own database (`demo.db` beside
`shop.db`), marked by the `demo.loaded_on` setting, and loads only into a database that is
new, empty or already the demo. Its dates are moved so that its last orders are from the days
before it was loaded: thank-you, feedback and "new customer" examples work on that day.
"""

from __future__ import annotations

import csv
import os
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from core.importers import ImportResult, import_file
from core.paths import shipped_dir
from core.store import Store, StoreError, open_store, remove_database

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
DEMO_MARKER = "demo.loaded_on"
"""The setting that marks a database as the demo shop; its value is the day it was loaded."""

ORDER_DATE_COLUMNS = ("Created at", "Paid at", "Fulfilled at", "Cancelled at")


class DemoRefusedError(StoreError):
    """The database holds something other than the demo: loading the demo would mix them."""


def demo_loaded_on(store: Store) -> date | None:
    """The day the demo was loaded into `store`, or None for a real shop."""
    value = store.get_setting(DEMO_MARKER)
    return None if value is None else date.fromisoformat(value)


def load_demo(store: Store, today: date | None = None) -> list[ImportResult]:
    """Import the demo's customers and orders, moved so its last orders are from the days
    before `today`, and its shop settings where none are set; mark the store as the demo."""
    today = today or date.today()
    folder = shipped_dir("sample_data")
    with TemporaryDirectory(prefix="retain-demo-") as scratch:
        orders = Path(scratch) / "orders_export.csv"
        _write_moved_orders(folder / "orders_export.csv", orders, today)
        results = [
            import_file(store, folder / "customers_export.csv", "customers"),
            import_file(store, orders, "orders", today=today),
        ]
    shipped_orders = str(folder / "orders_export.csv")
    with store.write() as conn:
        conn.execute(
            "UPDATE import_runs SET file = ? WHERE file = ?", (shipped_orders, str(orders))
        )
        conn.executemany(
            "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
            DEMO_SETTINGS.items(),
        )
        conn.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (DEMO_MARKER, today.isoformat()),
        )
    results[1].file = shipped_orders
    return results


def _write_moved_orders(source: Path, target: Path, today: date) -> None:
    """Copy the shipped orders with every date moved by whole days, so the last order is from
    the day before `today`; the clock time and UTC offset stay as written
    (`2024-03-05 14:02:11 +0100`: only the date in front changes)."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    columns = [header.index(name) for name in ORDER_DATE_COLUMNS]
    created = header.index("Created at")
    last = max(date.fromisoformat(row[created][:10]) for row in body if row[created])
    shift = today - timedelta(days=1) - last
    moved: dict[str, str] = {}
    for row in body:
        for column in columns:
            day = row[column][:10]
            if day:
                if day not in moved:
                    moved[day] = (date.fromisoformat(day) + shift).isoformat()
                row[column] = moved[day] + row[column][10:]
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *body])


def create_demo(path: Path, today: date | None = None) -> list[ImportResult]:
    """(Re)create the demo shop at `path`: a new file, an empty one, or an earlier demo.

    A database holding anything else is refused (`DemoRefusedError`) and not changed. The demo
    is built beside `path` and moved into place, so a failure leaves `path` as it was.
    """
    if path.exists():
        _refuse_unless_empty_or_demo(path)
    building = path.with_name(f"{path.name}.building")
    remove_database(building)
    try:
        with open_store(building, create=True) as store:
            results = load_demo(store, today)
        remove_database(path, keep_main=True)
        os.replace(building, path)
    except BaseException:
        remove_database(building)
        raise
    return results


def _refuse_unless_empty_or_demo(path: Path) -> None:
    if path.stat().st_size == 0:
        return
    with open_store(path, create=True, migrate=False) as store:  # looks, changes nothing
        if store.schema_version() == 0 or demo_loaded_on(store) or not store.holds_anything():
            return
        customers = store.scalar("SELECT count(*) FROM customers")
        orders = store.scalar("SELECT count(*) FROM orders")
    raise DemoRefusedError(
        f"{path} already holds a shop ({customers:,} customers, {orders:,} orders): the demo "
        "loads only into a new or empty database, so nothing was changed. "
        "Run `retain-tui demo` without --db for the demo's own database"
    )
