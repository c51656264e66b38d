"""NPS on the 1,000,000-order shop: importing answers, NPS per period, the NPS segments.

No target in issue 16; printed so a slowdown shows: `import responses` of 100,000 answers,
`compute_stats` (the stats command and dashboard, which now add NPS per period) with and
without answers, every segment count (three NPS segments among them), and the trigger query.

    python bench/bench_nps.py [--db bench/out/shop.db] [--answers 100000]
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from common import ROOT, SHOP_CSV, SHOP_DB, shop_db

sys.path.insert(0, str(ROOT))

from core.as_of import resolve_as_of
from core.metrics import compute_stats
from core.nps.figures import customers_by_latest_answer
from core.nps.importer import import_responses
from core.segments import list_segments, segment_customer_ids
from core.store import open_store


def timed(label: str, action: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = action()
    took = time.perf_counter() - started
    size = f"{len(result):,} items" if isinstance(result, list) else ""
    print(f"{label:<60} {took:7.3f} s  {size}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=SHOP_DB)
    parser.add_argument("--answers", type=int, default=100_000)
    args = parser.parse_args()
    shop_db(args.db, SHOP_CSV)
    with tempfile.TemporaryDirectory(dir=args.db.parent) as folder:
        db = Path(folder) / "nps-bench.db"
        source = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
        target = sqlite3.connect(db)
        source.backup(target)
        source.close()
        target.close()
        store = open_store(db)  # migrates the copy
        customers = int(store.scalar("SELECT count(*) FROM customers") or 0)  # type: ignore[call-overload]
        as_of = resolve_as_of(store)
        print(f"shop: {customers:,} customers, as of {as_of}; sqlite {sqlite3.sqlite_version}")
        timed("compute_stats(quarter), no answers", lambda: compute_stats(store, "quarter"))
        timed("list_segments, no answers", lambda: list_segments(store))
        answers = Path(folder) / "answers.csv"
        rng = random.Random(16)
        with answers.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["customer_id", "score", "answered_at", "comment"])
            for _ in range(args.answers):
                day = as_of - timedelta(days=rng.randrange(730))
                comment = "The tea was lovely" if rng.random() < 0.2 else ""
                moment = f"{day.isoformat()}T{rng.randrange(24):02d}:00:00"
                writer.writerow(
                    [rng.randrange(1, customers + 1), rng.randrange(11), moment, comment]
                )
        result = timed(
            f"import responses --format link ({args.answers:,} answers)",
            lambda: import_responses(store, answers, fmt="link"),
        )
        print(f"  added {result.responses_added:,}, rejected {result.rows_rejected:,}")  # type: ignore[attr-defined]
        timed("the same file again (all unchanged)",
              lambda: import_responses(store, answers, fmt="link"))  # fmt: skip
        timed("compute_stats(quarter), with answers", lambda: compute_stats(store, "quarter"))
        timed("compute_stats(month), with answers", lambda: compute_stats(store, "month"))
        timed("list_segments, with answers", lambda: list_segments(store))
        timed("segment_customer_ids('detractors')",
              lambda: segment_customer_ids(store, "detractors"))  # fmt: skip
        week = as_of - timedelta(days=6)
        timed("customers_by_latest_answer(last 7 days, <= 6)",
              lambda: customers_by_latest_answer(store, week, as_of, max_score=6))  # fmt: skip
        store.close()


if __name__ == "__main__":
    main()
