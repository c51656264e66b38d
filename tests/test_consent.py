"""Consent is never lost: every "no" reaches every customer with the address, and the
suppression list keeps it through later imports, edits and exports (issue 11)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.compose import Composer, Discount
from core.consent import (
    SuppressedError,
    address_hash,
    is_suppressed,
    lift_suppression,
    set_marketing_consent,
    suppress,
    suppression_groups,
)
from core.importers import import_file
from core.store import Store, open_store
from core.values import clean_email, email_key
from tui.cli import build_app

app = build_app()
runner = CliRunner()
ZERO_WIDTH = "\u200b"
ORDERS_HEADER = "order_id,ordered_at,customer_id,email,total,accepts_marketing\n"
SHOP_SETTINGS = {
    "shop.name": "Tea Shop",
    "shop.from": "Tea Shop <hallo@tea.example>",
    "shop.postal_address": "Teeweg 1, 10115 Berlin",
    "shop.unsubscribe_url": "https://tea.example/unsubscribe",
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "shop.db"


@pytest.fixture
def store(db_path: Path) -> Store:
    with open_store(db_path, create=True) as opened:
        yield opened


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def consent_by_email(store: Store) -> dict[str, int | None]:
    rows = store.conn.execute("SELECT email_key, accepts_marketing FROM customers")
    return dict(rows.fetchall())


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


# -- one normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "anna.out@example.com",
        " Anna.Out@Example.COM ",
        f"anna.out@example.com{ZERO_WIDTH}",
        f"anna{ZERO_WIDTH}.out@example.com",
        "\ufeffanna.out@example.com\u00a0",  # BOM, no-break space
        "ａｎｎａ.ｏｕｔ@ｅｘａｍｐｌｅ.ｃｏｍ",  # full-width (NFKC)
        "anna\u00ad.out@example.com",  # soft hyphen
    ],
)
def test_every_spelling_of_an_address_has_one_key(text: str) -> None:
    assert email_key(text) == "anna.out@example.com"
    assert address_hash(text) == address_hash("anna.out@example.com")


def test_a_file_keeps_the_case_but_not_the_invisible_characters() -> None:
    assert clean_email(f" Anna.Out@Example.com{ZERO_WIDTH} ") == "Anna.Out@Example.com"
    assert clean_email(ZERO_WIDTH) is None and email_key("  ") is None


# -- the three ways a "no" was lost ----------------------------------------------------------


def test_one_file_with_the_address_under_two_ids_keeps_the_no(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "id,email,accepts_marketing\n"
                 "C1,anna@example.com,yes\nC2,ANNA@example.com ,no\n")  # fmt: skip
    import_file(store, path, "customers")
    assert consent_by_email(store) == {"anna@example.com": 0}
    assert is_suppressed(store.conn, "anna@example.com")


def test_a_guest_orders_no_reaches_the_registered_customer(store: Store, tmp_path: Path) -> None:
    customers = write(tmp_path / "c.csv", "id,email,accepts_marketing\nC1,anna@example.com,yes\n")
    import_file(store, customers, "customers")
    orders = write(tmp_path / "o.csv", ORDERS_HEADER +
                   "O-1,2024-03-01,C1,anna@example.com,20.00,yes\n"
                   "O-2,2024-03-02,,Anna@Example.com,15.00,no\n")  # fmt: skip
    import_file(store, orders, "orders")
    assert consent_by_email(store) == {"anna@example.com": 0}


def test_a_guest_orders_no_in_the_same_file_as_the_registration(
    store: Store, tmp_path: Path
) -> None:
    orders = write(tmp_path / "o.csv", ORDERS_HEADER +
                   "O-1,2024-03-01,,anna@example.com,15.00,no\n"
                   "O-2,2024-03-02,C1,anna@example.com,20.00,yes\n")  # fmt: skip
    import_file(store, orders, "orders")
    assert consent_by_email(store) == {"anna@example.com": 0}


def test_a_no_on_a_row_whose_email_belongs_to_another_customer(
    store: Store, tmp_path: Path
) -> None:
    first = write(tmp_path / "c1.csv", "id,email,accepts_marketing\n"
                  "C1,anna@example.com,yes\nC2,bob@example.com,yes\n")  # fmt: skip
    import_file(store, first, "customers")
    later = write(tmp_path / "c2.csv", "id,email,first_name,accepts_marketing\n"
                  "C1,bob@example.com,Anna,no\n")  # fmt: skip
    result = import_file(store, later, "customers")
    # The "no" reaches the address's holder (Bob) and the row's customer (Anna); Anna keeps
    # her own address, and the rest of the row applies.
    assert consent_by_email(store) == {"anna@example.com": 0, "bob@example.com": 0}
    assert store.scalar("SELECT first_name FROM customers WHERE external_id = 'C1'") == "Anna"
    assert result.warnings == [
        "c2.csv:2: email: the address belongs to customer C2: email not changed; "
        'its marketing "no" applies to both'
    ]
    assert result.rows_rejected == 0 and result.customers_updated == 2


def test_a_no_without_an_email_suppresses_the_stored_address(store: Store, tmp_path: Path) -> None:
    first = write(tmp_path / "a.csv", "id,email,accepts_marketing\nC1,anna@example.com,yes\n")
    import_file(store, first, "customers")
    import_file(store, write(tmp_path / "b.csv", "id,accepts_marketing\nC1,no\n"), "customers")
    assert is_suppressed(store.conn, "anna@example.com")
    assert consent_by_email(store) == {"anna@example.com": 0}


def test_a_clashing_email_without_a_no_is_reported_and_changes_nobodys_consent(
    store: Store, tmp_path: Path
) -> None:
    first = write(tmp_path / "c1.csv", "id,email,accepts_marketing\n"
                  "C1,anna@example.com,yes\nC2,bob@example.com,yes\n")  # fmt: skip
    import_file(store, first, "customers")
    later = write(tmp_path / "c2.csv", "id,email\nC1,bob@example.com\n")
    result = import_file(store, later, "customers")
    assert consent_by_email(store) == {"anna@example.com": 1, "bob@example.com": 1}
    assert result.warnings == [
        "c2.csv:2: email: the address belongs to customer C2: email not changed"
    ]


# -- suppression ---------------------------------------------------------------------------


def test_the_zero_width_twin_of_an_opted_out_address_gets_no_win_back(
    db_path: Path, tmp_path: Path
) -> None:
    """The issue's case: `anna.out@example.com` + U+200B was a new customer with "yes", and
    got a win-back draft delivered to the opted-out address."""
    customers = write(tmp_path / "c.csv", "id,email,accepts_marketing\n"
                      "C1,anna.out@example.com,no\n")  # fmt: skip
    orders = write(tmp_path / "o.csv", ORDERS_HEADER +
                   "O-1,2024-01-05,C1,anna.out@example.com,20.00,\n"
                   f"O-2,2024-01-06,C7,anna.out@example.com{ZERO_WIDTH},15.00,yes\n"
                   f"O-3,2024-01-07,,ANNA.OUT@example.com{ZERO_WIDTH} ,15.00,yes\n")  # fmt: skip
    for path, kind in ((customers, "customers"), (orders, "orders")):
        code, out = invoke("import", kind, str(path), "--db", str(db_path))
        assert code == 0, out
    code, out = invoke("import", "orders", str(orders), "--db", str(db_path), "--json")
    assert code == 0 and json.loads(out)["consent_suppressed"] == 2  # C7, and the guest
    with open_store(db_path) as store:
        assert consent_by_email(store) == {"anna.out@example.com": 0}
        for key, value in SHOP_SETTINGS.items():
            store.set_setting(key, value)
    code, out = invoke("export", "--db", str(db_path), "-t", "win-back", "--segment", "repeat",
                       "--discount", "10%", "--as-of", "2024-12-01",
                       "--dry-run", "--json")  # fmt: skip
    assert code == 0, out
    summary = json.loads(out)
    assert summary["drafted"] == 0 and summary["skipped"] == {"no_consent": 1}
    # A thank-you for an order is transactional: it still goes.
    code, out = invoke("export", "--db", str(db_path), "-t", "thank-you", "--segment", "repeat",
                       "--as-of", "2024-01-08", "--dry-run", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["drafted"] == 1, out


def test_suppression_survives_erasure_and_reimport_of_an_old_yes_file(
    store: Store, tmp_path: Path
) -> None:
    old = write(tmp_path / "old.csv", "id,email,accepts_marketing\nC1,anna@example.com,yes\n")
    import_file(store, old, "customers")
    with store.write() as conn:  # what erasure does: suppress, then delete the customer
        suppress(conn, "anna@example.com", "erased")
        conn.execute("DELETE FROM customers")
    result = import_file(store, old, "customers")
    assert result.customers_added == 1 and result.consent_suppressed == 1
    assert consent_by_email(store) == {"anna@example.com": 0}
    again = import_file(store, old, "customers")
    assert again.consent_suppressed == 1 and again.customers_updated == 0


def test_a_new_customer_with_a_suppressed_address_starts_at_no(
    store: Store, tmp_path: Path
) -> None:
    """An address another customer withdrew, given later to a new id in another file."""
    withdrawn = write(tmp_path / "a.csv", "id,email,accepts_marketing\nC1,anna@example.com,no\n")
    import_file(store, withdrawn, "customers")
    moved = write(tmp_path / "b.csv", "id,email\nC1,anna@new.example\n")
    import_file(store, moved, "customers")
    newcomer = write(tmp_path / "c.csv", "id,email,accepts_marketing\nC9,anna@example.com,yes\n")
    assert import_file(store, newcomer, "customers").consent_suppressed == 1
    assert consent_by_email(store) == {"anna@new.example": 0, "anna@example.com": 0}


def test_the_owner_cannot_grant_consent_to_a_suppressed_address(
    store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path / "c.csv", "id,email,accepts_marketing\nC1,anna@example.com,yes\n")
    import_file(store, path, "customers")
    anna = int(store.scalar("SELECT id FROM customers"))
    assert set_marketing_consent(store, anna, False)
    assert is_suppressed(store.conn, "Anna@Example.com")
    with pytest.raises(SuppressedError, match="suppressed lift"):
        set_marketing_consent(store, anna, True)
    events = store.conn.execute(
        "SELECT accepts_marketing, source FROM consent_events ORDER BY id"
    ).fetchall()
    assert events == [(1, "import"), (0, "app")]
    assert lift_suppression(store, "anna@example.com")
    assert set_marketing_consent(store, anna, True)
    assert consent_by_email(store) == {"anna@example.com": 1}


def test_the_composer_leaves_out_a_suppressed_address_even_with_a_stored_yes(
    store: Store, tmp_path: Path
) -> None:
    """A stored yes next to a suppression (a database edited by hand, or written by an older
    version): the suppression list wins, said as `suppressed`."""
    path = write(tmp_path / "c.csv", "id,email,accepts_marketing\n"
                 "C1,anna@example.com,yes\nC2,bob@example.com,yes\n")  # fmt: skip
    import_file(store, path, "customers")
    with store.write() as conn:
        conn.execute("INSERT INTO suppressions VALUES (?, 'erased', '2026-01-01')",
                     (address_hash("anna@example.com"),))  # fmt: skip
    composer = Composer(store, tmp_path / "templates")
    chosen = composer.recipients([1, 2], "win-back", discount=Discount(percent=Decimal(10)))
    assert [(r.email, r.reason) for r in chosen] == [
        ("anna@example.com", "suppressed"), ("bob@example.com", None)]  # fmt: skip


def test_only_hashes_are_stored(store: Store) -> None:
    with store.write() as conn:
        suppress(conn, "Anna@Example.com", "withdrawn")
    dump = "\n".join(store.conn.iterdump())
    assert "anna@example.com" not in dump.lower()
    assert [g.count for g in suppression_groups(store.conn)] == [1]


def test_suppressed_commands(db_path: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "id,email,accepts_marketing\n"
                 "C1,anna@example.com,no\nC2,bob@example.com,yes\n")  # fmt: skip
    assert invoke("import", "customers", str(path), "--db", str(db_path))[0] == 0
    code, out = invoke("suppressed", "list", "--db", str(db_path))
    assert code == 0 and out.split()[:3] == ["withdrawn", "1", "addresses"] and "@" not in out
    code, out = invoke("suppressed", "check", " ANNA@example.com", "--db", str(db_path))
    assert (code, out.strip()) == (0, "anna@example.com: suppressed: no marketing email")
    code, out = invoke("suppressed", "check", "bob@example.com", "--db", str(db_path), "--json")
    assert code == 0 and json.loads(out) == {"address": "bob@example.com", "suppressed": False}
    code, out = invoke("suppressed", "lift", "bob@example.com", "--db", str(db_path))
    assert code == 2 and "error: bob@example.com is not on the suppression list" in out
    code, out = invoke("suppressed", "lift", "anna@example.com", "--db", str(db_path))
    assert code == 0 and out.startswith("Lifted the suppression of anna@example.com.")
    code, out = invoke("suppressed", "list", "--db", str(db_path), "--json")
    assert code == 0 and json.loads(out) == []
    with open_store(db_path) as store:  # lifting allows a yes again; it does not give one
        assert consent_by_email(store) == {"anna@example.com": 0, "bob@example.com": 1}
    code, out = invoke("suppressed", "check", "  ", "--db", str(db_path))
    assert code == 2 and "error: EMAIL: give an email address" in out
