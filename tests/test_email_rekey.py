"""Migration 8: email keys stored the old way (trimmed, lower-cased) are recomputed.

The shops are built as an older retain-tui built them: its migrations only, customers
written with raw SQL and the old key function, so nothing of today's importer helps.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import core.store
from core.consent import address_hash
from core.store import open_store
from tests.tui_fixtures import pilot_test, shown_notices, until
from tui.app import RetainApp
from tui.cli import build_app

app = build_app()


def old_email_key(email: str | None) -> str | None:
    """The key function of schema versions up to 7 (core/values.py before the fix)."""
    if not email:
        return None
    return email.strip().lower() or None


def old_shop(
    path: Path, version: int, people: list[tuple[str, int | None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shop at schema `version` holding `people` (email, accepts_marketing), one order each."""
    with monkeypatch.context() as older:
        older.setattr(core.store, "MIGRATIONS", core.store.MIGRATIONS[:version])
        older.setattr(core.store, "SCHEMA_VERSION", version)
        open_store(path, create=True).close()
    conn = sqlite3.connect(path)
    with conn:
        for n, (email, accepts) in enumerate(people, start=1):
            conn.execute(
                "INSERT INTO customers (id, external_id, email, email_key, first_name, "
                "accepts_marketing, source, imported_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'csv', '2026-01-01', '2026-01-01')",
                (n, f"C{n}", email, old_email_key(email), f"Anna{n}", accepts),
            )
    conn.close()


def customers(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT id, email, email_key, accepts_marketing FROM customers ORDER BY id"
        ).fetchall()


def invoke(*args: str | Path) -> object:
    return CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})


@pytest.mark.parametrize("version", [5, 7], ids=["before-suppressions", "schema-7"])
def test_two_spellings_of_one_address_are_kept_apart_and_the_no_reaches_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: int
) -> None:
    db = tmp_path / "shop.db"
    old_shop(db, version, [("Anna.Out@Example.com", 0), ("anna.out@example.com\u200b", 1)],
             monkeypatch)  # fmt: skip
    assert customers(db)[1][2] == "anna.out@example.com\u200b"  # the old key: two people

    first = invoke("customers", "--db", db, "--json")
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    rows = customers(db)
    assert rows == [
        (1, "Anna.Out@Example.com", "anna.out@example.com", 0),
        (2, "anna.out@example.com", None, 0),  # kept, cleaned, its yes withdrawn
    ]
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "SELECT customer_id, accepts_marketing, source FROM consent_events"
        ).fetchall() == [(2, 0, "migration")]
        listed = conn.execute("SELECT address_hash, reason FROM suppressions").fetchall()
    assert listed == [(address_hash("anna.out@example.com"), "withdrawn")]
    stderr = first.stderr  # type: ignore[attr-defined]
    assert "note: customers 1, 2 have the same address: kept apart, customer 1 is matched" in (
        " ".join(stderr.split())
    )
    assert 'marketing "no" applied to all of them' in " ".join(stderr.split())
    again = invoke("customers", "--db", db, "--json")
    assert "note:" not in again.stderr  # type: ignore[attr-defined]  # once only


def test_a_later_yes_import_for_the_address_changes_nobody(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "shop.db"
    old_shop(db, 7, [("Anna.Out@Example.com", 0), ("anna.out@example.com\u200b", 1)],
             monkeypatch)  # fmt: skip
    file = tmp_path / "customers.csv"
    file.write_text("email,first_name,accepts_marketing\nanna.out@example.com,Anna,yes\n")
    result = invoke("import", "customers", file, "--format", "generic", "--db", db)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert [row[3] for row in customers(db)] == [0, 0]
    assert len(customers(db)) == 2  # matched to customer 1, not a third


def test_a_changed_key_that_is_suppressed_loses_its_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One customer, no twin: stored with a zero-width key, its address later withdrawn
    (the hash of the real address is on the list); the old key never matched it."""
    db = tmp_path / "shop.db"
    old_shop(db, 7, [("bob@example.com\ufeff", 1), ("carla@example.com", 1)], monkeypatch)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO suppressions VALUES (?, 'withdrawn', '2026-02-01')",
            (address_hash("bob@example.com"),),
        )
    with open_store(db) as store:
        assert store.schema_version() == len(core.store.MIGRATIONS)
    assert customers(db) == [
        (1, "bob@example.com", "bob@example.com", 0),
        (2, "carla@example.com", "carla@example.com", 1),
    ]


def test_a_shop_already_right_is_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "shop.db"
    old_shop(db, 7, [("ann@example.com", 1), ("ben@example.com", 0)], monkeypatch)
    before = customers(db)
    result = invoke("customers", "--db", db, "--json")
    assert result.exit_code == 0 and "note:" not in result.stderr  # type: ignore[attr-defined]
    assert customers(db) == before


@pilot_test
async def test_the_app_says_what_the_upgrade_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner who only uses the app reads the backup line and the note too, once."""
    db = tmp_path / "shop.db"
    old_shop(db, 7, [("Anna.Out@Example.com", 0), ("anna.out@example.com\u200b", 1)],
             monkeypatch)  # fmt: skip
    app_on_old_shop = RetainApp(db_path=db)
    async with app_on_old_shop.run_test() as pilot:
        await until(pilot, lambda: len(shown_notices(app_on_old_shop)) >= 2)
        said = [" ".join(str(notice.message).split()) for notice in shown_notices(app_on_old_shop)]
    assert any(line.startswith(f"Upgraded {db} to this version's schema") for line in said)
    assert any(line.startswith("note: customers 1, 2 have the same address") for line in said)
    with sqlite3.connect(db) as conn:
        assert not conn.execute("SELECT 1 FROM settings WHERE key = 'notice.email_keys'").fetchall()
