"""The shop's all-time totals, read from the summaries so they stay cheap at a million orders.

Counting orders only (cancelled and fully refunded ones never count), revenue net of refunds.
`orders` and `revenue` are those of customers, the same basis as every figure of
`core.metrics`: a guest order (no customer) cannot be retained. Guests' orders and revenue
are reported on their own, as `guest_orders` and `guest_revenue`.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.store import Store


@dataclass(frozen=True)
class ShopTotals:
    customers: int
    customers_with_orders: int
    orders: int
    """Counting orders of customers (guests' are in `guest_orders`)."""
    revenue: int
    """Net revenue in cents of customers' orders (guests' is in `guest_revenue`)."""
    guest_orders: int
    guest_revenue: int
    first_day: int | None
    last_day: int | None
    currency: str | None
    last_import: str | None


@dataclass(frozen=True)
class GuestTotals:
    """Counting orders without a customer, and their net revenue in cents."""

    orders: int
    revenue: int
    first_day: int | None
    last_day: int | None


def guest_totals(
    store: Store, first_day: int | None = None, last_day: int | None = None
) -> GuestTotals:
    """Guests' counting orders dated in [first_day, last_day] (either end open).

    Guests are in no summary; `orders_by_customer` (customer_id, order_day) reads only their
    orders, never the customers' ones.
    """
    bounds = [(f"order_day {op} ?", day) for op, day in ((">=", first_day), ("<=", last_day))]
    where = "".join(f" AND {condition}" for condition, day in bounds if day is not None)
    orders, revenue, first, last = store.execute(
        "SELECT count(*), coalesce(sum(total - refunded), 0), min(order_day), max(order_day) "
        f"FROM orders WHERE customer_id IS NULL AND NOT cancelled{where}",
        [day for _, day in bounds if day is not None],
    ).fetchone()
    return GuestTotals(int(orders), int(revenue), first, last)


def shop_totals(store: Store) -> ShopTotals:
    customers = int(store.scalar("SELECT count(*) FROM customers") or 0)
    buyers, orders, revenue, first_day, last_day = store.execute(
        "SELECT count(*), coalesce(sum(orders), 0), coalesce(sum(revenue), 0), "
        "min(first_day), max(last_day) FROM customer_stats"
    ).fetchone()
    guests = guest_totals(store)
    days_first = [day for day in (first_day, guests.first_day) if day is not None]
    days_last = [day for day in (last_day, guests.last_day) if day is not None]
    currency = store.get_setting("shop.currency") or store.scalar(
        "SELECT currency FROM orders WHERE currency IS NOT NULL LIMIT 1"
    )
    return ShopTotals(
        customers=customers,
        customers_with_orders=int(buyers),
        orders=int(orders),
        revenue=int(revenue),
        guest_orders=guests.orders,
        guest_revenue=guests.revenue,
        first_day=min(days_first) if days_first else None,
        last_day=max(days_last) if days_last else None,
        currency=None if currency is None else str(currency),
        last_import=_last_import(store),
    )


def _last_import(store: Store) -> str | None:
    value = store.scalar("SELECT max(finished_at) FROM import_runs")
    return None if value is None else str(value)
