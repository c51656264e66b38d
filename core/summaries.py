"""The per-customer, per-day and per-cohort summaries the metrics read, kept current by imports.

All are derived from counting orders (not cancelled) and net revenue (total − refunded),
refreshed only for the customers an import touched:

- `customer_days`: one row per customer and day with orders, and `prev_day`, the customer's
  previous order day (NULL on the first), which lets the metrics count distinct customers
  in any range of days from one index without grouping;
- `customer_stats`: per customer orders, revenue, first and last day;
- `day_totals`: per day the orders and revenue of all customers, adjusted like cohorts;
- `cohort_months`: per (cohort month, month) how many customers of the cohort ordered then,
  and their net revenue then (for `stats`' revenue from returning customers), adjusted by
  subtracting the touched customers' old contribution and adding the new one;
- the RFM and VIP cut values of `customer_stats` (core/rfm_cuts.py);
- the recommendations' products, pairs and intervals (core/recommend/precompute.py);
- the loyalty points earned per customer and day (`loyalty_points`, core/loyalty/kept.py).
"""

from __future__ import annotations

import sqlite3
from datetime import date

from core.bulk_load import set_aside
from core.loyalty.kept import everyone_params, refresh_points
from core.periods import month_index
from core.recommend import precompute as recommend_tables
from core.rfm_cuts import save_cuts
from core.schema_programme import ORDER_POINTS, bonuses_up_to

AFFECTED_TABLE = "temp.affected_customers"
_FRESH_DAYS = "temp.fresh_customer_days"
_FRESH_STATS = "temp.fresh_customer_stats"
"""The touched customers' days and stats as their orders now give them (`_refresh_affected`)."""
_EVERY_DAY = "temp.rebuilt_customer_days"
"""Every customer's days with their loyalty points, from a rebuild (`_rebuild_everything`)."""

# Every customer day with counting orders: `customer_days`' columns, the loyalty points the
# day earned as `loyalty_points_from_orders` gives them (its orders' points, and the bonus
# of the 2nd or 5th counting order when the day holds it: its orders are the customer's
# ranked `so_far - orders` + 1 to `so_far`) and their running sum, from one sort of the orders.
_EVERY_DAY_FROM_ORDERS = f"""
    INSERT INTO {_EVERY_DAY} (customer_id, day, orders, revenue, prev_day, points, kept)
    SELECT customer_id, day, orders, revenue, prev_day,
           points + {bonuses_up_to("so_far")} - {bonuses_up_to("so_far - orders")},
           points_so_far + {bonuses_up_to("so_far")}
    FROM (
        SELECT customer_id, order_day AS day, count(*) AS orders,
               sum(total - refunded) AS revenue, lag(order_day) OVER running AS prev_day,
               sum({ORDER_POINTS}) AS points, sum(count(*)) OVER running AS so_far,
               sum(sum({ORDER_POINTS})) OVER running AS points_so_far
        FROM orders NOT INDEXED
        WHERE customer_id IS NOT NULL AND NOT cancelled
        GROUP BY customer_id, order_day
        WINDOW running AS (PARTITION BY customer_id ORDER BY order_day ROWS UNBOUNDED PRECEDING)
    )
"""

# (cohort month, month) pairs of the customers in {customers}: their customers, one per
# customer and month with an order, counted on the customer's first day in that month
# (prev_day in an earlier month), and their net revenue in that month, from every day.
# CROSS JOIN keeps customers as the outer loop so customer_days is read in key order.
_COHORT_PAIRS = """
    SELECT first_month.month AS cohort, this_month.month AS month,
           count(*) FILTER (WHERE prev_month.month IS NULL
                                  OR prev_month.month < this_month.month) AS customers,
           sum(d.revenue) AS revenue
    FROM {customers}
    CROSS JOIN customer_days AS d ON d.customer_id = s.customer_id
    JOIN calendar AS first_month ON first_month.day = s.first_day
    JOIN calendar AS this_month ON this_month.day = d.day
    LEFT JOIN calendar AS prev_month ON prev_month.day = d.prev_day
    GROUP BY first_month.month, this_month.month
"""


def refresh_summaries(conn: sqlite3.Connection, *, everyone: bool = False) -> None:
    """Recompute summaries for the ids in `temp.affected_customers` (or for every customer).

    Run inside the import's transaction so the summaries never disagree with the orders.
    """
    if everyone:
        _rebuild_everything(conn)
    else:
        _refresh_affected(conn)
    recommend_tables.refresh(conn, everyone=everyone)
    save_cuts(conn, from_indexes=not everyone)
    if everyone:
        refresh_points(conn, everyone=True, every_day=_EVERY_DAY)
        conn.execute(f"DROP TABLE {_EVERY_DAY}")
    else:
        refresh_points(conn, AFFECTED_TABLE)


def _refresh_affected(conn: sqlite3.Connection) -> None:
    """Take the touched customers out of every summary and put them back as they are now.

    Their days and stats are computed afresh into TEMP tables and only the rows that differ
    are written: an import of new orders mostly adds a day per customer, and rewriting
    every day of their history (and its `customer_days_by_day` entry, one page each) made
    up a quarter of the pages an import of 1,000 orders wrote into a million-order shop.
    The day totals and cohorts are adjusted by the whole before and after, as before.
    """
    affected = f"SELECT id FROM {AFFECTED_TABLE}"
    customers = f"{AFFECTED_TABLE} AS a CROSS JOIN customer_stats AS s ON s.customer_id = a.id"
    affected_days = f"WHERE customer_id IN ({affected})"
    for table in (_FRESH_DAYS, _FRESH_STATS):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {_FRESH_DAYS} AS SELECT * FROM customer_days WHERE 0")
    conn.execute(f"CREATE TABLE {_FRESH_STATS} AS SELECT * FROM customer_stats WHERE 0")
    _insert_summaries(
        conn, f"AND customer_id IN ({affected})", days=_FRESH_DAYS, stats=_FRESH_STATS
    )
    _add_day_totals(conn, affected_days, sign=-1)
    _add_cohort_pairs(conn, customers, sign=-1)
    _write_differences(conn, "customer_days", _FRESH_DAYS, ("customer_id", "day"),
                       ("orders", "revenue", "prev_day"))  # fmt: skip
    # first_day apart: set only where it moved, so its index is left alone otherwise.
    _write_differences(conn, "customer_stats", _FRESH_STATS, ("customer_id",),
                       ("orders", "revenue", "last_day"), rarely=("first_day",))  # fmt: skip
    for table in (_FRESH_DAYS, _FRESH_STATS):
        conn.execute(f"DROP TABLE {table}")
    _add_day_totals(conn, affected_days, sign=1)
    _extend_calendar(conn)
    _add_cohort_pairs(conn, customers, sign=1)
    conn.execute("DELETE FROM day_totals WHERE orders = 0")
    conn.execute("DELETE FROM cohort_months WHERE customers = 0")


def _write_differences(
    conn: sqlite3.Connection,
    table: str,
    fresh: str,
    key: tuple[str, ...],
    values: tuple[str, ...],
    rarely: tuple[str, ...] = (),
) -> None:
    """Make the touched customers' rows of `table` those of `fresh`, writing only what
    differs (the triggers on `customer_stats` see an update, not a delete and an insert).

    SQLite rewrites the index entries of every column an UPDATE sets, changed or not: the
    `rarely` columns are set by a statement of their own, for the rows where they differ.
    `OR FAIL`: a failing statement keeps its earlier rows instead of undoing them, which
    spares SQLite journaling every page it changes into a temp file (8,000 writes for the
    stats of 1,000 new orders); any failure rolls the whole import back all the same."""
    keys, matched = ", ".join(key), " AND ".join(f"{table}.{c} = f.{c}" for c in key)
    conn.execute(
        f"DELETE FROM {table} WHERE customer_id IN (SELECT id FROM {AFFECTED_TABLE}) "
        f"AND ({keys}) NOT IN (SELECT {keys} FROM {fresh})"
    )

    def update(columns: tuple[str, ...], where_one_differs: tuple[str, ...]) -> None:
        changes = ", ".join(f"{column} = f.{column}" for column in columns)
        differs = " OR ".join(f"{table}.{c} IS NOT f.{c}" for c in where_one_differs)
        conn.execute(
            f"UPDATE OR FAIL {table} SET {changes} FROM {fresh} AS f "
            f"WHERE {matched} AND ({differs})"
        )

    if rarely:
        update((*values, *rarely), rarely)
    update(values, values)
    columns = ", ".join((*key, *values, *rarely))
    conn.execute(
        f"INSERT OR FAIL INTO {table} ({columns}) SELECT {columns} FROM {fresh} AS f "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {matched})"
    )


def _rebuild_everything(conn: sqlite3.Connection) -> None:
    """All summaries from scratch, as after a first import of a big file; every customer
    day with its loyalty points is left in `_EVERY_DAY` for `refresh_points`.

    Measured at a million orders: building the indexes once after the rows are in, and
    reading orders in table order then sorting once (rather than one lookup per order
    through `orders_by_customer`), halve the time. Sorting them once for the days and the
    loyalty points (which sorted them again, by time within each day) saves 2.8 s more.
    """
    conn.execute(f"DROP TABLE IF EXISTS {_EVERY_DAY}")
    conn.execute(
        f"CREATE TABLE {_EVERY_DAY} (customer_id INTEGER NOT NULL, day INTEGER NOT NULL, "
        "orders INTEGER NOT NULL, revenue INTEGER NOT NULL, prev_day INTEGER, "
        "points INTEGER NOT NULL, kept INTEGER NOT NULL, PRIMARY KEY (customer_id, day)) "
        "WITHOUT ROWID"
    )
    conn.execute(_EVERY_DAY_FROM_ORDERS, everyone_params(conn))
    with set_aside(conn, "index", ("customer_days", "customer_stats")):
        for table in ("cohort_months", "day_totals", "customer_days", "customer_stats"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute(
            "INSERT INTO customer_days (customer_id, day, orders, revenue, prev_day) "
            f"SELECT customer_id, day, orders, revenue, prev_day FROM {_EVERY_DAY}"
        )
        _insert_stats(conn, "customer_days", "customer_stats")
        _add_day_totals(conn, "", sign=1)
    _extend_calendar(conn)
    _add_cohort_pairs(conn, "customer_stats AS s", sign=1)


def _insert_summaries(conn: sqlite3.Connection, where: str, *, days: str, stats: str) -> None:
    conn.execute(
        f"""
        INSERT INTO {days} (customer_id, day, orders, revenue, prev_day)
        SELECT customer_id, order_day, count(*), sum(total - refunded),
               lag(order_day) OVER (PARTITION BY customer_id ORDER BY order_day)
        FROM orders
        WHERE customer_id IS NOT NULL AND NOT cancelled {where}
        GROUP BY customer_id, order_day
        """
    )
    _insert_stats(conn, days, stats)


def _insert_stats(conn: sqlite3.Connection, days: str, stats: str) -> None:
    conn.execute(
        f"""
        INSERT INTO {stats} (customer_id, orders, revenue, first_day, last_day)
        SELECT customer_id, sum(orders), sum(revenue), min(day), max(day)
        FROM {days}
        GROUP BY customer_id
        """
    )


def _add_day_totals(conn: sqlite3.Connection, where: str, sign: int) -> None:
    """Add (sign=1) or take away (sign=-1) the customer days `where` selects, per day."""
    conn.execute(
        f"""
        INSERT INTO day_totals (day, orders, revenue)
        SELECT day, ? * sum(orders), ? * sum(revenue) FROM customer_days {where or "WHERE 1"}
        GROUP BY day
        ON CONFLICT (day) DO UPDATE SET orders = orders + excluded.orders,
                                        revenue = revenue + excluded.revenue
        """,
        (sign, sign),
    )


def rebuild_cohort_months(conn: sqlite3.Connection) -> None:
    """`cohort_months` from scratch out of the other summaries (the migration that added its
    revenue)."""
    conn.execute("DELETE FROM cohort_months")
    _add_cohort_pairs(conn, "customer_stats AS s", sign=1)


def _extend_calendar(conn: sqlite3.Connection) -> None:
    """Make `calendar` hold every day from the first to the last customer order."""
    data_first = conn.execute("SELECT min(day) FROM customer_days").fetchone()[0]
    if data_first is None:
        return
    data_last = conn.execute("SELECT max(day) FROM customer_days").fetchone()[0]
    known_first = conn.execute("SELECT min(day) FROM calendar").fetchone()[0]
    known_last = conn.execute("SELECT max(day) FROM calendar").fetchone()[0]
    if known_first is None:
        missing = range(data_first, data_last + 1)
    else:
        missing = [*range(data_first, known_first), *range(known_last + 1, data_last + 1)]
    conn.executemany(
        "INSERT INTO calendar (day, month) VALUES (?, ?)",
        ((day, month_index(date.fromordinal(day))) for day in missing),
    )


def _add_cohort_pairs(conn: sqlite3.Connection, customers: str, sign: int) -> None:
    """Add (sign=1) or take away (sign=-1) the cohort pairs of `customers` (aliased `s`)."""
    conn.execute(
        f"""
        INSERT INTO cohort_months (cohort, month, customers, revenue)
        SELECT cohort, month, ? * customers, ? * revenue
        FROM ({_COHORT_PAIRS.format(customers=customers)})
        WHERE 1
        ON CONFLICT (cohort, month) DO UPDATE SET customers = customers + excluded.customers,
                                                  revenue = revenue + excluded.revenue
        """,
        (sign, sign),
    )
