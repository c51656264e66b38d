"""What the benchmarks share: where their data lives, the 1M-order shop, timing a command.

Data goes to `$RETAIN_BENCH_DATA`, else `bench/out/` (git-ignored). The shop CSV is written
by `make_shop.py` and imported once into `shop.db`, which the benchmarks only read.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("RETAIN_BENCH_DATA", ROOT / "bench" / "out"))
SHOP_CSV = DATA / "shop_1m.csv"
SHOP_DB = DATA / "shop.db"


def shop_csv(path: Path = SHOP_CSV) -> Path:
    """The 1,000,000-order generic CSV, written on first use (about 10 s)."""
    if not path.exists():
        print(f"writing {path} with bench/make_shop.py ...", flush=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "bench/make_shop.py", str(path)], cwd=ROOT, check=True)
    return path


def shop_db(db: Path = SHOP_DB, csv_path: Path = SHOP_CSV) -> Path:
    """The shop imported from `shop_csv()`, built once and shared by the benchmarks.

    It is imported under a temporary name and linked into place, so two benchmarks started
    together never clobber each other.
    """
    if db.exists():
        return db
    shop_csv(csv_path)
    tmp = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    print(f"building {db} from {csv_path} (about a minute) ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "tui", "import", "orders", str(csv_path), "--format", "generic",
         "--db", str(tmp), "--json"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    conn = sqlite3.connect(tmp)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    try:
        os.link(tmp, db)
    except FileExistsError:
        print(f"{db} appeared meanwhile; using that one")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    return db


def private_copy(source: Path, name: str = "tui-bench.db") -> Path:
    """A copy of the shared shop for the app to migrate (`name` in the data folder, refreshed
    when the shop is newer): the shared file stays as it is."""
    copy = DATA / name
    if not copy.exists() or copy.stat().st_mtime < source.stat().st_mtime:
        print(f"copying {source} to {copy} and migrating it ...", flush=True)
        tmp = copy.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        backup_copy(source, tmp).replace(copy)
    return copy


def backup_copy(source: Path, target: Path, *, migrate: bool = True) -> Path:
    """`source` copied to `target` with SQLite's backup (a consistent copy, the source only
    read), and migrated to this version's schema unless told not to, so the benchmarks'
    timings never include an upgrade."""
    from core.store import open_store  # the calling script has put the repository on sys.path

    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    if migrate:
        open_store(target).close()
    return target


def timed_command(args: list[str]) -> tuple[float, int, str]:
    """Run a command: (wall seconds, its peak resident memory in MB, its stdout).

    /usr/bin/time reports the peak of that one process; without it, RUSAGE_CHILDREN gives
    the largest peak of all children so far (an upper bound).
    """
    timer = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    result = subprocess.run([*timer, *args], cwd=ROOT, capture_output=True, text=True,
                            check=False)  # fmt: skip
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stderr[-2000:]}")
    if timer:
        peak_kb = int(result.stderr.strip().splitlines()[-1])
    else:
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kb // 1024, result.stdout


NEW_ORDERS_DAYS = 11
"""`new_orders` spreads its orders over this many days after the shop's last order."""


def new_orders(db: Path, path: Path, count: int, *, seed: int = 16, new_share: float = 0.0) -> date:
    """Write `count` new orders for the shop in `db` to `path`, as its next export would hold
    them: one line each (make_shop.py's products), on the NEW_ORDERS_DAYS days after its last
    order, from its customers as stored (id, email, name, country, consent) and, for
    `new_share` of them, from customers it does not know yet. Returns the last day written.
    Deterministic for a given shop and seed."""
    from make_shop import HEADER, PRODUCTS

    from core.as_of import latest_order_date  # the calling script has put ROOT on sys.path
    from core.store import open_store

    with open_store(db) as store:
        last = latest_order_date(store)
        known = store.execute(
            "SELECT external_id, email, first_name, last_name, country, accepts_marketing "
            "FROM customers WHERE external_id IS NOT NULL ORDER BY id"
        ).fetchall()
    assert last is not None
    consent = {0: "no", 1: "yes", None: ""}
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for n in range(count):
            day = last + timedelta(days=1 + n * NEW_ORDERS_DAYS // count)
            if rng.random() < new_share:
                customer = (f"NEW{seed}-{n}", f"new{seed}-{n}@example.com", "Ada", "Nieuw",
                            "NL", 1)  # fmt: skip
            else:
                customer = rng.choice(known)
            external_id, email, first, last_name, country, accepts = customer
            sku, product, price = PRODUCTS[rng.randrange(len(PRODUCTS))]
            quantity = rng.choice((1, 1, 2))
            total = price * quantity + (0 if price * quantity >= 4900 else 490)
            writer.writerow((
                f"NEW{seed}-{n}", f"{day.isoformat()}T{rng.randrange(24):02d}:30:00+01:00",
                external_id, email, first, last_name, country, consent[accepts], "EUR",
                f"{total / 100:.2f}", "0.00", "paid", sku, product, quantity,
                f"{price / 100:.2f}", "",
            ))  # fmt: skip
    return last + timedelta(days=NEW_ORDERS_DAYS)
