"""The summaries behind the metrics: migration of an older store, calendar, query plans."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from core.importers import import_file
from core.metrics import compute_stats, members
from core.schema import MIGRATIONS
from core.store import open_store

DATA = Path(__file__).parent / "data"
SUMMARIES = ("customer_days", "customer_stats", "day_totals", "cohort_months")


def summaries(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in SUMMARIES}


def test_migrating_a_version_1_store_backfills_the_summaries(tmp_path: Path) -> None:
    current = open_store(tmp_path / "current.db", create=True)
    import_file(current, DATA / "metrics_small.csv", "orders")
    current.close()
    # The same shop as version 1 kept it: no prev_day, day_totals, calendar or cohorts.
    old = sqlite3.connect(tmp_path / "old.db")
    old.executescript(MIGRATIONS[0])
    # Later versions added columns to orders (8: shipping, tax, fulfilment): copy version 1's.
    columns = ", ".join(row[1] for row in old.execute("PRAGMA table_info(orders)"))
    old.executescript(
        f"""
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version VALUES (1);
        ATTACH '{tmp_path / "current.db"}' AS src;
        INSERT INTO customers SELECT * FROM src.customers;
        INSERT INTO orders ({columns}) SELECT {columns} FROM src.orders;
        INSERT INTO customer_days (customer_id, day, orders, revenue)
        SELECT customer_id, order_day, count(*), sum(total - refunded) FROM orders
        WHERE customer_id IS NOT NULL AND NOT cancelled GROUP BY customer_id, order_day;
        INSERT INTO customer_stats
        SELECT customer_id, sum(orders), sum(revenue), min(day), max(day) FROM customer_days
        GROUP BY customer_id;
        DETACH src;
        """
    )
    old.close()
    migrated = open_store(tmp_path / "old.db")
    expected = open_store(tmp_path / "current.db")
    assert migrated.schema_version() == len(MIGRATIONS)
    assert summaries(migrated.conn) == summaries(expected.conn)
    assert compute_stats(migrated, period="month", window_days=30) == compute_stats(
        expected, period="month", window_days=30
    )
    migrated.close()
    expected.close()


def test_calendar_grows_with_the_dates_imported(tmp_path: Path) -> None:
    store = open_store(tmp_path / "shop.db", create=True)
    assert store.scalar("SELECT count(*) FROM calendar") == 0  # a new store stays small
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "order_id,ordered_at,customer_id,total\n"
        "1,1999-12-31,A,1.00\n2,2000-01-01,A,1.00\n3,2000-03-01,B,1.00\n"
    )
    import_file(store, csv, "orders")
    csv.write_text("order_id,ordered_at,customer_id,total\n4,1999-10-15,B,1.00\n")
    import_file(store, csv, "orders")
    first, last, days = store.execute(
        "SELECT min(day), max(day), count(*) FROM calendar"
    ).fetchone()
    assert (first, last) == (date(1999, 10, 15).toordinal(), date(2000, 3, 1).toordinal())
    assert days == last - first + 1
    assert compute_stats(store, period="month")["cohorts"] == {
        "1999-10": [100.0, 0.0, 0.0, 0.0, 0.0, 100.0],  # B: October, then March
        "1999-12": [100.0, 100.0, 0.0, 0.0],  # A: 31 December and 1 January
    }
    store.close()


def test_metric_queries_use_indexes_and_never_read_orders(tmp_path: Path) -> None:
    store = open_store(tmp_path / "shop.db", create=True)
    import_file(store, DATA / "metrics_small.csv", "orders")
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    compute_stats(store, period="month", window_days=10)
    compute_stats(store, period="quarter", start=date(2024, 1, 10))
    for figure in ("B", "E", "N", "churned", "retained", "returning", "active"):
        members(store, figure, date(2024, 2, 1), date(2024, 2, 29), 30)
    store.conn.set_trace_callback(None)
    assert len(statements) > 20
    as_of_probes = 0
    for sql in statements:
        guests = "customer_id IS NULL" in sql  # guests are in no summary: their orders only
        for *_, step in store.execute(f"EXPLAIN QUERY PLAN {sql}"):
            if guests:
                assert step.startswith("SEARCH orders USING INDEX orders_by_customer"), step
                assert "customer_id=?" in step, step
                continue
            if step == "SCAN orders USING INDEX orders_by_day" and sql.endswith("DESC LIMIT 1"):
                as_of_probes += 1  # the as-of date: the newest order, read off the day index
                continue
            assert not step.startswith(("SCAN orders", "SEARCH orders")), sql
            if "customer_days" in step:
                assert step.startswith("SEARCH") or "COVERING INDEX" in step, (sql, step)
    assert as_of_probes == 2  # once per compute_stats
    store.close()
