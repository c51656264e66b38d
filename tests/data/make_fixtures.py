"""Writes the small export files the tests import. Deterministic: re-running gives the same bytes.

The files are committed; run `python tests/data/make_fixtures.py` only to change them. A script
(rather than hand-edited files) because Shopify's headers are 70 columns wide and some fixtures
must be byte-exact: Windows-1252, a UTF-8 BOM, UTF-16, bytes that are not text.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent


def header_line(line: str) -> list[str]:
    """A header as the shop writes it on its first line."""
    return next(csv.reader([line]))


SHOPIFY_ORDER_HEADER = header_line(
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,"
    "Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,"
    "Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,"
    "Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,Payment ID,"
    "Payment Terms Name,Next Payment Due At,Payment References"
)
# Shopify's older order export stopped at `Cancelled at`.
SHOPIFY_LEGACY_ORDER_HEADER = SHOPIFY_ORDER_HEADER[: SHOPIFY_ORDER_HEADER.index("Cancelled at") + 1]

SHOPIFY_CUSTOMER_HEADER = header_line(
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,"
    "Default Address Province Code,Default Address Country Code,Default Address Zip,"
    "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,"
    "Tags"
)
SHOPIFY_LEGACY_CUSTOMER_HEADER = header_line(
    "First Name,Last Name,Email,Accepts Email Marketing,Company,Address1,Address2,City,Province,"
    "Province Code,Country,Country Code,Zip,Phone,Accepts SMS Marketing,Total Spent,Total Orders,"
    "Tags,Note,Tax Exempt"
)

WOO_HEADER = [
    "Order Number", "Order Status", "Order Date", "Customer Note", "First Name (Billing)",
    "Last Name (Billing)", "Company (Billing)", "Address 1&2 (Billing)", "City (Billing)",
    "State Code (Billing)", "Postcode (Billing)", "Country Code (Billing)", "Email (Billing)",
    "Phone (Billing)", "Payment Method Title", "Order Subtotal Amount", "Order Shipping Amount",
    "SKU", "Name", "Quantity", "Item Cost", "Coupon Code", "Discount Amount",
    "Order Refund Amount", "Order Total Amount", "Order Currency",
]  # fmt: skip


def csv_text(header: list[str], rows: list[dict[str, str]] | list[list[str]], **kw: str) -> str:
    """Rows as CSV text; dict rows fill unnamed columns with empty strings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=kw.get("lineterminator", "\n"),
                        delimiter=kw.get("delimiter", ","))  # fmt: skip
    writer.writerow(header)
    for row in rows:
        if isinstance(row, dict):
            unknown = set(row) - set(header)
            assert not unknown, unknown
            writer.writerow([row.get(name, "") for name in header])
        else:
            writer.writerow(row)
    return out.getvalue()


def shopify_order(name: str, lines: list[tuple[str, str, str, str]], **fields: str) -> list[dict]:
    """One order as Shopify writes it: order fields on the first row only, one row per line."""
    rows = []
    for index, (quantity, product, price, sku) in enumerate(lines):
        row = {"Name": name, "Lineitem quantity": quantity, "Lineitem name": product,
               "Lineitem price": price, "Lineitem sku": sku}  # fmt: skip
        if index == 0:
            row.update(fields)
        rows.append(row)
    return rows


def shopify_orders() -> str:
    header = [*SHOPIFY_ORDER_HEADER, "Some Column Shopify Added Later"]
    anna = {"Email": "anna@example.com", "Billing Name": "Anna Schmidt", "Billing Country": "DE",
            "Accepts Marketing": "yes", "Currency": "EUR"}  # fmt: skip
    rows = [
        *shopify_order(
            "#1001",
            [("2", "Earl Grey 100 g", "12.50", "TEA-EG-100"), ("1", "Mug, blue", "19.80", "MUG-B")],
            **anna,
            **{
                "Financial Status": "paid",
                "Subtotal": "44.80",
                "Shipping": "4.90",
                "Total": "49.70",
                "Discount Amount": "0.00",
                "Created at": "2024-03-05 14:02:11 +0100",
                "Id": "5400000000001",
                "Some Column Shopify Added Later": "ignored",
            },
        ),
        *shopify_order(
            "#1002",
            [("1", "Sencha [Bio] 100 g", "30.00", "TEA-SEN-100")],
            **{
                "Email": "jurgen@example.org",
                "Billing Name": "Jürgen [VIP] Müller",
                "Billing Country": "DE",
                "Accepts Marketing": "no",
                "Currency": "EUR",
                "Financial Status": "paid",
                "Subtotal": "27.00",
                "Shipping": "4.90",
                "Total": "31.90",
                "Discount Code": "WELCOME10",
                "Discount Amount": "3.00",
                "Created at": "2024-06-30 23:30:00 +0200",
                "Id": "5400000000002",
            },
        ),
        *shopify_order(
            "#1003",
            [("1", "Mug, blue", "19.80", "MUG-B")],
            **{
                **anna,
                "Email": "Anna@Example.com",
                "Financial Status": "voided",
                "Subtotal": "19.80",
                "Total": "19.80",
                "Created at": "2024-07-01 09:00:00 +0200",
                "Cancelled at": "2024-07-01 10:00:00 +0200",
                "Id": "5400000000003",
            },
        ),
        *shopify_order(
            "#1004",
            [("1", "Rooibos 100 g", "8.00", "TEA-ROO-100"), ("1", "Teapot", "22.00", "POT-1")],
            **{
                "Email": "bob@example.com",
                "Billing Name": "Bob Smith",
                "Billing Country": "GB",
                "Currency": "EUR",
                "Financial Status": "partially_refunded",
                "Subtotal": "30.00",
                "Total": "30.00",
                "Refunded Amount": "10.00",
                "Created at": "2024-09-10 08:15:00 +0100",
                "Id": "5400000000004",
            },
        ),
        *shopify_order(
            "#1005",
            [
                ("1", "Chai 100 g", "5.00", "TEA-CHAI-100"),
                ("1", "Chai 100 g", "5.00", "TEA-CHAI-100"),
                ("1", "Honey", "5.00", ""),
            ],
            **{
                "Financial Status": "paid",
                "Currency": "EUR",
                "Subtotal": "15.00",
                "Total": "15.00",
                "Created at": "2024-10-05 11:00:00 +0200",
                "Source": "pos",
                "Location": "Shop Hamburg",
                "Id": "5400000000005",
            },
        ),
        *shopify_order(
            "#1006",
            [("1", "Earl Grey 100 g", "12.50", "TEA-EG-100")],
            **anna,
            **{
                "Financial Status": "paid",
                "Subtotal": "12.50",
                "Total": "12.50",
                "Created at": "2024-12-31 23:59:59 -0500",
                "Id": "5400000000006",
            },
        ),
    ]
    return csv_text(header, rows)


def shopify_orders_legacy() -> str:
    rows = [
        *shopify_order(
            "#101",
            [("1", "Darjeeling 100 g", "9.90", "TEA-DAR"), ("3", "Filter bags", "2.00", "ACC-F")],
            **{
                "Email": "zoe@example.nl",
                "Billing Name": "Zoë van der Berg",
                "Billing Country": "NL",
                "Accepts Marketing": "yes",
                "Currency": "EUR",
                "Financial Status": "paid",
                "Subtotal": "15.90",
                "Total": "20.80",
                "Shipping": "4.90",
                "Created at": "2019-11-02 10:00:00 +0100",
            },
        ),
        *shopify_order(
            "#102",
            [("1", "Darjeeling 100 g", "9.90", "TEA-DAR")],
            **{
                "Email": "zoe@example.nl",
                "Billing Name": "Zoë van der Berg",
                "Financial Status": "refunded",
                "Currency": "EUR",
                "Subtotal": "9.90",
                "Total": "14.80",
                "Created at": "2019-11-20 18:45:00 +0100",
                "Cancelled at": "2019-11-21 09:00:00 +0100",
            },
        ),
        *shopify_order(
            "#103",
            [("2", "Sencha 100 g", "11.00", "TEA-SEN")],
            **{
                "Email": "aerlig@example.no",
                "Billing Name": "Ærlig Søvik",
                "Billing Country": "NO",
                "Accepts Marketing": "no",
                "Currency": "NOK",
                "Financial Status": "paid",
                "Subtotal": "22.00",
                "Total": "22.00",
                "Created at": "2020-01-15 12:30:00 +0100",
            },
        ),
    ]
    return csv_text(SHOPIFY_LEGACY_ORDER_HEADER, rows)


def shopify_customers() -> str:
    def customer(cid: str, first: str, last: str, email: str, accepts: str, country: str,
                 zip_code: str, **extra: str) -> dict[str, str]:  # fmt: skip
        return {"Customer ID": cid, "First Name": first, "Last Name": last, "Email": email,
                "Accepts Email Marketing": accepts, "Default Address Country Code": country,
                "Default Address Zip": zip_code, "Accepts SMS Marketing": "no",
                "Tax Exempt": "no", **extra}  # fmt: skip

    rows = [
        customer(
            "'7100000000001",
            "Anna",
            "Schmidt",
            "anna@example.com",
            "yes",
            "DE",
            "'10115",
            **{
                "Tags": "vip, newsletter",
                "Total Spent": "62.20",
                "Total Orders": "2",
                "Default Address City": "Berlin",
            },
        ),
        customer(
            "'7100000000002",
            "Jürgen",
            "Müller",
            "Jurgen@Example.org",
            "no",
            "DE",
            "'80331",
            Note='Prefers "loose" tea.\nCall before delivery, please.',
        ),
        customer("'7100000000003", "", "Conti", "conti@example.net", "yes", "IT", "'00184"),
        customer("'7100000000004", "Bob", "Smith", "bob@example.com", "no", "GB", "SW1A 1AA"),
        customer(
            "'7100000000005", "Marco [bold]", "Rossi", "marco@example.com", "yes", "IT", "'20121"
        ),
    ]
    return csv_text(SHOPIFY_CUSTOMER_HEADER, rows)


def shopify_customers_legacy() -> str:
    rows = [
        {"First Name": "Anna", "Last Name": "Schmidt", "Email": "anna@example.com",
         "Accepts Email Marketing": "yes", "Country": "Germany", "Country Code": "DE",
         "Zip": "'10115", "Tags": "vip", "Tax Exempt": "no"},
        {"First Name": "Zoë", "Last Name": "van der Berg", "Email": "zoe@example.nl",
         "Accepts Email Marketing": "no", "Country": "Netherlands", "Country Code": "NL",
         "Zip": "'1012 AB", "Tax Exempt": "no"},
        {"First Name": "Ærlig", "Last Name": "Søvik", "Email": "aerlig@example.no",
         "Accepts Email Marketing": "yes", "Country": "Norway", "Country Code": "NO",
         "Zip": "'0150", "Tax Exempt": "no"},
    ]  # fmt: skip
    return csv_text(SHOPIFY_LEGACY_CUSTOMER_HEADER, rows)


def woocommerce_orders() -> str:
    def order(number: str, status: str, date: str, first: str, last: str, country: str,
              email: str, items: list[tuple[str, str, str, str]], total: str,
              **extra: str) -> list[dict[str, str]]:  # fmt: skip
        # The plugin repeats the order's fields on every line-item row.
        return [
            {"Order Number": number, "Order Status": status, "Order Date": date,
             "First Name (Billing)": first, "Last Name (Billing)": last,
             "Country Code (Billing)": country, "Email (Billing)": email,
             "Order Total Amount": total, "Order Currency": "EUR", "SKU": sku, "Name": name,
             "Quantity": quantity, "Item Cost": cost, **extra}
            for sku, name, quantity, cost in items
        ]  # fmt: skip

    rows = [
        *order("5001", "Completed", "2024-03-05 14:02", "Klara", "Schulz", "DE",
               "klara@example.de", [("TEA-EG", "Earl Grey", "2", "12.50"),
                                    ("MUG-B", "Mug", "1", "19.80")], "49.70",
               **{"Order Subtotal Amount": "44.80", "Order Shipping Amount": "4.90",
                  "Customer Note": "Bitte klingeln,\nzweiter Stock"}),
        *order("5002", "Cancelled", "2024-03-06 09:10", "Klara", "Schulz", "DE",
               "klara@example.de", [("TEA-EG", "Earl Grey", "1", "12.50")], "17.40"),
        *order("5003", "wc-failed", "2024-03-07 19:00", "Pieter", "de Vries", "NL",
               "pieter@example.nl", [("TEA-ROO", "Rooibos", "1", "8.00")], "12.90"),
        *order("5004", "Refunded", "2024-03-08 11:11", "Pieter", "de Vries", "NL",
               "pieter@example.nl", [("POT-1", "Teapot", "1", "30.00")], "30.00",
               **{"Order Refund Amount": "30.00"}),
        *order("5005", "Processing", "2024-07-14 16:20:05", "Niccolò", "D'Amico", "IT",
               "niccolo@example.it", [("TEA-SEN", "Sencha", "2", "15.00")], "30.40",
               **{"Coupon Code": "SOMMER15", "Discount Amount": "4.50",
                  "Order Subtotal Amount": "25.50"}),
        *order("5006", "Completed", "2024-08-01 08:00", "Klara", "Schulz", "DE",
               "klara@example.de", [("TEA-EG", "Earl Grey", "4", "12.50")], "50.00",
               **{"Order Refund Amount": "-5.00"}),
    ]  # fmt: skip
    return csv_text(WOO_HEADER, rows)


def generic_orders() -> str:
    header = ["Order", "Order Date", "Customer", "E-Mail", "First Name", "Last Name", "Country",
              "Amount", "Refunded", "Status", "Coupon", "Discount", "Currency", "Newsletter",
              "Language"]  # fmt: skip
    rows = [
        ["A-1", "2024-03-05", "C1", "anna@example.com", "Anna", "Schmidt", "Germany", "49.70",
         "", "paid", "", "", "EUR", "yes", ""],
        ["A-2", "2024-03-06T10:00:00", "C2", "bob@example.com", "Bob", "Smith", "GB", "30.00",
         "10.00", "completed", "", "", "eur", "no", ""],
        ["A-3", "2024-03-07T23:30:00+01:00", "C1", "anna@example.com", "Anna", "Schmidt", "DE",
         "12.50", "", "cancelled", "", "", "EUR", "yes", ""],
        ["A-4", "2024-03-08 09:15", "", "guest@example.com", "", "", "Österreich", "20.00", "",
         "", "SPRING", "2.00", "EUR", "", "de-AT"],
        ["A-5", "2024-03-09T08:00:00Z", "C3", "", "Marco", "Rossi", "IT", "100.00", "-20.00", "",
         "", "", "EUR", "", ""],
    ]  # fmt: skip
    return csv_text(header, rows)


def generic_orders_v2() -> str:
    """The same shop a week later: A-2 refunded in full, A-5 moved to C2, A-6 new."""
    header = ["order_id", "ordered_at", "customer_id", "email", "total", "refunded", "status",
              "currency"]  # fmt: skip
    rows = [
        ["A-1", "2024-03-05", "C1", "anna@example.com", "49.70", "", "paid", "EUR"],
        ["A-2", "2024-03-06T10:00:00", "C2", "bob@example.com", "30.00", "30.00", "refunded",
         "EUR"],
        ["A-5", "2024-03-09T08:00:00Z", "C2", "", "100.00", "20.00", "", "EUR"],
        ["A-6", "2024-03-20T12:00:00+01:00", "C1", "anna@example.com", "8.00", "", "paid", "EUR"],
    ]  # fmt: skip
    return csv_text(header, rows)


def generic_customers() -> str:
    header = ["id", "email", "first_name", "last_name", "country", "accepts_marketing",
              "created_at", "tags", "note"]  # fmt: skip
    rows = [
        ["C1", "Anna@Example.com", "Anna", "Schmidt", "DE", "yes", "2023-12-01T10:00:00+01:00",
         "vip", ""],
        ["C2", "bob@example.com", "Bob", "Smith", "GB", "no", "2024-01-02", "", "Wholesale?"],
        ["C9", "nina@example.no", "Nina", "Berg", "NO", "", "", "", ""],
    ]  # fmt: skip
    return csv_text(header, rows)


def generic_customers_later() -> str:
    """A later file that says yes for everyone, renames Bob and leaves Nina's name out."""
    header = ["customer id", "e-mail", "first name", "last name", "newsletter"]
    rows = [
        ["C1", "anna@example.com", "Anna", "Schmidt", "yes"],
        ["C2", "BOB@example.com", "Robert", "Smith", "yes"],
        ["", "nina@example.no", "", "", "yes"],
    ]
    return csv_text(header, rows)


def generic_semicolon_decimal_comma() -> bytes:
    """Excel in Germany: Windows-1252, semicolons, decimal commas, CRLF, German headers."""
    header = ["Bestellnr", "Bestelldatum", "E-Mail", "Vorname", "Nachname", "Land", "Summe",
              "Erstattet"]  # fmt: skip
    rows = [
        ["1001", "2024-03-05", "juergen@example.de", "Jürgen", "Müller", "Deutschland",
         "1.234,56", ""],
        ["1002", "2024-03-06", "zoe@example.nl", "Zoë", "van der Berg", "Niederlande",
         "€ 12,50", "2,50"],
        ["1003", "2024-03-07 18:30", "francois@example.fr", "François", "Lefèvre", "Frankreich",
         "99,90 €", ""],
    ]  # fmt: skip
    return csv_text(header, rows, delimiter=";", lineterminator="\r\n").encode("cp1252")


def generic_tab() -> str:
    header = ["order_id", "ordered_at", "customer_id", "email", "total", "sku", "product",
              "quantity", "price"]  # fmt: skip
    rows = [
        ["T-1", "2024-05-01T12:00:00+02:00", "K1", "kim@example.com", "37.50", "TEA-1",
         "Earl Grey, loose", "2", "12.50"],
        ["T-1", "", "", "", "", "MUG-1", "Mug", "1", "12.50"],
        ["T-2", "2024-05-02", "K2", "", "8.00", "TEA-2", "Rooibos", "1", "8.00"],
    ]  # fmt: skip
    return csv_text(header, rows, delimiter="\t")


def utf8_bom() -> bytes:
    header = ["order_id", "ordered_at", "email", "first_name", "last_name", "total"]
    rows = [
        ["B-1", "2024-02-01", "bjorn@example.no", "Bjørn", "Ødegård", "25.00"],
        ["B-2", "2024-02-02", "jurgen@example.org", "Jürgen", "Müller", "10.00"],
    ]
    return codecs.BOM_UTF8 + csv_text(header, rows).encode("utf-8")


def bad_rows() -> str:
    header = ["order_id", "ordered_at", "email", "total", "product"]
    rows = [
        ["G-1", "2024-01-05", "a@example.com", "10.00", "Tea\nwith a line break"],  # lines 2-3
        ["G-2", "31.02.2024", "b@example.com", "10.00", ""],  # line 4: no 31 February
        ["G-3", "2024-01-06", "c@example.com", "ten euros", ""],  # line 5: bad amount
        ["", "2024-01-07", "d@example.com", "10.00", ""],  # line 6: no order id
        ["G-5", "2024-01-08", "", "10.00", ""],  # line 7: no customer
        ["G-6", "2024-01-09", "f@example.com", "", ""],  # line 8: no total
        ["G-7", "2024-01-10", "g@example.com", "7.00", ""],  # line 9: fine
    ]
    return csv_text(header, rows)


def bad_line_item() -> str:
    """A three-row order whose middle line has a bad price: the whole order is rejected."""
    header = ["order_id", "ordered_at", "email", "total", "sku", "quantity", "price"]
    rows = [
        ["L-1", "2024-01-05", "a@example.com", "30.00", "A", "1", "10.00"],
        ["L-1", "", "", "", "B", "1", "zehn"],
        ["L-1", "", "", "", "C", "1", "10.00"],
        ["L-2", "2024-01-06", "b@example.com", "5.00", "A", "1", "5.00"],
    ]
    return csv_text(header, rows)


def duplicate_orders() -> str:
    header = ["order_id", "ordered_at", "email", "total"]
    rows = [
        ["D-1", "2024-01-05", "a@example.com", "10.00"],
        ["D-2", "2024-01-06", "b@example.com", "20.00"],
        ["D-1", "2024-01-05", "a@example.com", "10.00"],  # an exact repeat: dropped quietly
        ["D-2", "2024-01-06", "b@example.com", "99.00"],  # a conflicting repeat: rejected
    ]
    return csv_text(header, rows)


def unbalanced_quote() -> str:
    return (
        "order_id,ordered_at,email,total\n"
        "Q-1,2024-01-05,a@example.com,10.00\n"
        'Q-2,2024-01-06,"b@example.com,10.00\n'
        "Q-3,2024-01-07,c@example.com,11.00\n"
    )


def leading_blank_lines() -> str:
    return "\n\norder_id,ordered_at,email,total\nN-1,2024-01-05,a@example.com,10.00\n"


FILES: dict[str, object] = {
    "shopify_orders.csv": shopify_orders,
    "shopify_orders_legacy.csv": shopify_orders_legacy,
    "shopify_customers.csv": shopify_customers,
    "shopify_customers_legacy.csv": shopify_customers_legacy,
    "woocommerce_orders.csv": woocommerce_orders,
    "generic_orders.csv": generic_orders,
    "generic_orders_v2.csv": generic_orders_v2,
    "generic_customers.csv": generic_customers,
    "generic_customers_later.csv": generic_customers_later,
    "generic_semicolon_decimal_comma.csv": generic_semicolon_decimal_comma,
    "generic_tab.tsv": generic_tab,
    "utf8_bom.csv": utf8_bom,
    "bad_rows.csv": bad_rows,
    "bad_line_item.csv": bad_line_item,
    "duplicate_orders.csv": duplicate_orders,
    "unbalanced_quote.csv": unbalanced_quote,
    "leading_blank_lines.csv": leading_blank_lines,
    # UTF-16 (Excel's "Unicode text") is refused with advice rather than read as garbage.
    "utf16.csv": lambda: codecs.BOM_UTF16_LE + generic_tab().encode("utf-16-le"),
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8: not text at all.
    "undecodable.csv": lambda: b"order_id,ordered_at,email,total\nX-1,2024-01-05,a\x81b,1.00\n",
    "empty.csv": lambda: "",
}


def main() -> None:
    for name, make in FILES.items():
        content = make()  # type: ignore[operator]
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
