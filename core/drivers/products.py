"""Per product: did the customers it brought in come back, and do its buyers buy it again?

A product is what the order lines name, keyed like the bestsellers and the reorder evidence:
its SKU, or its name when a line has no SKU. For each product, as of the as-of date:

- its *first-order customers*: customers whose first order (core/drivers/first_orders.py)
  contained it, with their repeat rate (two or more counting orders, as `stats`) and their
  net revenue per customer from the first order on, and after it;
- its *reorder rate*: the share of its buyers who bought it in two or more distinct counting
  orders (the definition of `core.compose.reorder`, and its product names), and the median
  number of days from a buyer's first order with it to their next order with it, over those
  buyers.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from core.addresses import inline_text
from core.compose.reorder import product_names
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
# Every counting line up to :day with its product, in one pass in no particular order (no
# sort, no window: `_buyer_figures` keeps per buyer and product its first two orders). The
# buyers and those with a second order are core.compose.reorder's buyers and repeaters
# (tests check they agree). A window pass over the lines sorted by (customer, product, day)
# took 3.8 s of CPU at a million orders, this scan and the Python fold 2.0 s.
_BUYER_LINES = """
    SELECT o.customer_id, coalesce(l.sku, l.product) AS key, o.order_day, o.id
    FROM order_lines AS l CROSS JOIN orders AS o ON o.id = l.order_id
    WHERE NOT o.cancelled AND o.order_day <= :day AND o.customer_id IS NOT NULL
      AND coalesce(l.sku, l.product) IS NOT NULL
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
        sql = _FIRST_ORDER_TOTALS.format(firsts=first_orders_sql(snapshot.stats, materialized=True))
        firsts = {row[0]: row[1:] for row in store.execute(sql)}
        buyers, intervals, latest = _buyer_figures(store, day)
        names = product_names(store, latest.values())
    rows = []
    for key, count in buyers.items():
        first = CustomerTotals()
        if key in firsts:
            first.add(*(int(value) for value in firsts[key]))
        days = sorted(intervals.get(key, ()))
        median = float(statistics.median(days)) if days else None
        sku, name = names.get(key, (None, inline_text(key)))
        rows.append(
            ProductRow(key, sku, name, first, count, len(days), median).to_dict()
        )  # fmt: skip
    rows = sort_rows(rows, column, descending)
    return {
        "as_of": day.isoformat(),
        "sort": sort,
        "products": rows if limit is None else rows[:limit],
    }


def _buyer_figures(
    store: Store, day: date
) -> tuple[dict[str, int], dict[str, list[int]], dict[str, int]]:
    """Per product: its buyers; the days from each repeat buyer's first order with it to
    their second (orders ranked by day, then id; two lines in one order are one order); and
    the id of its latest order (which names it)."""
    first: dict[tuple[int, str], tuple[int, int]] = {}
    second: dict[tuple[int, str], tuple[int, int]] = {}
    latest: dict[str, int] = {}
    for customer_id, key, order_day, order_id in store.execute(
        _BUYER_LINES, {"day": day.toordinal()}
    ):
        pair, order = (customer_id, key), (order_day, order_id)
        earliest = first.get(pair)
        if earliest is None:
            first[pair] = order
        elif order < earliest:  # the old first becomes the second (it precedes any second)
            first[pair] = order
            second[pair] = earliest
        elif order != earliest and ((next_one := second.get(pair)) is None or order < next_one):
            second[pair] = order
        if order_id > latest.get(key, 0):
            latest[key] = order_id
    buyers: dict[str, int] = {}
    for _customer_id, key in first:
        buyers[key] = buyers.get(key, 0) + 1
    intervals: dict[str, list[int]] = {}
    for pair, (order_day, _order_id) in second.items():
        intervals.setdefault(pair[1], []).append(order_day - first[pair][0])
    return buyers, intervals, latest


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
