"""A first import sets indexes and triggers aside and builds the list and search once:
it must leave exactly what the row-by-row path leaves, and roll back whole on failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import core.importers.loader as loader
from core.importers import import_file
from core.store import Store, open_store
from tests.conftest import data_path, shop_state

FILES = (("tui_shop_orders.csv", "orders"), ("tui_shop_customers.csv", "customers"))


def schema(conn: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall())


def customer_list(store: Store) -> dict[str, tuple[object, ...]]:
    """The app's list rows by customer external id (ids differ between the two stores)."""
    rows = store.conn.execute(
        "SELECT c.external_id, p.name_key, p.email_key, p.country, p.orders, p.revenue, "
        "p.last_day FROM customer_pages p JOIN customers c ON c.id = p.customer_id"
    )
    return {row[0]: row[1:] for row in rows}


def search(store: Store, text: str) -> set[str]:
    rows = store.conn.execute(
        "SELECT c.external_id FROM customer_search s JOIN customers c ON c.id = s.rowid "
        "WHERE customer_search MATCH ?",
        (text,),
    )
    return {row[0] for row in rows}


def test_a_first_import_leaves_the_schema_as_it_found_it(store: Store) -> None:
    before = schema(store.conn)
    for name, kind in FILES:
        import_file(store, data_path(name), kind)
    assert schema(store.conn) == before


@pytest.mark.parametrize("files", [FILES, FILES[::-1]], ids=["orders-first", "customers-first"])
def test_a_first_import_builds_what_the_triggers_build_row_by_row(
    tmp_path: Path, files: tuple[tuple[str, str], ...]
) -> None:
    bulk = open_store(tmp_path / "bulk.db", create=True)
    rows = open_store(tmp_path / "rows.db", create=True)
    # A customer already in the store makes the import take the row-by-row path.
    earlier = tmp_path / "earlier.csv"
    earlier.write_text("customer_id,email,first_name\nX1,x1@example.com,Xaver\n")
    import_file(rows, earlier, "customers")
    # The first file is the bulk store's first import; the second file then takes the
    # row-by-row path in both stores, through the triggers the first import put back.
    for name, kind in files:
        for store in (bulk, rows):
            import_file(store, data_path(name), kind)
        listed = customer_list(rows)
        assert listed.pop("X1")
        assert customer_list(bulk) == listed
        assert len(listed) > 10
        for text in ("a*", "m*", "example*", "anna", "mul*", "bold"):
            assert search(bulk, text) == search(rows, text) - {"X1"}, text
        bulk.conn.execute(
            "INSERT INTO customer_search (customer_search) VALUES ('integrity-check')"
        )
    assert search(bulk, "anna") and search(bulk, "example*")


def test_a_failed_first_import_rolls_back_the_schema_with_the_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_schema, before_rows = schema(store.conn), shop_state(store.conn)

    def broken(conn: sqlite3.Connection, *, everyone: bool = False) -> None:
        raise RuntimeError("disk full, say")

    monkeypatch.setattr(loader, "refresh_summaries", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(store, data_path("tui_shop_orders.csv"), "orders")
    assert schema(store.conn) == before_schema
    assert shop_state(store.conn) == before_rows
    assert store.conn.execute("SELECT count(*) FROM customer_pages").fetchone()[0] == 0
