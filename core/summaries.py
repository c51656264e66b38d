"""The per-customer and per-day summaries the metrics read, kept current by every import.

Both are derived from counting orders (not cancelled) and net revenue (total − refunded),
refreshed only for the customers an import touched.
"""

from __future__ import annotations

import sqlite3

from core.rfm_cuts import save_cuts

AFFECTED_TABLE = "temp.affected_customers"


def refresh_summaries(conn: sqlite3.Connection, *, everyone: bool = False) -> None:
    """Recompute summaries for the ids in `temp.affected_customers` (or for every customer).

    Run inside the import's transaction so the summaries never disagree with the orders.
    """
    if everyone:
        conn.execute("DELETE FROM customer_days")
        conn.execute("DELETE FROM customer_stats")
        where, stats_where = "", ""
    else:
        conn.execute(
            f"DELETE FROM customer_days WHERE customer_id IN (SELECT id FROM {AFFECTED_TABLE})"
        )
        conn.execute(
            f"DELETE FROM customer_stats WHERE customer_id IN (SELECT id FROM {AFFECTED_TABLE})"
        )
        where = f"AND customer_id IN (SELECT id FROM {AFFECTED_TABLE})"
        stats_where = f"WHERE customer_id IN (SELECT id FROM {AFFECTED_TABLE})"
    conn.execute(
        f"""
        INSERT INTO customer_days (customer_id, day, orders, revenue)
        SELECT customer_id, order_day, count(*), sum(total - refunded)
        FROM orders
        WHERE customer_id IS NOT NULL AND NOT cancelled {where}
        GROUP BY customer_id, order_day
        """
    )
    conn.execute(
        f"""
        INSERT INTO customer_stats (customer_id, orders, revenue, first_day, last_day)
        SELECT customer_id, sum(orders), sum(revenue), min(day), max(day)
        FROM customer_days {stats_where}
        GROUP BY customer_id
        """
    )
    save_cuts(conn)
