"""Benchmark: sending 1,000 messages to a local SMTP server (aiosmtpd on 127.0.0.1) with the
rate limit off; the issue's limit is 10 s. One connection for the whole run; every message is
still marked 'sending' and committed before its DATA, and its answer committed after.

The shop: 1,000 customers with consent and an order, a win-back campaign (unique codes) of
1,000 drafts made by `export_campaign`; queueing (rendering every message again) is timed
apart from sending.

    python bench/bench_send.py [--messages N] [--folder DIR]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.campaigns import CampaignRequest, export_campaign
from core.compose import Composer, Discount
from core.delivery import queue_campaign, send_outbox
from core.demo import DEMO_SETTINGS
from core.importers import import_file
from core.paths import shipped_dir
from core.store import Store, open_store
from tests.smtp_server import smtp_server

LIMIT_SECONDS = 10.0
AS_OF = date(2026, 11, 5)


def make_shop(folder: Path, count: int) -> tuple[Store, Path]:
    """`count` customers with consent, one order each, and the shop's settings."""
    people, orders = folder / "customers.csv", folder / "orders.csv"
    with people.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "email", "first_name", "accepts_marketing"])
        writer.writerows([f"C{n}", f"c{n}@example.com", f"Kunde {n}", "yes"]
                         for n in range(count))  # fmt: skip
    with orders.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "ordered_at", "customer_id", "total", "product", "quantity"])
        writer.writerows([f"O{n}", "2026-03-01", f"C{n}", "42.00", "Tee", "1"]
                         for n in range(count))  # fmt: skip
    store = open_store(folder / "shop.db", create=True)
    for path, kind in ((people, "customers"), (orders, "orders")):
        assert import_file(store, path, kind, fmt="generic").rows_rejected == 0
    with store.write() as conn:
        conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?)", DEMO_SETTINGS.items())
    templates = folder / "templates"
    shutil.copytree(shipped_dir("templates") / "win-back", templates / "win-back")
    toml = templates / "win-back" / "template.toml"
    rules = ("min_days_since_last_order", "max_days_since_last_order")
    lines = [line for line in toml.read_text("utf-8").splitlines() if not line.startswith(rules)]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return store, templates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000)
    parser.add_argument("--folder", type=Path, default=None, help="where the shop goes")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-send-", dir=args.folder))
    try:
        store, templates = make_shop(folder, args.messages)
        ids = [cid for (cid,) in store.execute("SELECT id FROM customers ORDER BY id")]
        composer = Composer(store, templates, as_of=AS_OF)
        request = CampaignRequest(audience="customers", name="bench", min_gap_days=0)
        export_campaign(composer, request, ids, "win-back", folder / "drafts.mbox", fmt="mbox",
                        discount=Discount(percent=Decimal(10)))  # fmt: skip
        started = time.perf_counter()
        queued = queue_campaign(store, "bench")
        queue_seconds = time.perf_counter() - started
        with smtp_server() as server:
            with store.write() as conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)",
                    server.settings().items(),
                )
            started = time.perf_counter()
            report = send_outbox(store, "bench", per_minute=0)
            send_seconds = time.perf_counter() - started
            received = len(server.recorder.received)
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert report.sent == received == queued.queued == args.messages, (report, received)
    verdict = "ok" if send_seconds <= LIMIT_SECONDS else "TOO SLOW"
    print(f"queue {queued.queued:,} messages (render again): {queue_seconds:.2f} s")
    print(f"send {report.sent:,} messages, rate limit off: {send_seconds:.2f} s "
          f"({send_seconds / report.sent * 1000:.2f} ms each; limit {LIMIT_SECONDS:g} s: "
          f"{verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
