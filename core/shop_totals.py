"""The shop's all-time totals, read from the summaries so they stay cheap at a million orders.

Counting orders only (cancelled ones never count), revenue net of refunds. Guest orders
(no customer) count towards orders and revenue but not towards customers.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.store import Store


@dataclass(frozen=True)
class ShopTotals:
    customers: int
    customers_with_orders: int
    orders: int
    revenue: int
    first_day: int | None
    last_day: int | None
    currency: str | None
    last_import: str | None


def shop_totals(store: Store) -> ShopTotals:
    customers = int(store.scalar("SELECT count(*) FROM customers") or 0)
    buyers, orders, revenue, first_day, last_day = store.execute(
        "SELECT count(*), coalesce(sum(orders), 0), coalesce(sum(revenue), 0), "
        "min(first_day), max(last_day) FROM customer_stats"
    ).fetchone()
    guest_orders, guest_revenue, guest_first, guest_last = store.execute(
        "SELECT count(*), coalesce(sum(total - refunded), 0), min(order_day), max(order_day) "
        "FROM orders WHERE customer_id IS NULL AND NOT cancelled"
    ).fetchone()
    days_first = [day for day in (first_day, guest_first) if day is not None]
    days_last = [day for day in (last_day, guest_last) if day is not None]
    currency = store.get_setting("shop.currency") or store.scalar(
        "SELECT currency FROM orders WHERE currency IS NOT NULL LIMIT 1"
    )
    return ShopTotals(
        customers=customers,
        customers_with_orders=int(buyers),
        orders=int(orders) + int(guest_orders),
        revenue=int(revenue) + int(guest_revenue),
        first_day=min(days_first) if days_first else None,
        last_day=max(days_last) if days_last else None,
        currency=None if currency is None else str(currency),
        last_import=_last_import(store),
    )


def _last_import(store: Store) -> str | None:
    value = store.scalar("SELECT max(finished_at) FROM import_runs")
    return None if value is None else str(value)
