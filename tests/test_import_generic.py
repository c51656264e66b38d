"""Any CSV: header aliases, --map, delimiters and encodings, and rows that must be rejected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from core.importers import FatalImportError, ImportResult, import_file, parse_mapping
from core.store import Store

Load = Callable[..., ImportResult]
Query = Callable[..., list[dict[str, object]]]
GERMAN_MAP = {"Bestellnr": "order_id", "Bestelldatum": "ordered_at", "Summe": "total",
              "Vorname": "first_name", "Nachname": "last_name", "Land": "country",
              "Erstattet": "refunded"}  # fmt: skip


def orders(query: Query) -> dict[str, dict[str, object]]:
    return {
        str(row["external_id"]): row
        for row in query(
            "SELECT o.*, c.external_id AS customer, c.email_key FROM orders o "
            "LEFT JOIN customers c ON c.id = o.customer_id"
        )
    }


def test_aliases_one_row_per_order(load: Load, query: Query) -> None:
    result = load("generic_orders.csv", "orders")
    assert (result.format, result.rows_read, result.rows_rejected) == ("generic", 5, 0)
    assert (result.orders_added, result.customers_added) == (5, 4)
    by_id = orders(query)
    assert by_id["A-1"]["total"] == 4970 and by_id["A-1"]["customer"] == "C1"
    assert by_id["A-2"]["refunded"] == 1000
    assert by_id["A-2"]["currency"] == "EUR"  # written 'eur'
    assert by_id["A-3"]["cancelled"] == 1  # Status 'cancelled'
    assert (by_id["A-4"]["discount_code"], by_id["A-4"]["discount"]) == ("SPRING", 200)
    assert by_id["A-4"]["customer"] is None
    assert by_id["A-4"]["email_key"] == "guest@example.com"
    assert by_id["A-5"]["refunded"] == 2000  # written as -20.00
    assert by_id["A-5"]["customer"] == "C3" and by_id["A-5"]["email_key"] is None
    assert query("SELECT count(*) AS n FROM order_lines") == [{"n": 0}]


@pytest.mark.parametrize(
    ("order_id", "ordered_at", "local_day"),
    [
        ("A-1", "2024-03-05", date(2024, 3, 5)),
        ("A-2", "2024-03-06T10:00:00", date(2024, 3, 6)),
        ("A-3", "2024-03-07T23:30:00+01:00", date(2024, 3, 7)),
        ("A-4", "2024-03-08T09:15:00", date(2024, 3, 8)),
        ("A-5", "2024-03-09T08:00:00+00:00", date(2024, 3, 9)),
    ],
)
def test_iso_dates_with_and_without_time_and_offset(
    load: Load, query: Query, order_id: str, ordered_at: str, local_day: date
) -> None:
    load("generic_orders.csv", "orders")
    row = orders(query)[order_id]
    assert (row["ordered_at"], row["order_day"]) == (ordered_at, local_day.toordinal())


def test_customer_fields_from_aliases(load: Load, query: Query) -> None:
    load("generic_orders.csv", "orders")
    people = {row["external_id"] or row["email_key"]: row
              for row in query("SELECT * FROM customers")}  # fmt: skip
    assert (people["C1"]["country"], people["C1"]["language"]) == ("DE", "de")  # 'Germany'
    assert people["C1"]["accepts_marketing"] == 1  # Newsletter: yes
    assert people["C2"]["accepts_marketing"] == 0
    guest = people["guest@example.com"]
    assert (guest["country"], guest["language"]) == ("AT", "de")  # 'Österreich', 'de-AT'
    assert (people["C3"]["first_name"], people["C3"]["last_name"]) == ("Marco", "Rossi")


def test_net_revenue_is_total_minus_refunded(load: Load, query: Query) -> None:
    load("generic_orders.csv", "orders")
    revenue = {row["key"]: row["revenue"] for row in query(
        "SELECT coalesce(c.external_id, c.email_key) AS key, s.revenue FROM customer_stats s "
        "JOIN customers c ON c.id = s.customer_id")}  # fmt: skip
    assert revenue == {"C1": 4970, "C2": 2000, "guest@example.com": 2000, "C3": 8000}


def test_semicolon_cp1252_decimal_comma_with_map(
    data: Callable[[str], Path], store: Store, query: Query
) -> None:
    path = data("generic_semicolon_decimal_comma.csv")
    result = import_file(store, path, "orders", mapping=GERMAN_MAP)
    assert (result.encoding, result.delimiter, result.rows_rejected) == ("cp1252", "semicolon", 0)
    by_id = orders(query)
    assert [by_id[key]["total"] for key in ("1001", "1002", "1003")] == [123456, 1250, 9990]
    assert by_id["1002"]["refunded"] == 250
    assert by_id["1003"]["ordered_at"] == "2024-03-07T18:30:00"
    names = query("SELECT first_name, last_name, country FROM customers ORDER BY email_key")
    assert [tuple(row.values()) for row in names] == [
        ("François", "Lefèvre", "FR"), ("Jürgen", "Müller", "DE"), ("Zoë", "van der Berg", "NL"),
    ]  # fmt: skip


def test_unknown_headers_need_map(data: Callable[[str], Path], store: Store) -> None:
    with pytest.raises(FatalImportError) as caught:
        import_file(store, data("generic_semicolon_decimal_comma.csv"), "orders")
    message = str(caught.value)
    assert message.startswith("generic_semicolon_decimal_comma.csv:1: no column for order_id, ")
    assert "ordered_at" in message and "total" in message and "--map" in message
    assert store.is_empty()


def test_map_wins_over_aliases(load: Load, query: Query) -> None:
    load("generic_orders.csv", "orders", mapping={"refunded": "discount"})
    a2 = orders(query)["A-2"]
    # The mapped column is read as the discount, and is not also read as the refund.
    assert (a2["discount"], a2["refunded"]) == (1000, 0)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Nope": "order_id"}, "generic_orders.csv has no column 'Nope'"),
        ({"Amount": "price_total"}, "unknown field 'price_total'; fields: order_id"),
    ],
)
def test_bad_map_is_fatal(
    data: Callable[[str], Path], store: Store, mapping: dict[str, str], message: str
) -> None:
    with pytest.raises(FatalImportError, match=message):
        import_file(store, data("generic_orders.csv"), "orders", mapping=mapping)


def test_parse_mapping() -> None:
    assert parse_mapping(["Bestellnr = order_id", "Summe=total"]) == {
        "Bestellnr": "order_id", "Summe": "total",
    }  # fmt: skip
    for bad in ("order_id", "=total", "Summe="):
        with pytest.raises(FatalImportError, match="expected COLUMN=FIELD"):
            parse_mapping([bad])


def test_tab_delimited_with_line_items(load: Load, query: Query) -> None:
    result = load("generic_tab.tsv", "orders")
    assert (result.delimiter, result.rows_read, result.orders_added) == ("tab", 3, 2)
    items = query(
        "SELECT o.external_id, l.sku, l.product, l.quantity, l.unit_price FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id ORDER BY o.external_id, l.position"
    )
    assert [tuple(row.values()) for row in items] == [
        ("T-1", "TEA-1", "Earl Grey, loose", 2, 1250),
        ("T-1", "MUG-1", "Mug", 1, 1250),
        ("T-2", "TEA-2", "Rooibos", 1, 800),
    ]
    assert orders(query)["T-2"]["customer"] == "K2"


def test_utf8_with_bom(load: Load, query: Query) -> None:
    result = load("utf8_bom.csv", "orders")
    assert (result.rows_read, result.orders_added, result.rows_rejected) == (2, 2, 0)
    names = query("SELECT first_name, last_name FROM customers ORDER BY email_key")
    assert [tuple(row.values()) for row in names] == [("Bjørn", "Ødegård"), ("Jürgen", "Müller")]


def test_generic_customers(load: Load, query: Query) -> None:
    result = load("generic_customers.csv", "customers")
    assert (result.format, result.customers_added, result.rows_rejected) == ("generic", 3, 0)
    people = {row["external_id"]: row for row in query("SELECT * FROM customers")}
    anna = people["C1"]
    assert anna["email"] == "Anna@Example.com" and anna["email_key"] == "anna@example.com"
    assert anna["created_at"] == "2023-12-01T10:00:00+01:00"
    assert (anna["tags"], anna["accepts_marketing"]) == ("vip", 1)
    assert people["C2"]["note"] == "Wholesale?"
    assert people["C9"]["accepts_marketing"] is None  # empty means unknown, not no
    assert people["C9"]["language"] == "nb"


def test_order_number_and_date_alone_do_not_make_a_woocommerce_file(
    tmp_path: Path, store: Store
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Order Number,Order Date,Email,Amount\n1,2024-03-05,a@example.com,12.50\n",
        encoding="utf-8",
    )
    result = import_file(store, path, "orders")
    assert (result.format, result.orders_added) == ("generic", 1)


# -- rejected rows ---------------------------------------------------------------------------


def test_bad_rows_are_rejected_with_file_line_column_reason(load: Load, query: Query) -> None:
    result = load("bad_rows.csv", "orders")
    assert result.rows_read == 7
    assert result.rows_rejected == 5
    assert result.errors == [
        "bad_rows.csv:4: ordered_at: not a date: '31.02.2024' (dotted dates are day first)",
        "bad_rows.csv:5: total: not an amount: 'ten euros'",
        "bad_rows.csv:6: order_id: required value is missing",
        "bad_rows.csv:7: email: no customer id or email: whose order is this?",
        "bad_rows.csv:8: total: required value is missing",
    ]
    assert (result.orders_added, result.customers_added) == (2, 2)
    assert [row["external_id"] for row in query("SELECT external_id FROM orders ORDER BY 1")] == [
        "G-1", "G-7",
    ]  # fmt: skip


def test_strict_rejects_the_whole_file(data: Callable[[str], Path], store: Store) -> None:
    import_file(store, data("generic_orders.csv"), "orders")
    before = store.scalar("SELECT count(*) FROM orders")
    runs = store.scalar("SELECT count(*) FROM import_runs")
    with pytest.raises(FatalImportError, match=r"bad_rows\.csv:4: ordered_at: .*--strict"):
        import_file(store, data("bad_rows.csv"), "orders", strict=True)
    assert store.scalar("SELECT count(*) FROM orders") == before
    assert store.scalar("SELECT count(*) FROM import_runs") == runs
    assert store.scalar("SELECT count(*) FROM customers WHERE email_key = 'a@example.com'") == 0


def test_strict_accepts_a_clean_file(load: Load) -> None:
    assert load("generic_orders.csv", "orders", strict=True).orders_added == 5


def test_a_bad_line_item_rejects_its_whole_order(load: Load, query: Query) -> None:
    result = load("bad_line_item.csv", "orders")
    assert result.rows_read == 4  # every row of the file is accounted for
    assert result.errors == [  # the three rows of L-1
        "bad_line_item.csv:2: row: belongs to the order rejected at line 3",
        "bad_line_item.csv:3: price: not an amount: 'zehn'",
        "bad_line_item.csv:4: row: belongs to the order rejected at line 3",
    ]
    assert result.rows_rejected == 3
    assert [row["external_id"] for row in query("SELECT external_id FROM orders")] == ["L-2"]
    assert query("SELECT count(*) AS n FROM order_lines") == [{"n": 1}]


def test_repeated_orders_in_one_file(load: Load, query: Query) -> None:
    result = load("duplicate_orders.csv", "orders")
    assert result.rows_read == 4
    assert result.errors == [
        "duplicate_orders.csv:5: order: order 'D-2' already appeared at line 3 with other "
        "values; the rows of one order must be together"
    ]
    assert result.orders_added == 2
    totals = {row["external_id"]: row["total"] for row in query("SELECT * FROM orders")}
    assert totals == {"D-1": 1000, "D-2": 2000}


def test_values_in_errors_cannot_smuggle_control_codes(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "evil.csv"
    path.write_text(
        "order_id,ordered_at,email,total\nE-1,\x1b[2J,a@example.com,1.00\n"
        "E-2,2024-01-01,b@example.com,[bold]12\n",
        encoding="utf-8",
    )
    result = import_file(store, path, "orders")
    assert result.rows_rejected == 2
    assert all("\x1b" not in error for error in result.errors)
    assert "'\\x1b[2J'" in result.errors[0]
