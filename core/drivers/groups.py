"""Repeat rate and revenue per customer by what the first order had: its discount code, or
its month ("did the welcome discount bring loyal customers or bargain hunters?").

Every customer with a counting order by the as-of date is in exactly one group, so the groups
add up to the shop: their customers to `stats`' customers, their repeat customers to its
repeat purchase rate, their revenue to its revenue (as of the same date).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from core.drivers.first_orders import code_group, first_orders_sql
from core.metrics import percent_of, rounded_exactly
from core.periods import month_index, month_key
from core.segment_catalog import current_rfm_table
from core.snapshot import reading, take_snapshot
from core.store import Store
from core.values import day_to_date

MIN_COMPARABLE = 30
"""A group of fewer customers is shown, but marked too small to compare: a repeat rate from
30 customers is still uncertain by about ±18 points (95 %, at a rate near 50 %)."""

GROUPINGS = ("code", "month")


@dataclass
class CustomerTotals:
    """Exact sums over a group of customers (money in net cents, up to the as-of date)."""

    customers: int = 0
    repeat_customers: int = 0
    """Customers with two or more counting orders (`stats`' repeat purchase rate)."""
    revenue: int = 0
    """Net revenue from the first order on, the first order included."""
    first_revenue: int = 0
    """Net revenue of the first orders."""

    def add(self, customers: int, repeaters: int, revenue: int, first_revenue: int) -> None:
        self.customers += customers
        self.repeat_customers += repeaters
        self.revenue += revenue
        self.first_revenue += first_revenue

    def figures(self) -> dict[str, object]:
        """The JSON figures: rates 0-100 to 4 decimals, money to 2 (half to even, exactly);
        None for a group without customers."""
        n = self.customers
        return {
            "customers": n,
            "repeat_customers": self.repeat_customers,
            "repeat_rate": percent_of(self.repeat_customers, n),
            "revenue_per_customer": rounded_exactly(self.revenue, 100 * n, 2) if n else None,
            "revenue_after_first_per_customer": (
                rounded_exactly(self.revenue - self.first_revenue, 100 * n, 2) if n else None
            ),
            "comparable": n >= MIN_COMPARABLE,
        }


# Per first-order code cell or first day: customers, repeat customers, revenue, first revenue.
_TOTALS_BY = """
    WITH {firsts}
    SELECT {column}, count(*), sum(orders >= 2), sum(revenue), sum(first_net)
    FROM firsts GROUP BY {column}
"""


def driver_groups(store: Store, by: str, as_of: date | None = None) -> dict[str, object]:
    """`retain-tui drivers --json`: the customers grouped by their first order's discount
    code (`by="code"`: the "no code" group first, `group` null, then codes by customers) or
    month (`by="month"`: in order, `group` "YYYY-MM"), each with `CustomerTotals.figures`."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}")
    with reading(store):
        snapshot = take_snapshot(store, current_rfm_table(store), as_of)
        column = "code_cell" if by == "code" else "first_day"
        sql = _TOTALS_BY.format(firsts=first_orders_sql(snapshot.stats), column=column)
        rows = store.execute(sql).fetchall()
    if by == "code":
        groups = _fold(rows, code_group)
        order = sorted(groups, key=lambda g: (g is not None, -groups[g].customers, g or ""))
    else:
        groups = _fold(rows, lambda day: month_index(day_to_date(int(day))))  # type: ignore[arg-type]
        order = sorted(groups)
    return {
        "as_of": snapshot.as_of.isoformat(),
        "by": by,
        "min_comparable": MIN_COMPARABLE,
        "groups": [
            {"group": month_key(g) if by == "month" else g, **groups[g].figures()} for g in order
        ],
    }


def _fold(
    rows: Iterable[tuple[object, int, int, int, int]], group_of: Callable[[object], object]
) -> dict:
    groups: dict[object, CustomerTotals] = {}
    for value, customers, repeaters, revenue, first_revenue in rows:
        groups.setdefault(group_of(value), CustomerTotals()).add(
            int(customers), int(repeaters), int(revenue), int(first_revenue)
        )
    return groups
