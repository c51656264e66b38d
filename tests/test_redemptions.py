"""Redemption matching (issue 13): orders whose discount code cell carries a campaign's code,
from Shopify, WooCommerce and generic imports, whichever came first; and what the import
reports. The view `code_redemptions` is checked against a brute-force reading of the cells."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from core.importers import import_file
from core.importers.summary import summary_lines
from core.store import Store, open_store
from tests.codes_support import (
    GENERIC_HEADER,
    SHOPIFY_HEADER,
    WOO_HEADER,
    add_campaign,
    generic_row,
    shopify_row,
    woo_row,
    write_csv,
)
from tui.cli import build_app

CODES = {"WINBACK-7KQ2M9XD": 1, "WINBACK-ABCDEFGH": 2, "WINBACK-ZZZZZZZZ": 3}


def redemptions(store: Store) -> set[tuple[str, str]]:
    """(code, the order's id in the export) of every redemption."""
    rows = store.execute(
        "SELECT r.code, o.external_id FROM code_redemptions r JOIN orders o ON o.id = r.order_id"
    )
    return {(code, external_id) for code, external_id in rows}


def test_shopify_codes_match_whatever_their_case_and_spaces(store: Store, tmp_path: Path) -> None:
    add_campaign(store, "winback-at_risk-2024-11-30", CODES)
    file = write_csv(tmp_path / "orders.csv", SHOPIFY_HEADER, [
        shopify_row("#1001", "ann@example.com", "2024-12-02", "30.00", " winback-7kq2m9xd "),
        shopify_row("#1002", "bob@example.com", "2024-12-03", "40.00", "WinBack-AbcdefGH"),
        shopify_row("#1003", "cy@example.com", "2024-12-03", "50.00", "WELCOME10"),
        shopify_row("#1004", "dee@example.com", "2024-12-04", "60.00", ""),
    ])  # fmt: skip
    result = import_file(store, file, "orders")
    assert result.format == "shopify"
    assert (result.codes_redeemed, result.codes_reused) == (2, [])
    assert redemptions(store) == {("WINBACK-7KQ2M9XD", "#1001"), ("WINBACK-ABCDEFGH", "#1002")}
    row = store.execute(
        "SELECT r.net, r.ordered_day, r.issued_to, c.email FROM code_redemptions r "
        "JOIN customers c ON c.id = r.customer_id WHERE r.code = 'WINBACK-7KQ2M9XD'"
    ).fetchone()
    assert row[0] == 3000 and row[2] == 1 and row[3] == "ann@example.com"
    assert row[1] == store.scalar("SELECT order_day FROM orders WHERE external_id = '#1001'")


def test_woocommerce_order_with_several_coupons_redeems_each(store: Store, tmp_path: Path) -> None:
    add_campaign(store, "winback", CODES)
    file = write_csv(tmp_path / "woo.csv", WOO_HEADER, [
        woo_row("5001", "ann@example.de", "2024-12-02", "30.00", "sommer15, winback-7kq2m9xd"),
        woo_row("5002", "bob@example.de", "2024-12-03", "40.00",
                "WINBACK-ABCDEFGH;  winback-zzzzzzzz"),
        woo_row("5003", "cy@example.de", "2024-12-03", "50.00", "SOMMER15"),
    ])  # fmt: skip
    result = import_file(store, file, "orders")
    assert result.format == "woocommerce"
    assert result.codes_redeemed == 3
    assert redemptions(store) == {
        ("WINBACK-7KQ2M9XD", "5001"), ("WINBACK-ABCDEFGH", "5002"), ("WINBACK-ZZZZZZZZ", "5002"),
    }  # fmt: skip
    # The cell is kept as the shop wrote it: the customer's history shows what they typed.
    assert store.scalar("SELECT discount_code FROM orders WHERE external_id = '5001'") == (
        "sommer15, winback-7kq2m9xd"
    )


def test_orders_imported_before_the_code_existed_redeem_it(store: Store, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "orders.csv", GENERIC_HEADER, [
        generic_row("A-1", "ann@example.com", "2024-12-02", "30.00", "Winback-7KQ2M9XD"),
    ])  # fmt: skip
    first = import_file(store, file, "orders")
    assert first.codes_redeemed == 0 and redemptions(store) == set()
    add_campaign(store, "winback", CODES)
    assert redemptions(store) == {("WINBACK-7KQ2M9XD", "A-1")}
    # Re-importing the unchanged file reports nothing new: its orders did not change.
    again = import_file(store, file, "orders")
    assert (again.orders_unchanged, again.codes_redeemed) == (1, 0)


def test_cancelled_and_refunded_orders_redeem_nothing(store: Store, tmp_path: Path) -> None:
    add_campaign(store, "winback", CODES)
    file = write_csv(tmp_path / "orders.csv", GENERIC_HEADER, [
        generic_row("A-1", "ann@example.com", "2024-12-02", "30.00", "WINBACK-7KQ2M9XD",
                    status="cancelled"),
        generic_row("A-2", "bob@example.com", "2024-12-02", "30.00", "WINBACK-ABCDEFGH"),
    ])  # fmt: skip
    assert import_file(store, file, "orders").codes_redeemed == 1
    assert redemptions(store) == {("WINBACK-ABCDEFGH", "A-2")}
    refunded = write_csv(tmp_path / "later.csv", GENERIC_HEADER, [
        generic_row("A-2", "bob@example.com", "2024-12-02", "30.00", "WINBACK-ABCDEFGH",
                    status="refunded"),
    ])  # fmt: skip
    later = import_file(store, refunded, "orders")
    assert (later.orders_updated, later.codes_redeemed) == (1, 0)
    assert redemptions(store) == set()


def reuse_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "orders.csv", GENERIC_HEADER, [
        generic_row("A-2", "friend@example.com", "2024-12-05", "25.00", "winback-7kq2m9xd "),
        generic_row("A-1", "ann@example.com", "2024-12-02", "30.00", "WINBACK-7KQ2M9XD"),
        generic_row("A-3", "bob@example.com", "2024-12-03", "20.00", "WINBACK-ABCDEFGH"),
    ])  # fmt: skip


def test_a_code_used_by_two_orders_is_reported(store: Store, tmp_path: Path) -> None:
    add_campaign(store, "winback", CODES)
    result = import_file(store, reuse_file(tmp_path), "orders")
    assert result.codes_redeemed == 2
    assert [(reuse.code, reuse.orders) for reuse in result.codes_reused] == [
        ("WINBACK-7KQ2M9XD", ["A-1", "A-2"])  # oldest order first
    ]
    lines = {line.label: line for line in summary_lines(result)}
    assert lines["campaign codes redeemed"].count == 2
    reused = lines["codes used twice or more"]
    assert (reused.count, reused.tone) == (1, "warning")
    assert reused.rows == ["WINBACK-7KQ2M9XD used by 2 orders: A-1, A-2"]


def test_the_cli_reports_reused_codes_in_its_summary_and_json(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with open_store(db, create=True) as store:
        add_campaign(store, "winback", CODES)
    app = build_app()
    file = reuse_file(tmp_path)
    shown = CliRunner().invoke(app, ["import", "orders", str(file), "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    out = re.sub(r"\s+", " ", shown.stdout)
    assert "campaign codes redeemed 2" in out
    assert "WINBACK-7KQ2M9XD used by 2 orders: A-1, A-2" in out
    again = CliRunner().invoke(app, ["import", "orders", str(file), "--db", str(db), "--json"])
    summary = json.loads(again.stdout)
    assert (summary["codes_redeemed"], summary["codes_reused"]) == (0, [])  # nothing changed
    with open_store(db) as store:
        store.execute("UPDATE orders SET fingerprint = 0")  # every order reads as changed
    changed = CliRunner().invoke(app, ["import", "orders", str(file), "--db", str(db), "--json"])
    summary = json.loads(changed.stdout)
    assert summary["codes_redeemed"] == 2
    assert summary["codes_reused"] == [{"code": "WINBACK-7KQ2M9XD", "orders": ["A-1", "A-2"]}]


# -- the view against a brute-force reading of the cells -------------------------------------

ISSUED = ["WINBACK-7KQ2M9XD", "WINBACK-ABCDEFGH", "SPRING-23456789", "X-A"]


def spelled(code: str, draw: st.DrawFn) -> str:
    """`code` as a customer or a shop might write it: any case, spaces around."""
    cased = "".join(c.lower() if draw(st.booleans()) else c for c in code)
    return " " * draw(st.integers(0, 2)) + cased + " " * draw(st.integers(0, 2))


@st.composite
def cells(draw: st.DrawFn) -> str | None:
    """A discount code cell: empty, one code (issued or not), or a list of them."""
    pieces = draw(st.lists(st.sampled_from([*ISSUED, "WELCOME10", "WINBACK", ""]), max_size=3))
    if not pieces:
        return None
    written = [spelled(code, draw) for code in pieces]
    separators = [draw(st.sampled_from([",", ";", ", "])) for _ in written[1:]]
    cell = written[0] + "".join(
        sep + code for sep, code in zip(separators, written[1:], strict=True)
    )
    return cell or None


def brute_force(orders: list[tuple[str | None, bool]]) -> set[tuple[str, int]]:
    """(code, order number) for each issued code a counting order's cell names."""
    found = set()
    for number, (cell, cancelled) in enumerate(orders, start=1):
        if cell is None or cancelled:
            continue
        for token in re.split(r"[,;]", cell):
            if token.strip(" ").upper() in ISSUED:
                found.add((token.strip(" ").upper(), number))
    return found


@given(st.lists(st.tuples(cells(), st.booleans()), max_size=12))
def test_the_view_matches_a_brute_force_reading(orders: list[tuple[str | None, bool]]) -> None:
    with open_store(":memory:", create=True) as store:
        add_campaign(store, "c", {code: number for number, code in enumerate(ISSUED)})
        with store.write() as conn:
            conn.executemany(
                "INSERT INTO orders (id, external_id, ordered_at, order_day, discount_code, "
                "total, cancelled, source, fingerprint, imported_at) "
                "VALUES (?, ?, '2024-12-01', 739221, ?, 100, ?, 'generic', 0, 'now')",
                [(n, f"o{n}", cell, int(cancelled))
                 for n, (cell, cancelled) in enumerate(orders, start=1)],
            )  # fmt: skip
        found = set(store.execute("SELECT code, order_id FROM code_redemptions"))
        assert found == brute_force(orders)
        by_campaign = store.scalar("SELECT count(*) FROM code_redemptions WHERE campaign_id = 1")
        assert by_campaign == len(found)
        # Any writer that changes the cells (the triggers keep `order_codes` current):
        # every other order loses its code, the others get the next order's cell; order 3
        # is deleted.
        changed = [
            (None if number % 2 == 0 else orders[number % len(orders)][0], cancelled)
            for number, (_cell, cancelled) in enumerate(orders, start=1)
        ]
        with store.write() as conn:
            conn.executemany(
                "UPDATE orders SET discount_code = ? WHERE id = ?",
                [(cell, n) for n, (cell, _) in enumerate(changed, start=1)],
            )
            conn.execute("DELETE FROM orders WHERE id = 3")
        changed = [c if n != 3 else (None, True) for n, c in enumerate(changed, start=1)]
        after = set(store.execute("SELECT code, order_id FROM code_redemptions"))
        assert after == brute_force(changed)


def test_erasure_keeps_only_the_campaign_codes_of_a_cell(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    rows = [generic_row("A-1", "ann@example.com", "2024-12-02", "30.00",
                        "ANNA-FRIENDS, winback-7kq2m9xd")]  # fmt: skip
    file = write_csv(tmp_path / "orders.csv", GENERIC_HEADER, rows)
    with open_store(db, create=True) as store:
        add_campaign(store, "winback", CODES)
        import_file(store, file, "orders")
    forget = CliRunner().invoke(build_app(), ["forget", "1", "--yes", "--db", str(db)])
    assert forget.exit_code == 0, forget.output
    assert "cleared orders.discount_code: 1" in forget.stdout
    with open_store(db) as store:
        cell = "SELECT discount_code FROM orders WHERE external_id = 'A-1'"
        assert store.scalar(cell) == "WINBACK-7KQ2M9XD"
        assert redemptions(store) == {("WINBACK-7KQ2M9XD", "A-1")}  # the figures stay
        # A re-import of the forgotten person's changed order writes the cell again: the
        # same rule applies.
        changed = write_csv(tmp_path / "later.csv", GENERIC_HEADER, [
            generic_row("A-1", "ann@example.com", "2024-12-02", "31.00",
                        "ANNA-FRIENDS, winback-7kq2m9xd"),
        ])  # fmt: skip
        assert import_file(store, changed, "orders").orders_updated == 1
        assert store.scalar(cell) == "WINBACK-7KQ2M9XD"
