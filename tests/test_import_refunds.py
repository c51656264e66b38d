"""One rule for refunds on every platform: a fully refunded order counts like a cancelled one.

The same orders written as a Shopify, a WooCommerce and a generic export must leave the same
rows in the store: which orders count, net revenue, and every customer's summary. Checked on
a hand-made shop and on generated ones against a plain reading of the rule (docs/metrics.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.importers import import_file
from core.store import Store, open_store

PLATFORMS = ("shopify", "woocommerce", "generic")
STATES = ("paid", "partly refunded", "refunded", "cancelled")


@dataclass(frozen=True)
class Order:
    number: int
    email: str
    day: date
    total: int  # cents
    refunded: int  # cents
    state: str  # one of STATES: what the platform's status column says

    def counts(self) -> bool:
        """The rule of docs/metrics.md, read plainly."""
        if self.state in ("refunded", "cancelled"):
            return False
        return not (self.refunded > 0 and self.refunded >= self.total)


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def shopify_row(order: Order) -> list[str]:
    status = {"paid": "paid", "partly refunded": "partially_refunded", "refunded": "refunded",
              "cancelled": "voided"}[order.state]  # fmt: skip
    cancelled_at = f"{order.day} 18:00:00 +0100" if order.state == "cancelled" else ""
    return [f"#{order.number}", order.email, status, f"{order.day} 10:00:00 +0100",
            money(order.total), money(order.refunded), cancelled_at, "1", "Tea"]  # fmt: skip


def woocommerce_row(order: Order) -> list[str]:
    # WooCommerce keeps a partly refunded order "completed".
    status = {"paid": "wc-completed", "partly refunded": "wc-completed",
              "refunded": "wc-refunded", "cancelled": "wc-cancelled"}[order.state]  # fmt: skip
    refund = f"-{money(order.refunded)}" if order.refunded else ""  # as the plugin writes it
    return [str(order.number), f"{order.day} 10:00", status, money(order.total), refund,
            order.email, "Tea", "1"]  # fmt: skip


def generic_row(order: Order) -> list[str]:
    status = {"paid": "paid", "partly refunded": "partially refunded", "refunded": "Refunded",
              "cancelled": "cancelled"}[order.state]  # fmt: skip
    return [f"G{order.number}", str(order.day), status, money(order.total),
            money(order.refunded), order.email]  # fmt: skip


HEADERS = {
    "shopify": ["Name", "Email", "Financial Status", "Created at", "Total", "Refunded Amount",
                "Cancelled at", "Lineitem quantity", "Lineitem name"],
    "woocommerce": ["Order Number", "Order Date", "Order Status", "Order Total Amount",
                    "Order Refund Amount", "Email (Billing)", "Item Name", "Quantity"],
    "generic": ["order_id", "date", "status", "total", "refunded", "email"],
}  # fmt: skip
ROWS = {"shopify": shopify_row, "woocommerce": woocommerce_row, "generic": generic_row}


def write_export(path: Path, platform: str, orders: list[Order]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS[platform])
        writer.writerows(ROWS[platform](order) for order in orders)
    return path


def stored(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """What the figures read, free of platform-specific ids and statuses."""
    return {
        "orders": store.execute(
            "SELECT c.email, o.order_day, o.total, o.refunded, o.cancelled FROM orders o "
            "JOIN customers c ON c.id = o.customer_id ORDER BY 1, 2, 3, 4"
        ).fetchall(),
        "customer_stats": store.execute(
            "SELECT c.email, s.orders, s.revenue, s.first_day, s.last_day FROM customer_stats s "
            "JOIN customers c ON c.id = s.customer_id ORDER BY 1"
        ).fetchall(),
        "customer_days": store.execute(
            "SELECT c.email, d.day, d.orders, d.revenue, d.prev_day FROM customer_days d "
            "JOIN customers c ON c.id = d.customer_id ORDER BY 1, 2"
        ).fetchall(),
    }


def import_each(tmp_path: Path, orders: list[Order]) -> dict[str, dict[str, list]]:
    """platform -> what its export of `orders` leaves in a fresh store."""
    results = {}
    for platform in PLATFORMS:
        folder = tmp_path / platform
        folder.mkdir(exist_ok=True)
        path = write_export(folder / "orders.csv", platform, orders)
        with open_store(folder / "shop.db", create=True) as store:
            result = import_file(store, path, "orders")
            assert (result.format, result.rows_rejected) == (platform, 0), result.errors
            results[platform] = stored(store)
        (folder / "shop.db").unlink()
    return results


HAND_MADE = [
    Order(1, "anna@example.com", date(2024, 1, 5), 10000, 0, "paid"),
    Order(2, "anna@example.com", date(2024, 2, 5), 8000, 3000, "partly refunded"),  # 50.00
    Order(3, "anna@example.com", date(2024, 3, 5), 4000, 4000, "refunded"),
    Order(4, "anna@example.com", date(2024, 4, 5), 2500, 2500, "paid"),  # refunded in full
    Order(5, "anna@example.com", date(2024, 5, 5), 1500, 0, "refunded"),  # says so: enough
    Order(6, "ben@example.com", date(2024, 1, 10), 6000, 0, "paid"),
    Order(7, "ben@example.com", date(2024, 6, 1), 6000, 6000, "refunded"),  # not a repeat
    Order(8, "ben@example.com", date(2024, 6, 2), 3000, 0, "cancelled"),
]


def test_the_same_orders_count_the_same_on_every_platform(tmp_path: Path) -> None:
    results = import_each(tmp_path, HAND_MADE)
    assert results["woocommerce"] == results["shopify"]
    assert results["generic"] == results["shopify"]
    jan5, feb5, jan10 = (date(2024, m, d).toordinal() for m, d in ((1, 5), (2, 5), (1, 10)))
    # Anna: 100.00 + 50.00 net in two orders; Ben: one order, so not a repeat customer.
    assert results["shopify"]["customer_stats"] == [
        ("anna@example.com", 2, 15000, jan5, feb5),
        ("ben@example.com", 1, 6000, jan10, jan10),
    ]
    counting = [row[:2] for row in results["shopify"]["orders"] if not row[4]]
    assert counting == [("anna@example.com", jan5), ("anna@example.com", feb5),
                        ("ben@example.com", jan10)]  # fmt: skip


def test_the_status_is_kept_as_the_file_writes_it(tmp_path: Path) -> None:
    path = write_export(tmp_path / "orders.csv", "woocommerce", HAND_MADE[2:3])
    with open_store(tmp_path / "shop.db", create=True) as store:
        import_file(store, path, "orders")
        assert store.execute("SELECT status, cancelled FROM orders").fetchall() == [
            ("wc-refunded", 1)
        ]


def test_reimporting_under_the_new_rule_updates_orders_stored_under_the_old_one(
    tmp_path: Path,
) -> None:
    """A Shopify 'refunded' order used to count, worth 0: a re-import must fix it."""
    path = write_export(tmp_path / "orders.csv", "shopify", HAND_MADE[2:3])
    with open_store(tmp_path / "shop.db", create=True) as store:
        import_file(store, path, "orders")
        with store.write() as conn:  # as the old rule stored it
            conn.execute("UPDATE orders SET cancelled = 0, fingerprint = 1")
        again = import_file(store, path, "orders")
        assert again.orders_updated == 1
        assert store.scalar("SELECT cancelled FROM orders") == 1
        assert store.scalar("SELECT count(*) FROM customer_stats") == 0


@st.composite
def shops(draw: st.DrawFn) -> list[Order]:
    count = draw(st.integers(1, 12))
    orders = []
    for number in range(1, count + 1):
        total = draw(st.integers(0, 50_000))
        state = draw(st.sampled_from(STATES))
        refunded = {
            "paid": draw(st.sampled_from([0, total])),
            "partly refunded": draw(st.integers(0, total)),
            "refunded": draw(st.sampled_from([0, total])),
            "cancelled": 0,
        }[state]
        orders.append(
            Order(
                number,
                draw(st.sampled_from(["anna@example.com", "ben@example.com", "cem@example.com"])),
                draw(st.dates(date(2023, 1, 1), date(2024, 12, 31))),
                total,
                refunded,
                state,
            )
        )
    return orders


@settings(max_examples=25)
@given(orders=shops())
def test_generated_orders_count_by_the_rule_on_every_platform(
    tmp_path_factory, orders: list[Order]
) -> None:
    results = import_each(tmp_path_factory.mktemp("shop"), orders)
    assert results["woocommerce"] == results["shopify"] == results["generic"]
    expected: dict[str, tuple[int, int]] = {}
    for order in orders:
        if order.counts():
            count, revenue = expected.get(order.email, (0, 0))
            expected[order.email] = (count + 1, revenue + order.total - order.refunded)
    got = {
        email: (count, revenue)
        for email, count, revenue, *_ in results["shopify"]["customer_stats"]
    }
    assert got == expected
