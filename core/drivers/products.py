"""Per product: did the customers it brought in come back, and do its buyers buy it again?

A product is what the order lines name, keyed like the bestsellers and the reorder evidence:
its SKU, or its name when a line has no SKU. For each product, as of the as-of date:

- its *first-order customers*: customers whose first order (core/drivers/first_orders.py)
  contained it, with their repeat rate (two or more counting orders, as `stats`) and their
  net revenue per customer from the first order on, and after it;
- its *reorder rate*: the share of its buyers who bought it in two or more distinct counting
  orders (the definition and the pass of `core.compose.reorder`), and the median number of
  days from a buyer's first order with it to their next order with it, over those buyers.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from core.compose.reorder import reorder_products
from core.drivers.first_orders import first_orders_sql
from core.drivers.groups import CustomerTotals
from core.metrics import percent_of
from core.segment_catalog import current_rfm_table
from core.snapshot import reading, take_snapshot
from core.store import Store

# Per product: its first-order customers (a first order with two lines of it counts once).
_FIRST_ORDER_TOTALS = """
    WITH {firsts},
    first_lines AS (
        SELECT DISTINCT f.cid, coalesce(l.sku, l.product) AS key, f.orders, f.revenue,
                        f.first_net
        FROM firsts AS f JOIN order_lines AS l ON l.order_id = f.oid
        WHERE coalesce(l.sku, l.product) IS NOT NULL
    )
    SELECT key, count(*), sum(orders >= 2), sum(revenue), sum(first_net)
    FROM first_lines GROUP BY key
"""
# Days from each buyer's first order with a product to their next distinct order with it,
# for the buyers who have one (up to :day), by product.
_REORDER_DAYS = """
    WITH bought AS (
        SELECT DISTINCT o.customer_id AS cid, coalesce(l.sku, l.product) AS key,
                        o.order_day AS day, o.id AS oid
        FROM order_lines AS l CROSS JOIN orders AS o ON o.id = l.order_id
        WHERE NOT o.cancelled AND o.order_day <= :day AND o.customer_id IS NOT NULL
          AND coalesce(l.sku, l.product) IS NOT NULL
    ),
    ranked AS (
        SELECT key, day - lag(day) OVER buyer AS days, row_number() OVER buyer AS k
        FROM bought WINDOW buyer AS (PARTITION BY cid, key ORDER BY day, oid)
    )
    SELECT key, days FROM ranked WHERE k = 2 ORDER BY key, days
"""

SORT_COLUMNS = (
    "key", "name", "first_order_customers", "repeat_rate", "revenue_per_customer",
    "revenue_after_first_per_customer", "buyers", "reorder_rate", "median_reorder_days",
)  # fmt: skip
DEFAULT_SORT = "-first_order_customers"


class SortError(ValueError):
    """An unknown `--sort` column."""


@dataclass(frozen=True)
class ProductRow:
    key: str
    sku: str | None
    name: str
    first: CustomerTotals
    buyers: int
    reorder_customers: int
    median_reorder_days: float | None

    def to_dict(self) -> dict[str, object]:
        figures = self.first.figures()
        return {
            "key": self.key,
            "sku": self.sku,
            "name": self.name,
            "first_order_customers": figures.pop("customers"),
            **figures,
            "buyers": self.buyers,
            "reorder_customers": self.reorder_customers,
            "reorder_rate": percent_of(self.reorder_customers, self.buyers),
            "median_reorder_days": self.median_reorder_days,
        }


def product_figures(
    store: Store, as_of: date | None = None, sort: str = DEFAULT_SORT, limit: int | None = None
) -> dict[str, object]:
    """`retain-tui products --json`: `{"as_of", "sort", "products": [...]}`, every product
    bought by the as-of date, sorted by `sort` (a column of SORT_COLUMNS, "-" first for
    descending; ties by key; a missing value last either way), at most `limit` of them."""
    column, descending = parse_sort(sort)
    with reading(store):
        snapshot = take_snapshot(store, current_rfm_table(store), as_of)
        day = snapshot.as_of
        sql = _FIRST_ORDER_TOTALS.format(firsts=first_orders_sql(snapshot.stats))
        firsts = {row[0]: row[1:] for row in store.execute(sql)}
        bought = reorder_products(store, day, min_percent=0, min_buyers=1)
        intervals: dict[str, list[int]] = {}
        for key, days in store.execute(_REORDER_DAYS, {"day": day.toordinal()}):
            intervals.setdefault(key, []).append(int(days))
    rows = []
    for key, product in bought.items():
        first = CustomerTotals()
        if key in firsts:
            first.add(*(int(value) for value in firsts[key]))
        days = intervals.get(key)
        median = float(statistics.median(days)) if days else None
        rows.append(
            ProductRow(key, product.sku, product.name, first, product.buyers, product.repeaters,
                       median).to_dict()
        )  # fmt: skip
    rows = sort_rows(rows, column, descending)
    return {
        "as_of": day.isoformat(),
        "sort": sort,
        "products": rows if limit is None else rows[:limit],
    }


def parse_sort(sort: str) -> tuple[str, bool]:
    """("column", descending) from "column" or "-column"; SortError names the choices."""
    column = sort[1:] if sort.startswith("-") else sort
    if column not in SORT_COLUMNS:
        raise SortError(f"unknown column {column!r}; choose one of {', '.join(SORT_COLUMNS)} "
                        "(a leading '-' sorts descending)")  # fmt: skip
    return column, sort.startswith("-")


def sort_rows(rows: list[dict], column: str, descending: bool) -> list[dict]:
    """Rows by `column` (missing values last), then by key."""
    rows = sorted(rows, key=lambda row: row["key"])
    present = [row for row in rows if row[column] is not None]
    missing = [row for row in rows if row[column] is None]
    present.sort(key=lambda row: row[column], reverse=descending)
    return present + missing
