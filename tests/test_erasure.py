"""Forgetting a person: personal data gone from every byte of the shop, every figure the same."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.consent import address_hash, is_suppressed
from core.customer_profile import load_profile
from core.erasure import UnknownPersonError, find_person, forget_customers, scrub_free_space
from core.importers import import_file
from core.metrics import compute_stats
from core.segments import add_segment, list_segments
from core.store import open_store
from tui.cli import build_app

DATA = Path(__file__).parent / "data"
ANNA = (b"anna@example.com", b"Schmidt", b"7100000000001")
"""What identifies the forgotten customer in tests/data/shopify_customers.csv."""

app = build_app()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        import_file(store, DATA / "shopify_customers.csv", "customers")
        import_file(store, DATA / "shopify_orders.csv", "orders")
    return path


def invoke(*args: str | Path, input: str | None = None) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args], input=input)


def raw_bytes(db: Path) -> bytes:
    """The database file and whatever -wal file beside it, as the disk holds them."""
    wal = Path(f"{db}-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def figures(db: Path) -> tuple[object, list[tuple[str, int]]]:
    """The shop's figures and every segment's size but the one about consent (a forgotten
    person is never mailed: `opted-out` grows, as the next test checks)."""
    with open_store(db) as store:
        stats = compute_stats(store, "month", 30)
        counts = [(i.name, i.count) for i in list_segments(store) if i.name != "opted-out"]
    return stats, counts


def test_forgetting_keeps_every_figure_and_leaves_no_trace_on_disk(db: Path) -> None:
    # A note written and removed before, on a SQLite built without secure_delete (the
    # default of some platforms): its text is left in the file's free space.
    with open_store(db) as store:
        store.execute("PRAGMA secure_delete = OFF")
        for note in ("Anna Schmidtke moved to Hauptstrasse 5", None):
            with store.write() as conn:
                conn.execute("UPDATE customers SET note = ? WHERE id = 1", (note,))
    stats_before, counts_before = figures(db)
    before = raw_bytes(db)
    assert all(word in before for word in (*ANNA, b"Hauptstrasse")), "the test could not fail"

    with open_store(db) as store:
        report = forget_customers(store, find_person(store, "ANNA@example.com "))
    assert report.customer_ids == [1]
    assert report.cleared == {
        "customers.email": 1,
        "customers.first_name": 1,
        "customers.last_name": 1,
        "customers.external_id": 1,
        "customers.tags": 1,
    }
    assert (report.kept_orders, report.search_rows_removed, report.wal_cleared) == (3, 1, True)

    assert figures(db) == (stats_before, counts_before)
    after = raw_bytes(db)
    for word in (*ANNA, b"Hauptstrasse", b"vip, newsletter"):
        assert word not in after, word
        assert word.lower() not in after.lower(), word
    with open_store(db) as store:
        assert (
            store.scalar("SELECT count(*) FROM customer_search WHERE customer_search MATCH 'anna'")
            == 0
        )
        assert store.scalar("SELECT count(*) FROM orders WHERE customer_id = 1") == 3
        assert store.scalar("SELECT count(*) FROM customers") == 5
        shadow = b"".join(
            bytes(block or b"")
            for (block,) in store.execute("SELECT block FROM customer_search_data")
        )
        assert b"schmidt" not in shadow and b"anna" not in shadow
        profile = load_profile(store, 1)
        assert profile is not None and profile.accepts_marketing is False
        assert (profile.email, profile.name, profile.country) == (None, "", "DE")
        assert profile.consent_history[-1].source == "erasure"


def test_only_the_marketing_counts_move_and_by_exactly_the_forgotten_person(db: Path) -> None:
    with open_store(db) as store:
        before = {info.name: (info.count, info.marketing_count) for info in list_segments(store)}
        forget_customers(store, [1])
        after = {info.name: (info.count, info.marketing_count) for info in list_segments(store)}
    assert {name: counts[0] for name, counts in after.items() if name != "opted-out"} == {
        name: counts[0] for name, counts in before.items() if name != "opted-out"
    }
    assert after["opted-out"][0] == before["opted-out"][0] + 1  # Anna had said yes
    moved = {name for name in before if before[name][1] != after[name][1]}
    assert moved == {"Loyal Customers", "repeat", "vip"}
    assert all(after[name][1] == before[name][1] - 1 for name in moved)


def test_unknown_person_changes_nothing(db: Path) -> None:
    before = raw_bytes(db)
    with open_store(db) as store:
        with pytest.raises(UnknownPersonError):
            find_person(store, "nobody@example.com")
        with pytest.raises(UnknownPersonError):
            forget_customers(store, [1, 99])
        assert store.scalar("SELECT email FROM customers WHERE id = 1") == "anna@example.com"
    result = invoke("forget", "nobody@example.com", "--yes", "--db", db)
    assert result.exit_code == 2
    assert "no customer with this email address or id" in result.stderr
    assert invoke("forget", "99", "--yes", "--db", db).exit_code == 2
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM customers WHERE email IS NULL") == 0
    assert ANNA[0] in before


def test_a_forgotten_address_is_on_the_suppression_list(db: Path) -> None:
    with open_store(db) as store:
        assert not is_suppressed(store.conn, "Anna@Example.com ")
    assert invoke("forget", "anna@example.com", "--yes", "--db", db).exit_code == 0
    with open_store(db) as store:
        assert is_suppressed(store.conn, "Anna@Example.com ")
        reason = "SELECT reason FROM suppressions WHERE address_hash = ?"
        assert store.scalar(reason, (address_hash("anna@example.com"),)) == "erased"


def test_forget_command_reports_what_it_removed(db: Path) -> None:
    result = invoke("forget", "jurgen@example.ORG", "--yes", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["customer_ids"] == [2]
    assert report["cleared"]["customers.note"] == 1
    assert "customers.tags" not in report["cleared"]  # Jürgen had none
    assert "jurgen" not in result.stdout.lower()  # the report repeats nothing it erased
    result = invoke("forget", "1", "--yes", "--db", db)
    assert result.exit_code == 0, result.output
    assert "Forgot customer 1." in result.stdout
    assert "cleared customers.email: 1" in result.stdout
    assert "orders kept without personal data: 3" in result.stdout


def test_forget_asks_first_and_no_changes_nothing(db: Path) -> None:
    result = invoke("forget", "1", "--db", db)  # no terminal, no --yes
    assert result.exit_code == 2
    assert "add --yes" in result.stderr
    with open_store(db) as store:
        assert store.scalar("SELECT email FROM customers WHERE id = 1") == "anna@example.com"


def test_a_segment_naming_the_person_is_reported(db: Path) -> None:
    with open_store(db) as store:
        add_segment(store, "anna-only", 'email = "anna@example.com"')
    result = invoke("forget", "anna@example.com", "--yes", "--db", db)
    assert result.exit_code == 0, result.output
    assert "saved segment 'anna-only' names this person" in result.stderr


def test_a_reader_holding_the_wal_is_reported_and_a_later_checkpoint_clears_it(
    db: Path,
) -> None:
    reader = sqlite3.connect(db)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM customers").fetchone()
    try:
        with open_store(db) as store:
            report = forget_customers(store, [1])
        assert report.wal_cleared is False
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    with open_store(db) as store:
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert not any(word in raw_bytes(db) for word in ANNA)


def test_a_later_import_of_the_same_exports_does_not_bring_the_person_back(
    tmp_path: Path,
) -> None:
    orders_file = tmp_path / "orders.csv"  # Anna's order #1003 with a code of her own
    text = (DATA / "shopify_orders.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("#1003,"))
    cells = lines[row].split(",")
    cells[12] = "ANNA-BDAY"
    lines[row] = ",".join(cells)
    orders_file.write_text("".join(lines), encoding="utf-8")
    db = tmp_path / "shop.db"
    with open_store(db, create=True) as store:
        import_file(store, DATA / "shopify_customers.csv", "customers")
        import_file(store, orders_file, "orders")
        stats = compute_stats(store, "month", 30)
        report = forget_customers(store, [1])
        assert report.cleared["orders.discount_code"] == 1
        store.execute("UPDATE orders SET fingerprint = 0 WHERE customer_id = 1")  # changed since
        import_file(store, orders_file, "orders")
        import_file(store, DATA / "shopify_customers.csv", "customers")
        assert store.scalar("SELECT count(*) FROM customers") == 5
        assert store.scalar("SELECT count(*) FROM orders WHERE customer_id = 1") == 3
        assert store.execute(
            "SELECT email, first_name, last_name, external_id, tags FROM customers WHERE id = 1"
        ).fetchone() == (None, None, None, None, None)
        assert store.scalar("SELECT count(discount_code) FROM orders WHERE customer_id = 1") == 0
        assert store.scalar("SELECT count(*) FROM consent_events WHERE customer_id = 1") == 2
        assert compute_stats(store, "month", 30) == stats
        scrub_free_space(store)  # the re-imports rewrote pages: no old copy in free space
    assert not any(word in raw_bytes(db) for word in (*ANNA, b"ANNA-BDAY"))


def test_a_rebuild_that_fails_after_the_commit_is_reported_and_can_be_run_again(
    db: Path,
) -> None:
    with open_store(db) as store:
        pending = store.execute("SELECT id FROM customers")  # VACUUM refuses to run beside it
        pending.fetchone()
        report = forget_customers(store, [1])
        assert report.rebuild_error is not None and "statements in progress" in report.rebuild_error
        assert (report.wal_cleared, report.to_dict()["rebuild_error"]) == (
            False,
            report.rebuild_error,
        )
        assert store.scalar("SELECT email FROM customers WHERE id = 1") is None  # committed
        pending.close()
        again = forget_customers(store, [1])  # what the command tells the owner to run
        assert (again.rebuild_error, again.wal_cleared, again.cleared) == (None, True, {})
    assert not any(word in raw_bytes(db) for word in ANNA)
