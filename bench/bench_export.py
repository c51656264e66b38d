"""Benchmark: bulk drafts (10,000 .eml files; 100,000 drafts in one mbox), one preview, and
the compose screen's first preview of a large segment.

The export shop is the demo shop cloned N times inside SQLite (every clone is a distinct
customer with its own email address, orders and order lines, so nothing is cached across
clones), kept under bench/out/ (or $RETAIN_BENCH_DATA) and rebuilt with --rebuild.

The compose screen is measured in-process on the shared 1,000,000-order shop (a private
copy the app may migrate, as bench_tui.py makes it, or --shop): from opening it on the
`lapsed` segment (236,901 customers there) to the first rendered preview, then to the
complete recipient list and counts, to the exact counts (who has already bought every
bestseller, for come-back-bestsellers), then for each other template chosen.

The campaign part (issue 13) times a 100,000-draft campaign with unique codes and a 10 %
holdout, recording included, against the plain export of exactly the drafts it made.

    python bench/bench_export.py [--rebuild] [--sample-data DIR] [--shop DB]
                                 [--only exports|first-preview|campaign]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import FileSystemBytecodeCache

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import DATA as BENCH_DIR
from common import private_copy, shop_db

from core.campaigns import CampaignRequest, export_campaign
from core.compose import Composer, Discount, export_drafts
from core.demo import DEMO_SETTINGS
from core.importers import import_file
from core.paths import shipped_dir
from core.store import Store, open_store
from core.summaries import refresh_summaries

DB = BENCH_DIR / "emails-bench.db"
TEMPLATE = "win-back"  # marketing: consent filter, discount, last order, full footer
EML_DRAFTS = 10_000
MBOX_DRAFTS = 100_000
TODAY = date(2026, 11, 5)
SEGMENT = "lapsed"  # the 'come back for bestsellers' audience
PARTS = ("exports", "first-preview", "campaign")
CAMPAIGN_HOLDOUT = Decimal(10)
CAMPAIGN_LIMIT = 1.5  # issue 13: a campaign may take at most 1.5x the plain export's time
CAMPAIGN_AUDIENCE = math.ceil(MBOX_DRAFTS / (1 - CAMPAIGN_HOLDOUT / 100))
"""Customers a campaign needs so that 100,000 are drafted after the holdout."""


def build_shop(path: Path, sample_data: Path) -> None:
    """Import the demo shop, then clone it until 100,000 customers accept marketing."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    store = open_store(path, create=True)
    import_file(store, sample_data / "customers_export.csv", "customers")
    import_file(store, sample_data / "orders_export.csv", "orders")
    consenting = int(store.scalar("SELECT count(*) FROM customers WHERE accepts_marketing = 1"))
    clones = math.ceil(max(MBOX_DRAFTS, CAMPAIGN_AUDIENCE) / consenting) + 1
    _clone(store, clones)
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
            DEMO_SETTINGS.items(),
        )
    customers = store.scalar("SELECT count(*) FROM customers")
    orders = store.scalar("SELECT count(*) FROM orders")
    store.close()
    print(f"built {path}: demo shop x{clones}: {customers:,} customers, {orders:,} orders "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip


def _clone(store: Store, copies: int) -> None:
    top_customer = int(store.scalar("SELECT max(id) FROM customers"))
    top_order = int(store.scalar("SELECT max(id) FROM orders"))
    top_line = int(store.scalar("SELECT max(id) FROM order_lines"))
    with store.write() as conn:
        for k in range(1, copies):
            conn.execute(
                """
                INSERT INTO customers (id, external_id, email, email_key, first_name, last_name,
                    country, language, accepts_marketing, created_at, tags, note, source,
                    imported_at, updated_at)
                SELECT id + :c, external_id || '-' || :k,
                    replace(email, '@', '+b' || :k || '@'),
                    replace(email_key, '@', '+b' || :k || '@'), first_name, last_name,
                    country, language, accepts_marketing, created_at, tags, note, source,
                    imported_at, updated_at
                FROM customers WHERE id <= :top
                """,
                {"c": k * top_customer, "k": k, "top": top_customer},
            )
            conn.execute(
                """
                INSERT INTO orders (id, external_id, source_id, customer_id, ordered_at,
                    order_day, currency, subtotal, discount_code, discount, total, refunded,
                    status, cancelled_at, cancelled, source, fingerprint, imported_at)
                SELECT id + :o, external_id || '-' || :k, source_id, customer_id + :c,
                    ordered_at, order_day, currency, subtotal, discount_code, discount, total,
                    refunded, status, cancelled_at, cancelled, source, fingerprint, imported_at
                FROM orders WHERE id <= :top
                """,
                {"o": k * top_order, "c": k * top_customer, "k": k, "top": top_order},
            )
            conn.execute(
                """
                INSERT INTO order_lines (id, order_id, position, sku, product, quantity,
                    unit_price)
                SELECT id + :l, order_id + :o, position, sku, product, quantity, unit_price
                FROM order_lines WHERE id <= :top
                """,
                {"l": k * top_line, "o": k * top_order, "top": top_line},
            )
        refresh_summaries(conn, everyone=True)


def consenting_ids(store: Store, limit: int) -> list[int]:
    rows = store.execute(
        "SELECT id FROM customers WHERE accepts_marketing = 1 AND email IS NOT NULL "
        "ORDER BY id LIMIT ?",
        (limit,),
    )
    return [row[0] for row in rows]


def bench_export(
    store: Store, fmt: str, count: int, out_dir: Path, helpers: int | None = None
) -> None:
    ids = consenting_ids(store, count)
    composer = Composer(store, templates_dir=out_dir / "no-user-templates", today=TODAY)
    discount = Discount(percent=Decimal(10), valid_days=30)
    target = out_dir / f"drafts-{helpers}.{fmt}"
    started = time.perf_counter()
    result = export_drafts(
        composer, ids, TEMPLATE, target, fmt=fmt, discount=discount, helpers=helpers
    )
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in target.iterdir()) if target.is_dir() else (
        target.stat().st_size)  # fmt: skip
    how = f"{result.helpers} helper processes" if result.helpers else "in one process"
    print(f"{fmt:>4}: {result.drafted:,} drafts in {seconds:.2f} s "
          f"= {seconds / max(result.drafted, 1) * 1e3:.3f} ms/draft, {how}, "
          f"{size / 1e6:,.0f} MB, skipped {sum(result.skipped.values())}")  # fmt: skip
    shutil.rmtree(target) if target.is_dir() else target.unlink()


def _without_recency_rules(out_dir: Path) -> Path:
    """An owner's copy of the template without its last-order window, so that every
    consenting customer is in its audience (the shop's clones share the demo's order dates)."""
    folder = out_dir / "campaign-templates"
    target = folder / TEMPLATE
    shutil.copytree(shipped_dir("templates") / TEMPLATE, target, dirs_exist_ok=True)
    toml = target / "template.toml"
    lines = toml.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith(("min_days_", "max_days_"))]
    toml.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return folder


def _timed_campaign(
    store: Store, ids: list[int], templates: Path, out_dir: Path, name: str
) -> tuple[float, int]:
    request = CampaignRequest(
        audience="customers", audience_detail={"customers": len(ids)}, name=name,
        min_gap_days=0, holdout_percent=CAMPAIGN_HOLDOUT,
    )  # fmt: skip
    composer = Composer(store, templates_dir=templates, today=TODAY)
    discount = Discount(percent=Decimal(10), valid_days=30)
    target = out_dir / f"{name}.mbox"
    started = time.perf_counter()
    result = export_campaign(composer, request, ids, TEMPLATE, target, fmt="mbox",
                             discount=discount)  # fmt: skip
    seconds = time.perf_counter() - started
    target.unlink()
    assert result.codes == result.drafted, (result.codes, result.drafted)
    return seconds, result.drafted


def bench_campaign(store: Store, out_dir: Path) -> None:
    """A 100,000-draft campaign (unique codes, 10 % holdout, every row recorded) against the
    plain export of exactly the drafts it made."""
    ids = consenting_ids(store, CAMPAIGN_AUDIENCE)
    templates = _without_recency_rules(out_dir)
    names = [f"bench-{os.getpid()}-{n}" for n in (1, 2)]
    try:
        # The first run warms the caches as the plain export finds them; the second is timed.
        _timed_campaign(store, ids, templates, out_dir, names[0])
        drafted = [row[0] for row in store.execute(
            "SELECT r.customer_id FROM campaign_recipients r JOIN campaigns c "
            "ON c.id = r.campaign_id WHERE c.name = ? AND r.outcome = 'drafted' "
            "ORDER BY r.customer_id", (names[0],))]  # fmt: skip
        composer = Composer(store, templates_dir=templates, today=TODAY)
        composer.min_gap_days = 0  # the first campaign just contacted them all
        discount = Discount(percent=Decimal(10), valid_days=30)
        target = out_dir / "plain.mbox"
        started = time.perf_counter()
        plain = export_drafts(composer, drafted, TEMPLATE, target, fmt="mbox", discount=discount)
        plain_seconds = time.perf_counter() - started
        target.unlink()
        campaign_seconds, count = _timed_campaign(store, ids, templates, out_dir, names[1])
    finally:
        with store.write() as conn:  # the bench shop stays as it was (rows cascade)
            conn.executemany("DELETE FROM campaigns WHERE name = ?", [(n,) for n in names])
    ratio = campaign_seconds / plain_seconds
    verdict = "ok" if ratio <= CAMPAIGN_LIMIT else f"OVER the {CAMPAIGN_LIMIT}x limit"
    print(f"campaign: {len(ids):,} customers, {CAMPAIGN_HOLDOUT}% held out, {count:,} drafts "
          f"with unique codes, recorded: {campaign_seconds:.2f} s")  # fmt: skip
    print(f"  plain export of the same {plain.drafted:,} drafts: {plain_seconds:.2f} s; "
          f"campaign / plain = {ratio:.2f} ({verdict})")  # fmt: skip


def bench_preview(store: Store, out_dir: Path) -> None:
    ids = consenting_ids(store, 200)[::4]
    FileSystemBytecodeCache().clear()  # as on the very first run
    started = time.perf_counter()
    composer = Composer(store, templates_dir=out_dir / "no-user-templates", today=TODAY)
    composer.render(ids[0], "thank-you")
    first_ever = time.perf_counter() - started
    started = time.perf_counter()
    composer = Composer(store, templates_dir=out_dir / "no-user-templates", today=TODAY)
    composer.render(ids[0], "thank-you")
    cold = time.perf_counter() - started
    started = time.perf_counter()
    composer.warm()
    warm_up = time.perf_counter() - started
    times = []
    for index, customer_id in enumerate(ids[1:]):
        template = ("thank-you", "win-back", "feedback", "come-back-bestsellers")[index % 4]
        discount = Discount(percent=Decimal(10)) if template == "win-back" else None
        started = time.perf_counter()
        composer.render(customer_id, template, discount=discount)
        times.append(time.perf_counter() - started)
    print(f"preview: very first {first_ever * 1e3:.1f} ms (templates compiled); first of a "
          f"session {cold * 1e3:.1f} ms (bytecode cached); warm() for the rest "
          f"{warm_up * 1e3:.0f} ms; then median "
          f"{statistics.median(times) * 1e3:.2f} ms, max {max(times) * 1e3:.2f} ms over "
          f"{len(times)} customers and 4 templates")  # fmt: skip


async def _until(done: Callable[[], object], timeout: float = 120.0) -> float:
    """Poll until `done()`; the time it came true."""
    started = time.perf_counter()
    while not done():
        if time.perf_counter() - started > timeout:
            sys.exit("the compose screen did not respond")
        await asyncio.sleep(0.001)
    return time.perf_counter()


async def _first_previews(db: Path) -> None:
    from textual.widgets import Select, Static

    from tui.app import RetainApp
    from tui.screens.compose import Audience, ComposeScreen
    from tui.widgets.figure_tile import LOADING

    app = RetainApp(db, theme="textual-dark")
    async with app.run_test(size=(120, 40)):
        tile = app.screen.query_one("#tile-customers .tile-value", Static)
        await _until(lambda: str(tile.visual) != LOADING)  # the dashboard is done
        await asyncio.sleep(2.0)  # and every figure it reads in the background
        screen = ComposeScreen(Audience(f"segment {SEGMENT}", segment=SEGMENT))

        def planned(name: str, *, complete: bool) -> bool:
            plan = screen.plan
            return plan is not None and plan.template == name and (plan.complete or not complete)

        started = time.perf_counter()
        await app.push_screen(screen)
        shown = await _until(lambda: screen.previews > 0) - started
        first = screen.choice.template if screen.choice else "?"
        counted = await _until(lambda: planned(first, complete=True)) - started
        exact = await _until(lambda: planned(first, complete=True) and screen.plan.exact)
        print(f"compose screen on segment {SEGMENT!r} ({len(screen.customer_ids):,} customers; "
              "templates compiled on first use, bytecode cached):")  # fmt: skip
        print(f"  opens on {first}: first preview {shown * 1e3:.0f} ms, the whole list and its "
              f"counts {counted:.2f} s, exact counts {exact - started:.2f} s "
              f"({screen.plan.left_out['no_recommendations']:,} already bought every "
              "bestseller)")  # fmt: skip
        await _until(lambda: not any(worker.is_running for worker in app.workers))  # warmed
        select = screen.query_one("#template", Select)
        for name in [str(value) for _label, value in select._options if value != first]:
            seen = screen.previews
            started = time.perf_counter()
            select.value = name
            done = await _until(
                lambda n=name, s=seen: planned(n, complete=False) and screen.previews > s
            )
            counted = await _until(lambda n=name: planned(n, complete=True)) - started
            print(f"  then {name}: first preview {(done - started) * 1e3:.0f} ms, "
                  f"counts {counted:.2f} s")  # fmt: skip


def bench_first_preview(db: Path) -> None:
    """The compose screen's first preview of a large segment, in the real app (in-process)."""
    with tempfile.TemporaryDirectory(prefix="retain-bench-home-") as home:
        os.environ["HOME"] = home  # no owner templates from the real home
        os.environ["XDG_DATA_HOME"] = str(Path(home) / ".local" / "share")
        asyncio.run(_first_previews(db))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--sample-data", type=Path, default=None)
    parser.add_argument(
        "--shop", type=Path, help="a large shop the app may migrate (default: a private copy "
        "of the shared 1M-order shop)",
    )  # fmt: skip
    parser.add_argument("--only", choices=PARTS, help="run only the exports or the first preview")
    args = parser.parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "first-preview"):
        bench_first_preview(args.shop or private_copy(shop_db()))
    if args.only == "first-preview":
        return
    if args.rebuild or not DB.exists():
        build_shop(DB, args.sample_data or shipped_dir("sample_data"))
    store = open_store(DB)
    customers = store.scalar("SELECT count(*) FROM customers")
    print(f"shop: {DB} ({customers:,} customers); template {TEMPLATE!r} with a 10% discount")
    with tempfile.TemporaryDirectory(dir=BENCH_DIR, prefix="emails-out-") as tmp:
        out = Path(tmp)
        if args.only == "campaign":
            bench_campaign(store, out)
            store.close()
            return
        bench_preview(store, out)
        print(f"export (as the CLI runs it: helper processes from 5,000 drafts, {os.cpu_count()} "
              "cores here):")  # fmt: skip
        bench_export(store, "eml", EML_DRAFTS, out)
        bench_export(store, "mbox", MBOX_DRAFTS, out)
        print("export in one process (helpers=0), for comparison:")
        bench_export(store, "eml", EML_DRAFTS, out, helpers=0)
        bench_export(store, "mbox", MBOX_DRAFTS, out, helpers=0)
        bench_campaign(store, out)
    store.close()


if __name__ == "__main__":
    main()
