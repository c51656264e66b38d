"""Benchmark `retain-tui campaigns --json` with 100 campaigns on the 1M-order shop.

    python bench/bench_campaigns.py

Adds 100 campaigns to a private copy of the bench shop (bench/common.py), as recorded exports
leave them: each selected 2,000 customers as of a date in the shop's last year, holding out
10 % and leaving out 5 % (no_consent, contacted_recently), with a unique code for each drafted
customer; about 3 % of the codes are then carried by one of the customer's orders after the
campaign (as an import of those orders would store them). Then times the whole command, run
as a script would, several times, and prints its wall time and the CPU time it used (on a
machine other work keeps busy, the CPU time is what the command would take on an idle one).
Target (2-core machine, otherwise idle): <= 0.5 s.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import sys
from datetime import date, timedelta

from common import ROOT, private_copy, shop_db, timed_command

sys.path.insert(0, str(ROOT))

from core.store import open_store
from core.values import day_to_date

CAMPAIGNS = 100
RECIPIENTS = 2_000
RUNS = 5
TARGET_SECONDS = 0.5
RUN_AT = "2026-01-01T09:00:00+00:00"


def add_campaigns(db_path) -> None:
    """The 100 campaigns, written once (a copy that has them is used as it is)."""
    with open_store(db_path) as store:
        if store.scalar("SELECT count(*) FROM campaigns WHERE name GLOB 'bench-*'") == CAMPAIGNS:
            return
        print(f"adding {CAMPAIGNS} campaigns of {RECIPIENTS:,} customers ...", flush=True)
        rng = random.Random(13)
        customers = [row[0] for row in store.execute("SELECT id FROM customers")]
        last = day_to_date(int(store.scalar("SELECT max(order_day) FROM orders")))
        with store.write() as conn:
            conn.execute("DELETE FROM campaigns WHERE name GLOB 'bench-*'")
            for number in range(CAMPAIGNS):
                as_of = last - timedelta(days=rng.randint(0, 365))
                campaign = conn.execute(
                    "INSERT INTO campaigns (name, template, kind, audience, holdout_percent,"
                    " created_at, as_of) VALUES (?, 'win-back', 'marketing', 'lapsed', 10, ?, ?)",
                    (f"bench-{number:03d}", RUN_AT, as_of.isoformat()),
                ).lastrowid
                recipients, codes = _rows(rng, number, campaign, customers)
                conn.executemany(
                    "INSERT INTO campaign_recipients VALUES (?, ?, ?, ?, ?, ?)", recipients
                )
                conn.executemany(
                    "INSERT INTO discount_codes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", codes
                )
                _redeem(conn, rng, codes, as_of)


def _rows(
    rng: random.Random, number: int, campaign: int, customers: list[int]
) -> tuple[list[tuple], list[tuple]]:
    """A campaign's recipient rows (10 % held out, 5 % left out) and its drafted's codes."""
    recipients, codes = [], []
    for customer in rng.sample(customers, RECIPIENTS):
        draw = rng.random()
        outcome, reason = "drafted", None
        if draw < 0.10:
            outcome = "held_out"
        elif draw < 0.15:
            outcome, reason = "left_out", rng.choice(["no_consent", "contacted_recently"])
        recipients.append((campaign, customer, outcome, reason, "en", RUN_AT))
        if outcome == "drafted":
            code = f"BENCH{number:03d}-{customer:08d}"
            codes.append((code, campaign, customer, "percent", 1000, None, None, None, RUN_AT))
    return recipients, codes


def _redeem(conn, rng: random.Random, codes: list[tuple], as_of: date) -> None:
    """About 3 % of the codes: the customer's first order after the campaign carries it."""
    for code, _campaign, customer, *_ in rng.sample(codes, len(codes) * 3 // 100):
        conn.execute(
            "UPDATE orders SET discount_code = ? WHERE id = (SELECT id FROM orders"
            " WHERE customer_id = ? AND order_day > ? ORDER BY order_day LIMIT 1)",
            (code.lower(), customer, as_of.toordinal()),
        )


def main() -> None:
    db = private_copy(shop_db(), "campaigns-bench.db")
    add_campaigns(db)
    command = [sys.executable, "-m", "tui", "campaigns", "--json", "--db", str(db)]
    times, cpu_times, peak, out = [], [], 0, ""
    for _ in range(RUNS):
        before = _children_cpu()
        seconds, peak_mb, out = timed_command(command)
        cpu_times.append(_children_cpu() - before)
        times.append(seconds)
        peak = max(peak, peak_mb)
    rows = json.loads(out)
    redeemed = sum(row["codes_redeemed"] for row in rows)
    recipients = sum(row["drafted"] + row["held_out"] + sum(row["left_out"].values())
                     for row in rows)  # fmt: skip
    print(f"campaigns --json: {len(rows)} campaigns, {recipients:,} recipients, "
          f"{redeemed:,} codes redeemed")  # fmt: skip
    verdict = "ok" if min(times) <= TARGET_SECONDS else "SLOWER THAN THE TARGET"
    print(f"  best of {RUNS} {min(times):.3f} s, median {statistics.median(times):.3f} s, "
          f"CPU best {min(cpu_times):.3f} s, peak {peak} MB, load average "
          f"{os.getloadavg()[0]:.1f} (target <= {TARGET_SECONDS} s: {verdict})")  # fmt: skip


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
