"""Benchmark `retain-tui stats` on a 1,000,000-order shop, checked figure by figure against DuckDB.

    python bench/bench_stats.py [--csv bench/out/shop_1m.csv] [--db ...] [--reuse-db]

1. Writes the shop with bench/make_shop.py if the CSV is missing, and imports it as a generic
   CSV into a fresh database (`retain-tui import orders`, timed, peak memory measured).
2. Times `retain-tui stats --period quarter --json` as a whole command, several runs.
3. Loads the same CSV into an in-memory DuckDB table (all orders, cancelled ones included),
   computes every figure there with plain SQL (timed, loading excluded), and checks that
   the figures are EQUAL to ours; prints the ratio of our command to DuckDB's computation.

Targets (2-core machine): import >= 100,000 orders/s; stats <= 1.0 s; ratio <= 1.0;
peak memory of either command <= 500 MB. DuckDB is the optional `bench` extra.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from common import DATA, SHOP_CSV, shop_csv, timed_command

WINDOW = 365
RUNS = 5
# How the generic importer reads a cancellation (core/importers/formats.py, GENERIC_ORDERS).
CANCELLED = ("cancelled", "canceled", "failed", "refunded", "voided")
SPEC_KEYS = ("customers", "orders", "revenue", "repeat_purchase_rate", "purchase_frequency",
             "average_order_value", "revenue_per_customer", "avg_days_between_orders",
             "period", "window_days", "as_of", "periods", "cohorts")  # fmt: skip


def rounded(numerator: int, denominator: int, decimals: int) -> float:
    """The rounding the figures promise (half to even, exactly), written independently."""
    if denominator == 0:
        return 0.0
    value = Decimal(numerator) / Decimal(denominator)
    return float(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN))


def percent(part: int, whole: int) -> float | None:
    return rounded(100 * part, whole, 4) if whole else None


def quarters(first: date, last: date) -> list[tuple[date, date, bool]]:
    """The quarters from `first` to `last` (the as-of date), the last one ending on it:
    (start, end, whether the quarter is whole)."""
    year, month = first.year, (first.month - 1) // 3 * 3 + 1
    periods = []
    while date(year, month, 1) <= last:
        following = date(year + month // 10, (month + 2) % 12 + 1, 1)
        end = min(following - timedelta(days=1), last)
        periods.append((date(year, month, 1), end, end == following - timedelta(days=1)))
        year, month = following.year, following.month
    return periods


def duckdb_figures(con: object, window: int) -> dict[str, object]:
    """Every figure of `stats --period quarter --json`, computed by DuckDB from `orders`."""
    q = con.execute  # type: ignore[attr-defined]
    q("CREATE OR REPLACE TEMP TABLE counting AS "
      "SELECT cust, d, total - refunded AS net FROM orders WHERE NOT cancelled")  # fmt: skip
    q("CREATE OR REPLACE TEMP TABLE days AS SELECT DISTINCT cust, d FROM counting")
    q("CREATE OR REPLACE TEMP TABLE firsts AS SELECT cust, min(d) AS f FROM days GROUP BY cust")
    customers, orders, revenue, repeaters, spread, first, last = q(
        """
        SELECT count(*), sum(n), sum(rev), count(*) FILTER (WHERE n >= 2),
               sum(last_d - first_d), min(first_d), max(last_d)
        FROM (SELECT cust, count(*) AS n, sum(net) AS rev, min(d) AS first_d,
                     max(d) AS last_d FROM counting GROUP BY cust)
        """
    ).fetchone()
    orders, revenue, spread = int(orders), int(revenue), int(spread)
    periods = quarters(first, last)
    q("CREATE OR REPLACE TEMP TABLE periods (k INTEGER, s DATE, e DATE)")
    q("INSERT INTO periods VALUES " + ", ".join(
        f"({k}, DATE '{s}', DATE '{e}')" for k, (s, e, _) in enumerate(periods)))  # fmt: skip
    sets = {
        row[0]: row[1:]
        for row in q(
            f"""
            WITH flags AS (
                SELECT p.k, days.cust,
                       bool_or(days.d BETWEEN p.s - {window} AND p.s - 1) AS in_b,
                       bool_or(days.d BETWEEN p.e - {window - 1} AND p.e) AS in_e,
                       bool_or(days.d BETWEEN p.s AND p.e) AS active
                FROM periods AS p JOIN days ON days.d BETWEEN p.s - {window} AND p.e
                GROUP BY p.k, days.cust
            )
            SELECT flags.k, count(*) FILTER (WHERE in_b), count(*) FILTER (WHERE in_e),
                   count(*) FILTER (WHERE in_b AND in_e), count(*) FILTER (WHERE active),
                   count(*) FILTER (WHERE active AND firsts.f < p.s)
            FROM flags JOIN firsts USING (cust) JOIN periods AS p ON p.k = flags.k
            GROUP BY flags.k
            """
        ).fetchall()
    }
    new = dict(q("SELECT k, count(*) FROM firsts JOIN periods ON f BETWEEN s AND e "
                 "GROUP BY k").fetchall())  # fmt: skip
    sales = {
        k: (n, int(rev))
        for k, n, rev in q(
            "SELECT k, count(*), sum(net) FROM counting JOIN periods ON d BETWEEN s AND e "
            "GROUP BY k"
        ).fetchall()
    }
    rows = []
    for k, (s, e, whole) in enumerate(periods):
        b, e_count, both, active, returning = sets.get(k, (0, 0, 0, 0, 0))
        n = new.get(k, 0)
        n_orders, n_revenue = sales.get(k, (0, 0))
        rows.append({
            "start": s.isoformat(), "end": e.isoformat(), "B": b, "E": e_count, "N": n,
            "crr": percent(e_count - n, b), "churn": percent(b - both, b),
            "returning_customer_rate": percent(returning, active),
            "orders": n_orders, "revenue": rounded(n_revenue, 100, 2), "complete": whole,
        })  # fmt: skip
    cohorts: dict[str, list[float]] = {}
    pairs = q(
        """
        SELECT CAST(date_trunc('month', f) AS DATE) AS cohort,
               CAST(date_trunc('month', d) AS DATE) AS month, count(DISTINCT cust)
        FROM days JOIN firsts USING (cust) GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall()
    by_cohort: dict[date, dict[date, int]] = {}
    for cohort, month, count in pairs:
        by_cohort.setdefault(cohort, {})[month] = count
    last_month = (last.year, last.month)
    for cohort, months in by_cohort.items():
        size, shares = months[cohort], []
        year, month = cohort.year, cohort.month
        while (year, month) <= last_month:
            shares.append(rounded(100 * months.get(date(year, month, 1), 0), size, 4))
            year, month = year + month // 12, month % 12 + 1
        cohorts[f"{cohort.year:04d}-{cohort.month:02d}"] = shares
    gaps = orders - customers
    return {
        "customers": customers, "orders": orders, "revenue": rounded(revenue, 100, 2),
        "repeat_purchase_rate": percent(repeaters, customers) or 0.0,
        "purchase_frequency": rounded(orders, customers, 4),
        "average_order_value": rounded(revenue, 100 * orders, 2),
        "revenue_per_customer": rounded(revenue, 100 * customers, 2),
        "avg_days_between_orders": rounded(spread, gaps, 4) if gaps else None,
        "period": "quarter", "window_days": window, "as_of": last.isoformat(), "periods": rows,
        "cohorts": cohorts,
    }  # fmt: skip


def load_duckdb(csv_path: Path) -> object:
    try:
        import duckdb
    except ImportError:
        sys.exit("bench_stats.py checks every figure against DuckDB: install it with "
                 "`.venv/bin/pip install -e '.[bench]'`")  # fmt: skip

    con = duckdb.connect(":memory:")
    statuses = ", ".join(f"'{s}'" for s in CANCELLED)
    # A refund that covers the whole total makes the order no purchase, as a cancellation does
    # (docs/metrics.md), whatever its status says.
    con.execute(
        f"""
        CREATE TABLE orders AS
        SELECT cust, d, total, refunded,
               status_cancelled OR (total > 0 AND total <= refunded) AS cancelled
        FROM (
            SELECT customer_id AS cust,
                   CAST(substr(ordered_at, 1, 10) AS DATE) AS d,
                   CAST(CAST(total AS DECIMAL(18, 2)) * 100 AS BIGINT) AS total,
                   CAST(CAST(coalesce(nullif(refunded, ''), '0') AS DECIMAL(18, 2)) * 100
                        AS BIGINT) AS refunded,
                   lower(trim(status)) IN ({statuses}) AS status_cancelled
            FROM read_csv('{csv_path}', header = true, all_varchar = true)
        )
        """
    )
    return con


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=SHOP_CSV)
    parser.add_argument("--db", type=Path, default=DATA / "bench_stats.db")
    parser.add_argument("--reuse-db", action="store_true", help="Skip the import.")
    args = parser.parse_args()
    python = sys.executable
    shop_csv(args.csv)
    rows = sum(1 for _ in args.csv.open("rb")) - 1

    if not args.reuse_db:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        seconds, peak, out = timed_command(
            [python, "-m", "tui", "import", "orders", str(args.csv), "--json", "--db", str(args.db)]
        )
        result = json.loads(out)
        if result["rows_rejected"]:
            sys.exit(f"the import rejected {result['rows_rejected']} rows: {result['errors'][:3]}")
        merging = result["merge_seconds"]
        print(f"import  {rows:,} orders: {seconds:.2f} s wall ({rows / seconds:,.0f} orders/s; "
              f"import itself {result['seconds']:.2f} s), peak {peak} MB")  # fmt: skip
        print(f"        reading and staging the file {result['seconds'] - merging:.2f} s, "
              f"merging into the store {merging:.2f} s: even with reading free, the merge "
              f"alone allows at most {rows / merging:,.0f} orders/s")  # fmt: skip

    stats_cmd = [python, "-m", "tui", "stats", "--period", "quarter", "--json", "--db",
                 str(args.db)]  # fmt: skip
    timings, peaks, ours = [], [], {}
    for _ in range(RUNS):
        seconds, peak, out = timed_command(stats_cmd)
        timings.append(seconds)
        peaks.append(peak)
        ours = json.loads(out)
    print(f"stats   --period quarter --json: best {min(timings):.3f} s, median "
          f"{statistics.median(timings):.3f} s over {RUNS} runs "
          f"({', '.join(f'{t:.3f}' for t in timings)}), peak {max(peaks)} MB")  # fmt: skip

    started = time.perf_counter()
    con = load_duckdb(args.csv)
    loaded = time.perf_counter() - started
    duck_timings, theirs = [], {}
    for _ in range(RUNS):
        started = time.perf_counter()
        theirs = duckdb_figures(con, WINDOW)
        duck_timings.append(time.perf_counter() - started)
    duck = statistics.median(duck_timings)
    print(
        f"duckdb  same figures from an in-memory table: median {duck:.3f} s "
        f"(best {min(duck_timings):.3f} s; loading the CSV {loaded:.2f} s, not counted)"
    )
    median_ratio = statistics.median(timings) / duck
    best_ratio = min(timings) / min(duck_timings)
    print(f"ratio   stats command / duckdb computation: {median_ratio:.2f}x (median), "
          f"{best_ratio:.2f}x (best)")  # fmt: skip

    # Our rows may carry more keys than the documented ones; compare those.
    ours_spec = {**ours, "periods": [{k: row[k] for k in row if k in theirs["periods"][0]}
                                     for row in ours["periods"]]}  # fmt: skip
    mismatches = [key for key in SPEC_KEYS if ours_spec.get(key) != theirs.get(key)]
    print()
    for key in SPEC_KEYS[:8]:
        print(f"  {key:<24} {ours[key]}")
    print(f"  {'periods':<24} {len(ours['periods'])} quarters; cohorts: {len(ours['cohorts'])}")
    for row in ours["periods"]:
        print(f"    {row['start']}..{row['end']}  B {row['B']:>7,}  E {row['E']:>7,}  "
              f"N {row['N']:>6,}  CRR {row['crr']}  churn {row['churn']}  "
              f"returning {row['returning_customer_rate']}  orders {row['orders']:,}  "
              f"revenue {row['revenue']:,.2f}")  # fmt: skip
    if mismatches:
        for key in mismatches:
            print(f"MISMATCH {key}: ours {str(ours_spec.get(key))[:300]}\n"
                  f"          duckdb {str(theirs.get(key))[:300]}")  # fmt: skip
        sys.exit(1)
    print("\nall figures EQUAL to DuckDB's")


if __name__ == "__main__":
    main()
