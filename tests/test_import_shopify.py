"""Shopify exports: orders one row per line item (current and older headers) and customers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from core.importers import FatalImportError, ImportResult, import_file
from core.store import Store, open_store

Load = Callable[..., ImportResult]
Query = Callable[..., list[dict[str, object]]]


def day(year: int, month: int, dom: int) -> int:
    return date(year, month, dom).toordinal()


def order(query: Query, name: str) -> dict[str, object]:
    (row,) = query("SELECT * FROM orders WHERE external_id = ?", name)
    return row


def lines(query: Query, name: str) -> list[tuple[object, ...]]:
    return [
        (row["sku"], row["product"], row["quantity"], row["unit_price"])
        for row in query(
            "SELECT l.* FROM order_lines l JOIN orders o ON o.id = l.order_id "
            "WHERE o.external_id = ? ORDER BY l.position",
            name,
        )
    ]


def customer(query: Query, email_key: str) -> dict[str, object]:
    (row,) = query("SELECT * FROM customers WHERE email_key = ?", email_key)
    return row


def stats(query: Query) -> dict[str, tuple[object, ...]]:
    return {
        row["email_key"]: (row["orders"], row["revenue"], row["first_day"], row["last_day"])
        for row in query(
            "SELECT c.email_key, s.* FROM customer_stats s JOIN customers c ON c.id = s.customer_id"
        )
    }


# -- orders, current header -----------------------------------------------------------------


def test_orders_summary(load: Load) -> None:
    result = load("shopify_orders.csv", "orders")
    assert (result.format, result.kind, result.delimiter) == ("shopify", "orders", "comma")
    assert result.rows_read == 10
    assert (result.orders_added, result.orders_updated, result.orders_unchanged) == (6, 0, 0)
    assert (result.customers_added, result.customers_updated) == (3, 0)
    assert result.rows_rejected == 0 and result.errors == []


def test_order_fields_come_from_the_first_row(load: Load, query: Query) -> None:
    load("shopify_orders.csv", "orders")
    first = order(query, "#1001")
    assert first["ordered_at"] == "2024-03-05T14:02:11+01:00"
    assert first["order_day"] == day(2024, 3, 5)
    assert (first["currency"], first["subtotal"], first["total"]) == ("EUR", 4480, 4970)
    assert (first["discount"], first["refunded"], first["cancelled"]) == (0, 0, 0)
    assert first["source"] == "shopify"
    assert first["source_id"] == "5400000000001"
    assert lines(query, "#1001") == [
        ("TEA-EG-100", "Earl Grey 100 g", 2, 1250), ("MUG-B", "Mug, blue", 1, 1980),
    ]  # fmt: skip


def test_discount_cancellation_refund(load: Load, query: Query) -> None:
    load("shopify_orders.csv", "orders")
    discounted = order(query, "#1002")
    assert (discounted["discount_code"], discounted["discount"]) == ("WELCOME10", 300)
    assert discounted["total"] == 3190
    cancelled = order(query, "#1003")
    assert cancelled["cancelled"] == 1
    assert cancelled["cancelled_at"] == "2024-07-01T10:00:00+02:00"
    assert cancelled["status"] == "voided"
    refunded = order(query, "#1004")
    assert (refunded["total"], refunded["refunded"], refunded["cancelled"]) == (3000, 1000, 0)


def test_order_day_is_the_local_date(load: Load, query: Query) -> None:
    load("shopify_orders.csv", "orders")
    late = order(query, "#1006")
    assert late["ordered_at"] == "2024-12-31T23:59:59-05:00"  # 05:00 on 1 January in UTC
    assert late["order_day"] == day(2024, 12, 31)


def test_pos_order_without_email_has_no_customer(load: Load, query: Query) -> None:
    load("shopify_orders.csv", "orders")
    pos = order(query, "#1005")
    assert pos["customer_id"] is None
    assert pos["total"] == 1500
    assert len(lines(query, "#1005")) == 3
    assert lines(query, "#1005")[2] == (None, "Honey", 1, 500)


def test_buyers_become_customers_matched_case_insensitively(load: Load, query: Query) -> None:
    load("shopify_orders.csv", "orders")
    anna = customer(query, "anna@example.com")
    assert (anna["first_name"], anna["last_name"], anna["country"], anna["language"]) == (
        "Anna", "Schmidt", "DE", "de",
    )  # fmt: skip
    assert anna["accepts_marketing"] == 1
    anna_orders = query(
        "SELECT external_id FROM orders WHERE customer_id = ? ORDER BY external_id", anna["id"]
    )
    assert [row["external_id"] for row in anna_orders] == ["#1001", "#1003", "#1006"]
    jurgen = customer(query, "jurgen@example.org")
    # Markup-like text is data, kept verbatim.
    assert (jurgen["first_name"], jurgen["last_name"]) == ("Jürgen", "[VIP] Müller")
    assert jurgen["accepts_marketing"] == 0
    assert customer(query, "bob@example.com")["accepts_marketing"] is None
    assert customer(query, "bob@example.com")["language"] == "en"


def test_summaries_count_net_revenue_of_orders_that_count(load: Load, query: Query) -> None:
    load("shopify_orders.csv", "orders")
    assert stats(query) == {
        # #1001 + #1006; the cancelled #1003 does not count.
        "anna@example.com": (2, 4970 + 1250, day(2024, 3, 5), day(2024, 12, 31)),
        "jurgen@example.org": (1, 3190, day(2024, 6, 30), day(2024, 6, 30)),
        # total - refunded
        "bob@example.com": (1, 3000 - 1000, day(2024, 9, 10), day(2024, 9, 10)),
    }
    days = query("SELECT day, orders, revenue FROM customer_days ORDER BY day")
    assert len(days) == 4
    assert sum(row["revenue"] for row in days) == 4970 + 1250 + 3190 + 2000  # type: ignore[misc]


def test_header_matching_is_tolerant(tmp_path: Path, data: Callable[[str], Path]) -> None:
    original = data("shopify_orders.csv").read_text(encoding="utf-8")
    header, rest = original.split("\n", 1)
    mangled = ",".join(f" {name.upper().replace(' ', '_')} " for name in header.split(","))
    path = tmp_path / "orders_export_1.csv"
    path.write_text(mangled + "\n" + rest, encoding="utf-8")
    wanted = "SELECT external_id, ordered_at, total, refunded, cancelled FROM orders ORDER BY 1"
    with (
        open_store(tmp_path / "a.db", create=True) as a,
        open_store(tmp_path / "b.db", create=True) as b,
    ):
        import_file(a, data("shopify_orders.csv"), "orders")
        result = import_file(b, path, "orders")
        assert result.format == "shopify"
        assert a.execute(wanted).fetchall() == b.execute(wanted).fetchall()
        assert b.scalar("SELECT count(*) FROM order_lines") == 10


# -- orders, the older header ------------------------------------------------------------------


def test_legacy_orders_header(load: Load, query: Query, data: Callable[[str], Path]) -> None:
    header = data("shopify_orders_legacy.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert header.endswith(",Cancelled at")
    result = load("shopify_orders_legacy.csv", "orders")
    assert result.format == "shopify"
    assert (result.rows_read, result.orders_added, result.rows_rejected) == (4, 3, 0)
    assert lines(query, "#101") == [
        ("TEA-DAR", "Darjeeling 100 g", 1, 990), ("ACC-F", "Filter bags", 3, 200),
    ]  # fmt: skip
    cancelled = order(query, "#102")
    assert cancelled["cancelled"] == 1 and cancelled["refunded"] == 0
    assert order(query, "#103")["currency"] == "NOK"
    zoe = customer(query, "zoe@example.nl")
    assert (zoe["first_name"], zoe["last_name"], zoe["language"]) == ("Zoë", "van der Berg", "nl")
    assert customer(query, "aerlig@example.no")["language"] == "nb"
    assert stats(query)["zoe@example.nl"][:2] == (1, 2080)


# -- customers ----------------------------------------------------------------------------------


def test_customers_current_header(load: Load, query: Query) -> None:
    result = load("shopify_customers.csv", "customers")
    assert (result.format, result.kind) == ("shopify", "customers")
    assert (result.rows_read, result.customers_added, result.rows_rejected) == (5, 5, 0)
    anna = customer(query, "anna@example.com")
    assert anna["external_id"] == "7100000000001"  # Shopify's leading apostrophe is gone
    assert (anna["country"], anna["language"], anna["tags"]) == ("DE", "de", "vip, newsletter")
    jurgen = customer(query, "jurgen@example.org")
    assert jurgen["email"] == "Jurgen@Example.org"  # kept as written, matched lowercased
    assert jurgen["note"] == 'Prefers "loose" tea.\nCall before delivery, please.'
    conti = customer(query, "conti@example.net")
    assert (conti["first_name"], conti["last_name"], conti["language"]) == (None, "Conti", "it")
    assert customer(query, "marco@example.com")["first_name"] == "Marco [bold]"
    consent = {row["email_key"]: row["accepts_marketing"]
               for row in query("SELECT email_key, accepts_marketing FROM customers")}  # fmt: skip
    assert consent == {"anna@example.com": 1, "jurgen@example.org": 0, "conti@example.net": 1,
                       "bob@example.com": 0, "marco@example.com": 1}  # fmt: skip
    events = query("SELECT accepts_marketing, source FROM consent_events")
    assert len(events) == 5 and {row["source"] for row in events} == {"import"}


def test_customers_legacy_header(load: Load, query: Query) -> None:
    result = load("shopify_customers_legacy.csv", "customers")
    assert result.format == "shopify"
    assert (result.rows_read, result.customers_added) == (3, 3)
    rows = query("SELECT * FROM customers ORDER BY email_key")
    assert [row["external_id"] for row in rows] == [None, None, None]
    assert [(row["first_name"], row["country"], row["language"], row["accepts_marketing"])
            for row in rows] == [
        ("Ærlig", "NO", "nb", 1), ("Anna", "DE", "de", 1), ("Zoë", "NL", "nl", 0),
    ]  # fmt: skip


def test_orders_link_to_imported_customers(load: Load, query: Query) -> None:
    load("shopify_customers.csv", "customers")
    result = load("shopify_orders.csv", "orders")
    # Every buyer is already known (Jurgen@Example.org matches jurgen@example.org) ...
    assert (result.customers_added, result.customers_updated) == (0, 0)
    assert query("SELECT count(*) AS n FROM customers") == [{"n": 5}]
    # ... and the customers file's names win over the orders' billing names.
    jurgen = customer(query, "jurgen@example.org")
    assert (jurgen["first_name"], jurgen["last_name"]) == ("Jürgen", "Müller")
    assert jurgen["external_id"] == "7100000000002"
    linked = query("SELECT count(*) AS n FROM orders WHERE customer_id IS NOT NULL")
    assert linked == [{"n": 5}]


def test_customers_file_completes_customers_known_from_orders(load: Load, query: Query) -> None:
    load("shopify_orders.csv", "orders")
    result = load("shopify_customers.csv", "customers")
    assert (result.customers_added, result.customers_updated) == (2, 3)  # Conti, Marco new
    jurgen = customer(query, "jurgen@example.org")
    assert (jurgen["first_name"], jurgen["last_name"]) == ("Jürgen", "Müller")
    assert jurgen["external_id"] == "7100000000002"
    assert customer(query, "bob@example.com")["accepts_marketing"] == 0


def test_customers_file_is_refused_as_orders(data: Callable[[str], Path], store: Store) -> None:
    with pytest.raises(FatalImportError, match="looks like a shopify customers export"):
        import_file(store, data("shopify_customers.csv"), "orders")
    with pytest.raises(FatalImportError, match="looks like a shopify orders export"):
        import_file(store, data("shopify_orders.csv"), "customers")
    assert store.is_empty()
