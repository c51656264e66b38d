"""WooCommerce's order-export plugin layout: one row per line item, order fields repeated."""

from __future__ import annotations

from collections.abc import Callable

from core.importers import ImportResult

Load = Callable[..., ImportResult]
Query = Callable[..., list[dict[str, object]]]


def orders(query: Query) -> dict[str, dict[str, object]]:
    return {str(row["external_id"]): row for row in query("SELECT * FROM orders")}


def test_summary(load: Load) -> None:
    result = load("woocommerce_orders.csv", "orders")
    assert (result.format, result.kind) == ("woocommerce", "orders")
    assert result.rows_read == 7
    assert (result.orders_added, result.customers_added, result.rows_rejected) == (6, 3, 0)


def test_order_fields_and_lines(load: Load, query: Query) -> None:
    load("woocommerce_orders.csv", "orders")
    first = orders(query)["5001"]
    assert first["ordered_at"] == "2024-03-05T14:02:00"
    assert (first["total"], first["subtotal"], first["currency"]) == (4970, 4480, "EUR")
    assert first["status"] == "Completed" and first["cancelled"] == 0
    items = query(
        "SELECT sku, product, quantity, unit_price FROM order_lines WHERE order_id = ? "
        "ORDER BY position", first["id"],
    )  # fmt: skip
    assert [tuple(row.values()) for row in items] == [
        ("TEA-EG", "Earl Grey", 2, 1250), ("MUG-B", "Mug", 1, 1980),
    ]  # fmt: skip


def test_cancelled_failed_and_refunded_statuses_mark_the_order_cancelled(
    load: Load, query: Query
) -> None:
    load("woocommerce_orders.csv", "orders")
    by_id = orders(query)
    assert {key: row["cancelled"] for key, row in by_id.items()} == {
        "5001": 0, "5002": 1, "5003": 1, "5004": 1, "5005": 0, "5006": 0,
    }  # fmt: skip
    assert by_id["5004"]["refunded"] == 3000
    assert by_id["5003"]["status"] == "wc-failed"  # stored as written


def test_coupon_and_refunds(load: Load, query: Query) -> None:
    load("woocommerce_orders.csv", "orders")
    by_id = orders(query)
    assert (by_id["5005"]["discount_code"], by_id["5005"]["discount"]) == ("SOMMER15", 450)
    assert by_id["5006"]["refunded"] == 500  # written as -5.00


def test_customers_and_net_revenue(load: Load, query: Query) -> None:
    load("woocommerce_orders.csv", "orders")
    people = {
        row["email_key"]: row
        for row in query(
            "SELECT c.*, s.orders, s.revenue FROM customers c "
            "LEFT JOIN customer_stats s ON s.customer_id = c.id"
        )
    }
    klara = people["klara@example.de"]
    assert (klara["first_name"], klara["last_name"], klara["country"]) == ("Klara", "Schulz", "DE")
    assert (klara["orders"], klara["revenue"]) == (2, 4970 + 5000 - 500)
    # Every order Pieter placed was cancelled, failed or refunded: nothing counts.
    assert people["pieter@example.nl"]["orders"] is None
    niccolo = people["niccolo@example.it"]
    assert (niccolo["first_name"], niccolo["last_name"], niccolo["language"]) == (
        "Niccolò", "D'Amico", "it",
    )  # fmt: skip
    assert niccolo["revenue"] == 3040


def test_reimport_changes_nothing(load: Load) -> None:
    load("woocommerce_orders.csv", "orders")
    again = load("woocommerce_orders.csv", "orders")
    assert (again.orders_added, again.orders_updated, again.orders_unchanged) == (0, 0, 6)
    assert (again.customers_added, again.customers_updated) == (0, 0)
