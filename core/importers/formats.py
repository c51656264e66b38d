"""The export layouts retain-tui reads, as header aliases per field, and their detection.

A field is found by the first alias that matches a header, compared case- and
space-insensitively, so `Created at`, `created_at` and `CREATED AT` are one column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.csvfile import CsvFile, FatalImportError

ORDER_FIELDS = (
    "order_id", "source_id", "ordered_at", "total", "subtotal", "currency", "discount_code",
    "discount", "refunded", "status", "cancelled_at", "customer_id", "email", "first_name",
    "last_name", "full_name", "country", "language", "accepts_marketing", "sku", "product",
    "quantity", "price", "fulfillment", "shipping", "tax", "tax_included",
)  # fmt: skip
CUSTOMER_FIELDS = (
    "customer_id", "email", "first_name", "last_name", "country", "language",
    "accepts_marketing", "created_at", "tags", "note",
)  # fmt: skip
RESPONSE_FIELDS = ("retain_id", "customer_id", "email", "score", "answered_at", "comment")
"""A survey answer (core/nps/): who (retain-tui's customer number, the shop's customer id or
the email), the 0-10 score, when, and what they wrote."""


def header_key(name: str) -> str:
    """'Order_ID ' -> 'order id': how headers and aliases are compared."""
    return re.sub(r"[\s_\-]+", " ", name.strip().strip("'\"").lower()).strip()


REFUNDED_STATUSES = frozenset({"refunded"})
"""Statuses that say an order was refunded in full, on every platform (Shopify's financial
status, WooCommerce's `wc-refunded`, a generic status column). A fully refunded order is not a
purchase: it counts like a cancelled one (docs/metrics.md)."""


FULFILLMENT = {
    "fulfilled": "fulfilled", "shipped": "fulfilled", "delivered": "fulfilled",
    "complete": "fulfilled", "completed": "fulfilled", "sent": "fulfilled",
    "unfulfilled": "unfulfilled", "not shipped": "unfulfilled", "unshipped": "unfulfilled",
    "pending": "unfulfilled", "open": "unfulfilled", "processing": "unfulfilled",
    "on hold": "unfulfilled", "awaiting shipment": "unfulfilled",
    "partial": "partial", "partially fulfilled": "partial", "partially shipped": "partial",
}  # fmt: skip
"""A fulfilment cell's meaning ('unfulfilled', 'partial', 'fulfilled'), compared like headers.
Anything else (restocked, a typo) is unknown: a draft then claims nothing about shipping."""


def fulfillment_of(text: str) -> str | None:
    """'Unfulfilled' -> 'unfulfilled'; None for an empty or unknown value."""
    return FULFILLMENT.get(header_key(text)) if text else None


def fully_refunded(status: str | None, total: int, refunded: int) -> bool:
    """The status says refunded, or the refunds (in cents) cover a total above 0."""
    status_key = (status or "").strip().lower().removeprefix("wc-")
    return status_key in REFUNDED_STATUSES or 0 < total <= refunded


@dataclass(frozen=True)
class Layout:
    """One export layout: which header names hold which field, and what marks a cancellation
    (besides a full refund, which means the same in every layout)."""

    name: str
    kind: str  # "orders" or "customers"
    aliases: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    cancelled_statuses: frozenset[str] = field(default_factory=frozenset)
    needs_customer: bool = False
    subtotal_after_discount: bool = False
    """Shopify's Subtotal is after the order's discount; the store keeps it before."""
    fulfillment_by_status: dict[str, str] = field(default_factory=dict)
    """Order statuses that say whether it shipped, when no fulfilment column does."""


SHOPIFY_ORDERS = Layout(
    "shopify",
    "orders",
    {
        "order_id": ("Name",),
        "source_id": ("Id",),
        "ordered_at": ("Created at",),
        "total": ("Total",),
        "subtotal": ("Subtotal",),
        "currency": ("Currency",),
        "discount_code": ("Discount Code",),
        "discount": ("Discount Amount",),
        "refunded": ("Refunded Amount",),
        "status": ("Financial Status",),
        "cancelled_at": ("Cancelled at",),
        "email": ("Email",),
        "full_name": ("Billing Name", "Shipping Name"),
        "country": ("Billing Country", "Shipping Country"),
        "accepts_marketing": ("Accepts Marketing", "Accepts Email Marketing"),
        "sku": ("Lineitem sku",),
        "product": ("Lineitem name",),
        "quantity": ("Lineitem quantity",),
        "price": ("Lineitem price",),
        "fulfillment": ("Fulfillment Status",),
        "shipping": ("Shipping",),
        "tax": ("Taxes",),
    },
    required=("order_id", "ordered_at", "total"),
    cancelled_statuses=frozenset({"voided"}),
    subtotal_after_discount=True,
)

SHOPIFY_CUSTOMERS = Layout(
    "shopify",
    "customers",
    {
        "customer_id": ("Customer ID",),
        "email": ("Email",),
        "first_name": ("First Name",),
        "last_name": ("Last Name",),
        "country": ("Default Address Country Code", "Country Code", "Country"),
        "accepts_marketing": ("Accepts Email Marketing", "Accepts Marketing"),
        "tags": ("Tags",),
        "note": ("Note",),
    },
    required=("email",),
)

WOOCOMMERCE_ORDERS = Layout(
    "woocommerce",
    "orders",
    {
        "order_id": ("Order Number", "Order ID"),
        "ordered_at": ("Order Date",),
        "status": ("Order Status",),
        "total": ("Order Total Amount", "Order Total"),
        "subtotal": ("Order Subtotal Amount",),
        "currency": ("Order Currency", "Currency"),
        "discount_code": ("Coupon Code",),
        "discount": ("Cart Discount Amount", "Discount Amount"),
        "refunded": ("Order Refund Amount",),
        "customer_id": ("Customer User ID", "Customer ID"),
        "email": ("Email (Billing)", "Customer Email"),
        "first_name": ("First Name (Billing)",),
        "last_name": ("Last Name (Billing)",),
        "country": ("Country Code (Billing)", "Country (Billing)"),
        "sku": ("SKU",),
        "product": ("Item Name", "Name", "Product Name"),
        "quantity": ("Quantity", "Qty"),
        "price": ("Item Cost",),
        # "Advanced Order Export For WooCommerce" names, then WebToffee's and WooCommerce's own.
        "shipping": ("Order Shipping Amount", "Shipping Total", "Order Shipping"),
        "tax": ("Order Total Tax Amount", "Tax Total", "Order Total Tax", "Order Tax"),
    },
    required=("order_id", "ordered_at", "total"),
    cancelled_statuses=frozenset({"cancelled", "failed"}),
    # Paid and waiting to be packed, or sent: the order statuses WooCommerce ships with.
    fulfillment_by_status={
        "processing": "unfulfilled",
        "on-hold": "unfulfilled",
        "completed": "fulfilled",
    },
)

GENERIC_ORDERS = Layout(
    "generic",
    "orders",
    {
        "order_id": ("order_id", "order id", "order", "order number", "order no", "order nr",
                     "order name", "order reference", "invoice", "invoice number"),
        "ordered_at": ("ordered_at", "order date", "date", "created at", "created", "ordered",
                       "purchase date", "order time", "timestamp", "datetime"),
        "total": ("total", "amount", "order total", "total amount", "grand total", "order amount",
                  "value", "revenue", "total price"),
        "subtotal": ("subtotal", "sub total"),
        "customer_id": ("customer_id", "customer id", "customer", "customer number", "client id",
                        "client", "customer no", "customer nr", "user id"),
        "email": ("email", "e mail", "email address", "customer email", "mail"),
        "first_name": ("first_name", "first name", "firstname", "given name", "forename"),
        "last_name": ("last_name", "last name", "lastname", "surname", "family name"),
        "full_name": ("name", "customer name", "full name", "billing name"),
        "country": ("country", "country code", "billing country"),
        "language": ("language", "lang", "locale"),
        "currency": ("currency", "currency code"),
        "accepts_marketing": ("accepts_marketing", "accepts marketing", "accepts email marketing",
                              "marketing", "consent", "newsletter", "opt in", "optin"),
        "status": ("status", "order status", "state", "financial status"),
        "cancelled_at": ("cancelled_at", "cancelled at", "canceled at"),
        "refunded": ("refunded", "refund", "refunded amount", "refund amount", "refunds"),
        "discount_code": ("discount_code", "discount code", "coupon", "coupon code", "voucher",
                          "promo code"),
        "discount": ("discount", "discount amount"),
        "sku": ("sku", "product id", "product sku", "article", "article number"),
        "product": ("product", "product name", "item", "item name", "title"),
        "quantity": ("quantity", "qty", "units", "count"),
        "price": ("price", "unit price", "item price", "unit cost"),
        "fulfillment": ("fulfillment", "fulfillment status", "fulfilment", "fulfilment status",
                        "shipping status", "shipment status", "shipped"),
        "shipping": ("shipping", "shipping cost", "shipping amount", "shipping total",
                     "delivery cost"),
        "tax": ("tax", "taxes", "vat", "tax amount", "vat amount", "tax total"),
        "tax_included": ("tax included", "taxes included", "prices include tax",
                         "vat included"),
    },
    required=("order_id", "ordered_at", "total"),
    cancelled_statuses=frozenset({"cancelled", "canceled", "failed", "voided"}),
    needs_customer=True,
)  # fmt: skip

GENERIC_CUSTOMERS = Layout(
    "generic",
    "customers",
    {
        "customer_id": GENERIC_ORDERS.aliases["customer_id"] + ("id",),
        "email": GENERIC_ORDERS.aliases["email"],
        "first_name": GENERIC_ORDERS.aliases["first_name"],
        "last_name": GENERIC_ORDERS.aliases["last_name"],
        "country": GENERIC_ORDERS.aliases["country"],
        "language": GENERIC_ORDERS.aliases["language"],
        "accepts_marketing": GENERIC_ORDERS.aliases["accepts_marketing"],
        "created_at": ("created_at", "created at", "created", "signed up", "registered"),
        "tags": ("tags", "tag", "labels"),
        "note": ("note", "notes", "comment"),
    },
    required=(),
    needs_customer=True,
)

GENERIC_RESPONSES = Layout(
    "generic",
    "responses",
    {
        "customer_id": GENERIC_ORDERS.aliases["customer_id"],
        "email": GENERIC_ORDERS.aliases["email"],
        "retain_id": ("retain_id", "retain id"),
        "score": ("score", "nps", "nps score", "rating", "answer", "recommend"),
        "answered_at": ("answered_at", "answered at", "answered", "date", "submitted at",
                        "submitted", "created at", "timestamp", "time", "datetime"),
        "comment": ("comment", "comments", "feedback", "message", "note", "remarks"),
    },
    required=("score", "answered_at"),
    needs_customer=True,
)  # fmt: skip

LINK_RESPONSES = Layout(
    "link",
    "responses",
    {
        **GENERIC_RESPONSES.aliases,
        # The feedback link's {customer_id} is retain-tui's customer number.
        "retain_id": ("customer_id", "customer id", "c", *GENERIC_RESPONSES.aliases["retain_id"]),
        "customer_id": (),
    },
    required=("retain_id", "score", "answered_at"),
)
"""`customer_id,score,answered_at[,comment]` as a feedback page or its server log records
the link's query: `customer_id` is what the link carried, retain-tui's customer number."""

RESPONSE_LAYOUTS = {"generic": GENERIC_RESPONSES, "link": LINK_RESPONSES}

LAYOUTS = {
    ("orders", "shopify"): SHOPIFY_ORDERS,
    ("orders", "woocommerce"): WOOCOMMERCE_ORDERS,
    ("orders", "generic"): GENERIC_ORDERS,
    ("customers", "shopify"): SHOPIFY_CUSTOMERS,
    ("customers", "generic"): GENERIC_CUSTOMERS,
}
FORMATS = ("auto", "shopify", "woocommerce", "generic")


def detect_format(header: list[str]) -> tuple[str, str]:
    """(kind, format) the header looks like; generic when no shop layout fits."""
    keys = {header_key(name) for name in header}
    if {"name", "lineitem quantity", "created at"} <= keys:
        return "orders", "shopify"
    if "accepts email marketing" in keys and "total spent" in keys:
        return "customers", "shopify"
    # "Order Number" and "Order Date" are common generic headers too; the plugin's
    # "... (Billing)" columns are what mark a WooCommerce export.
    billing = any(key.endswith("(billing)") for key in keys)
    if "order number" in keys and ("order status" in keys or "order date" in keys) and billing:
        return "orders", "woocommerce"
    return "unknown", "generic"


def choose_layout(file: CsvFile, kind: str, fmt: str) -> Layout:
    """The layout for `import KIND --format FMT`, refusing a file of the other kind."""
    if fmt not in FORMATS:
        raise FatalImportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    detected_kind, detected = detect_format(file.header)
    if detected_kind not in ("unknown", kind):
        raise FatalImportError(
            f"{file.name}: this looks like a {detected} {detected_kind} export; "
            f"use `retain-tui import {detected_kind} {file.name}`"
        )
    chosen = detected if fmt == "auto" else fmt
    layout = LAYOUTS.get((kind, chosen))
    if layout is None:
        raise FatalImportError(f"there is no {chosen} layout for {kind}; try --format generic")
    return layout


FIELDS_BY_KIND = {"orders": ORDER_FIELDS, "customers": CUSTOMER_FIELDS,
                  "responses": RESPONSE_FIELDS}  # fmt: skip
"""The fields `--map COLUMN=FIELD` accepts, per kind of file."""


def resolve_columns(
    file: CsvFile,
    layout: Layout,
    mapping: dict[str, str] | None = None,
    *,
    aliases: bool = True,
) -> dict[str, int]:
    """Field -> column index. `mapping` ({COLUMN: FIELD}, from --map) wins over the aliases;
    without `aliases` the mapping is the whole choice (the import screen's, a remembered one).
    """
    columns = recognise_columns(file, layout, mapping, aliases=aliases)
    missing = missing_fields(layout, columns)
    if missing:
        raise FatalImportError(
            f"{file.name}:1: no column for {', '.join(missing)} in this {layout.name} "
            f"{layout.kind} file; name the column with --map COLUMN=FIELD"
        )
    return columns


def recognise_columns(
    file: CsvFile,
    layout: Layout,
    mapping: dict[str, str] | None = None,
    *,
    aliases: bool = True,
) -> dict[str, int]:
    """Field -> column index, as far as the mapping and the aliases find them (no check that
    the required fields are there: `missing_fields` says which are not)."""
    by_key: dict[str, int] = {}
    for index, name in enumerate(file.header):
        by_key.setdefault(header_key(name), index)
    fields = FIELDS_BY_KIND[layout.kind]
    columns: dict[str, int] = {}
    for column, target in (mapping or {}).items():
        if target not in fields:
            raise FatalImportError(
                f"--map {column}={target}: unknown field {target!r}; fields: {', '.join(fields)}"
            )
        if header_key(column) not in by_key:
            raise FatalImportError(f"--map {column}={target}: {file.name} has no column {column!r}")
        columns[target] = by_key[header_key(column)]
    if not aliases:
        return columns
    taken = set(columns.values())
    for target, names in layout.aliases.items():
        if target in columns:
            continue
        for alias in names:
            index = by_key.get(header_key(alias))
            if index is not None and index not in taken:
                columns[target] = index
                taken.add(index)
                break
    return columns


def customer_fields(layout: Layout) -> tuple[str, ...]:
    """The fields of which a layout that `needs_customer` needs at least one."""
    return ("customer_id", "email") if layout.kind != "responses" else RESPONSE_FIELDS[:3]


def missing_fields(layout: Layout, columns: dict[str, int]) -> list[str]:
    """The required fields `columns` lacks, `customer_id or email` for a choice of several."""
    missing = [name for name in layout.required if name not in columns]
    who = customer_fields(layout)
    if layout.needs_customer and not any(name in columns for name in who):
        missing.append(" or ".join(who))
    return missing
