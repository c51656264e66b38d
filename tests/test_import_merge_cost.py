"""Re-importing a small file costs the same in a small shop and in a large one.

The merge runs inside the write lock. Once `PRAGMA optimize` has analysed `customers`,
SQLite preferred to walk every stored customer for each match statement (a whole shop per
statement, however small the file), and without sizes for the import's temp tables it built
Bloom filters over all customers: re-importing 100,000 orders held the lock ~0.3 s longer.
Counted in SQLite VM steps (a progress handler), not in seconds: the machine is shared.
"""

from __future__ import annotations

import csv
from pathlib import Path

from core.importers import import_file
from core.store import open_store

STEPS_PER_CALL = 100


def write_customers(path: Path, ids: range) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "email", "first_name", "accepts_marketing"])
        for n in ids:
            writer.writerow([f"C{n}", f"c{n}@example.com", f"Name{n}", "no" if n % 7 else "yes"])
    return path


def steps_to_reimport_five(tmp_path: Path, shop_size: int) -> int:
    """VM steps SQLite runs to import 5 known customers again into a shop of `shop_size`."""
    folder = tmp_path / str(shop_size)
    folder.mkdir()
    store = open_store(folder / "shop.db", create=True)
    try:
        everyone = write_customers(folder / "all.csv", range(1, shop_size + 1))
        import_file(store, everyone, "customers", fmt="generic")
        store.conn.execute("ANALYZE")  # what `PRAGMA optimize` does once the shop has grown
        five = write_customers(folder / "five.csv", range(1, 6))
        calls = 0

        def count() -> int:
            nonlocal calls
            calls += 1
            return 0

        store.conn.set_progress_handler(count, STEPS_PER_CALL)
        result = import_file(store, five, "customers", fmt="generic")
        store.conn.set_progress_handler(None, 0)
        assert result.customers_added == 0
        return calls * STEPS_PER_CALL
    finally:
        store.close()


def test_a_small_reimport_does_not_walk_the_whole_shop(tmp_path: Path) -> None:
    small = steps_to_reimport_five(tmp_path, 500)
    large = steps_to_reimport_five(tmp_path, 10_000)
    # Before: 18,000 and 304,400 steps (the match statements and the consent checks each
    # walked every stored customer, or built a Bloom filter over them); now ~3,000 for both.
    assert large - small < 5_000, (small, large)
