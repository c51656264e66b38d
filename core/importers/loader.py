"""Loading parsed records into the store in two phases.

1. *Staging*: records go into in-memory TEMP tables while the file is read. Nothing in the
   shop database changes, and no write lock is held, so the app and other readers go on.
2. *Applying*: one short `BEGIN IMMEDIATE` transaction merges the staged rows with set-based
   SQL: customers matched on external id, else case-insensitive email; orders upserted on
   their external id; summaries refreshed for the touched customers. An interruption at any
   point leaves the database exactly as it was.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.importers.records import CustomerRecord, OrderRecord, RowError
from core.store import Store, utc_now
from core.summaries import AFFECTED_TABLE, refresh_summaries
from core.values import email_key

BATCH = 20_000

_CUSTOMER_COLUMNS = (
    "ckey", "rank", "external_id", "email", "email_key", "first_name", "last_name", "country",
    "language", "accepts_marketing", "created_at", "tags", "note",
)  # fmt: skip
_ORDER_COLUMNS = (
    "seq", "line", "rows", "external_id", "ckey", "source_id", "ordered_at", "order_day",
    "currency", "subtotal", "discount_code", "discount", "total", "refunded", "status",
    "cancelled_at", "cancelled", "fingerprint",
)  # fmt: skip
_STORED_ORDER_COLUMNS = (
    "external_id", "source_id", "customer_id", "ordered_at", "order_day", "currency", "subtotal",
    "discount_code", "discount", "total", "refunded", "status", "cancelled_at", "cancelled",
    "fingerprint",
)  # fmt: skip
# Customer attributes an import may set. Values a file leaves empty never erase stored ones.
_ATTRIBUTES = ("external_id", "email", "email_key", "first_name", "last_name", "country",
               "language", "created_at", "tags", "note")  # fmt: skip
# A stored "no" to marketing is never turned into "yes" by a file: only the owner can do that.
_CONSENT = (
    "CASE WHEN customers.accepts_marketing = 0 OR p.any_no THEN 0 "
    "WHEN customers.accepts_marketing = 1 OR p.any_yes THEN 1 END"
)


@dataclass
class Counts:
    """What an apply phase did, for the summary."""

    orders_added: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    customers_added: int = 0
    customers_updated: int = 0
    duplicate_errors: list[RowError] = field(default_factory=list)


class Staging:
    """The TEMP tables one import fills; `apply()` merges them into the shop."""

    def __init__(self, store: Store, source: str) -> None:
        self.store = store
        self.conn = store.conn
        self.source = source
        self._seq = 0
        self._customers: list[tuple[object, ...]] = []
        self._orders: list[tuple[object, ...]] = []
        self._lines: list[tuple[object, ...]] = []
        self._create()

    def _create(self) -> None:
        self.drop()
        self.conn.execute(f"CREATE TEMP TABLE stage_customers ({', '.join(_CUSTOMER_COLUMNS)})")
        self.conn.execute(
            f"CREATE TEMP TABLE stage_orders ({', '.join(_ORDER_COLUMNS)}, "
            "customer_id, existing_id, existing_customer, unchanged DEFAULT 0, order_id)"
        )
        self.conn.execute(
            "CREATE TEMP TABLE stage_lines "
            "(order_seq, position, sku, product, quantity, unit_price)"
        )

    def drop(self) -> None:
        for table in ("stage_customers", "stage_orders", "stage_lines", "people"):
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
        self.conn.execute(f"DROP TABLE IF EXISTS {AFFECTED_TABLE}")

    # -- staging ---------------------------------------------------------------------------

    def add_customer(self, customer: CustomerRecord, rank: int) -> str:
        key = customer.key
        assert key is not None
        accepts = customer.accepts_marketing
        self._customers.append(
            (
                key, rank, customer.external_id, customer.email, email_key(customer.email),
                customer.first_name, customer.last_name, customer.country, customer.language,
                None if accepts is None else int(accepts), customer.created_at, customer.tags,
                customer.note,
            )
        )  # fmt: skip
        if len(self._customers) >= BATCH:
            self.flush()
        return key

    def add_order(self, order: OrderRecord) -> None:
        self._seq += 1
        seq = self._seq
        ckey = None
        if order.customer is not None:
            ckey = self.add_customer(order.customer, order.order_day * 100_000_000 + seq)
        signature = repr(order.signature()).encode()
        self._orders.append(
            (
                seq, order.line, order.rows, order.external_id, ckey, order.source_id,
                order.ordered_at, order.order_day, order.currency, order.subtotal,
                order.discount_code, order.discount, order.total, order.refunded, order.status,
                order.cancelled_at, int(order.cancelled),
                hashlib.blake2b(signature, digest_size=12).hexdigest(),
            )
        )  # fmt: skip
        for position, line in enumerate(order.lines):
            self._lines.append(
                (seq, position, line.sku, line.product, line.quantity, line.unit_price)
            )
        if len(self._orders) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for table, columns, rows in (
            ("stage_customers", _CUSTOMER_COLUMNS, self._customers),
            ("stage_orders", _ORDER_COLUMNS, self._orders),
            ("stage_lines", ("order_seq", "position", "sku", "product", "quantity",
                             "unit_price"), self._lines),
        ):  # fmt: skip
            if rows:
                marks = ", ".join("?" * len(columns))
                self.conn.executemany(
                    f"INSERT INTO temp.{table} ({', '.join(columns)}) VALUES ({marks})", rows
                )
                rows.clear()

    # -- applying --------------------------------------------------------------------------

    def find_duplicates(self, file_name: str) -> Iterator[RowError]:
        """An order id seen twice in one file: identical repeats are dropped, others rejected."""
        self.flush()
        conn = self.conn
        conn.execute("CREATE INDEX temp.stage_orders_by_id ON stage_orders(external_id, seq)")
        repeated = conn.execute(
            "SELECT external_id FROM stage_orders GROUP BY external_id HAVING count(*) > 1"
        ).fetchall()
        for (external_id,) in repeated:
            rows = conn.execute(
                "SELECT seq, line, rows, fingerprint FROM stage_orders "
                "WHERE external_id = ? ORDER BY seq",
                (external_id,),
            ).fetchall()
            first_line, first_print = rows[0][1], rows[0][3]
            for seq, line, _count, fingerprint in rows[1:]:
                if fingerprint != first_print:
                    yield RowError(
                        file_name, line, "order",
                        f"order {external_id!r} already appeared at line {first_line} with "
                        "other values; the rows of one order must be together",
                    )  # fmt: skip
                conn.execute("DELETE FROM stage_orders WHERE seq = ?", (seq,))
                conn.execute("DELETE FROM stage_lines WHERE order_seq = ?", (seq,))

    def apply(self, *, authoritative_customers: bool) -> Counts:
        """Merge everything staged, atomically. Customers files overwrite attributes;
        orders files only fill in what the store does not know yet."""
        self.flush()
        counts = Counts()
        now = utc_now()
        self._collapse_people()
        with self.store.write() as conn:
            self._merge_customers(conn, counts, now, authoritative_customers)
            self._merge_orders(conn, counts, now)
        return counts

    def _collapse_people(self) -> None:
        """One row per customer key: attributes from the latest mention, consent from all."""
        self.conn.execute(
            """
            CREATE TEMP TABLE people AS
            SELECT ckey, max(rank) AS rank, external_id, email, email_key, first_name, last_name,
                   country, language, created_at, tags, note,
                   sum(accepts_marketing = 0) > 0 AS any_no,
                   sum(accepts_marketing = 1) > 0 AS any_yes,
                   NULL AS customer_id, 0 AS existed
            FROM stage_customers GROUP BY ckey
            """
        )
        self.conn.execute("CREATE UNIQUE INDEX temp.people_by_key ON people(ckey)")

    def _match_people(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE people SET customer_id = c.id FROM customers c "
            "WHERE people.customer_id IS NULL AND people.external_id IS NOT NULL "
            "AND c.external_id = people.external_id"
        )
        conn.execute(
            "UPDATE people SET customer_id = c.id FROM customers c "
            "WHERE people.customer_id IS NULL AND people.email_key IS NOT NULL "
            "AND c.email_key = people.email_key"
        )

    def _merge_customers(
        self, conn: sqlite3.Connection, counts: Counts, now: str, authoritative: bool
    ) -> None:
        self._match_people(conn)
        conn.execute("UPDATE people SET existed = 1 WHERE customer_id IS NOT NULL")
        columns = ", ".join(_ATTRIBUTES)
        cursor = conn.execute(
            f"""
            INSERT OR IGNORE INTO customers ({columns}, accepts_marketing, source,
                                             imported_at, updated_at)
            SELECT {columns}, CASE WHEN any_no THEN 0 WHEN any_yes THEN 1 END, ?, ?, ?
            FROM people WHERE customer_id IS NULL ORDER BY rank
            """,
            (self.source, now, now),
        )
        counts.customers_added = max(cursor.rowcount, 0)
        self._match_people(conn)
        conn.execute(
            "INSERT INTO consent_events (customer_id, at, accepts_marketing, source) "
            "SELECT id, ?, accepts_marketing, 'import' FROM customers "
            "WHERE id IN (SELECT customer_id FROM people WHERE NOT existed) "
            "AND accepts_marketing IS NOT NULL",
            (now,),
        )

        def merged(column: str) -> str:
            if authoritative:
                return f"coalesce(p.{column}, customers.{column})"
            return f"coalesce(customers.{column}, p.{column})"

        changes = {column: merged(column) for column in _ATTRIBUTES}
        changes["accepts_marketing"] = _CONSENT
        differs = " OR ".join(f"({expr}) IS NOT customers.{col}" for col, expr in changes.items())
        conn.execute(
            f"""
            INSERT INTO consent_events (customer_id, at, accepts_marketing, source)
            SELECT customers.id, ?, {_CONSENT}, 'import' FROM customers
            JOIN people p ON p.customer_id = customers.id AND p.existed
            WHERE ({_CONSENT}) IS NOT customers.accepts_marketing
            """,
            (now,),
        )
        assignments = ", ".join(f"{col} = {expr}" for col, expr in changes.items())
        cursor = conn.execute(
            f"""
            UPDATE OR IGNORE customers SET {assignments}, updated_at = ?
            FROM people p WHERE p.customer_id = customers.id AND p.existed AND ({differs})
            """,
            (now,),
        )
        counts.customers_updated = max(cursor.rowcount, 0)

    def _merge_orders(self, conn: sqlite3.Connection, counts: Counts, now: str) -> None:
        conn.execute(
            "UPDATE stage_orders SET customer_id = p.customer_id FROM people p "
            "WHERE p.ckey = stage_orders.ckey"
        )
        conn.execute(
            """
            UPDATE stage_orders SET existing_id = o.id, existing_customer = o.customer_id,
                   unchanged = (o.fingerprint = stage_orders.fingerprint
                                AND o.customer_id IS stage_orders.customer_id)
            FROM orders o WHERE o.external_id = stage_orders.external_id
            """
        )
        columns = ", ".join(_STORED_ORDER_COLUMNS)
        cursor = conn.execute(
            f"""
            INSERT INTO orders ({columns}, source, imported_at)
            SELECT {columns}, ?, ? FROM stage_orders WHERE existing_id IS NULL ORDER BY seq
            """,
            (self.source, now),
        )
        counts.orders_added = max(cursor.rowcount, 0)
        assignments = ", ".join(f"{col} = s.{col}" for col in _STORED_ORDER_COLUMNS)
        cursor = conn.execute(
            f"""
            UPDATE orders SET {assignments}, source = ?, imported_at = ?
            FROM stage_orders s WHERE orders.id = s.existing_id AND NOT s.unchanged
            """,
            (self.source, now),
        )
        counts.orders_updated = max(cursor.rowcount, 0)
        counts.orders_unchanged = int(
            conn.execute("SELECT count(*) FROM stage_orders WHERE unchanged").fetchone()[0]
        )
        conn.execute(
            "DELETE FROM order_lines WHERE order_id IN "
            "(SELECT existing_id FROM stage_orders WHERE existing_id IS NOT NULL AND NOT unchanged)"
        )
        conn.execute(
            "UPDATE stage_orders SET order_id = coalesce(existing_id, "
            "(SELECT id FROM orders o WHERE o.external_id = stage_orders.external_id))"
        )
        conn.execute(
            """
            INSERT INTO order_lines (order_id, position, sku, product, quantity, unit_price)
            SELECT s.order_id, l.position, l.sku, l.product, l.quantity, l.unit_price
            FROM stage_lines l JOIN stage_orders s ON s.seq = l.order_seq
            WHERE NOT s.unchanged ORDER BY l.order_seq, l.position
            """
        )
        conn.execute(
            f"""
            CREATE TABLE {AFFECTED_TABLE} AS
            SELECT customer_id AS id FROM stage_orders
            WHERE NOT unchanged AND customer_id IS NOT NULL
            UNION
            SELECT existing_customer FROM stage_orders
            WHERE NOT unchanged AND existing_customer IS NOT NULL
            """
        )
        everyone = conn.execute("SELECT count(*) FROM customer_stats").fetchone()[0] == 0
        refresh_summaries(conn, everyone=everyone)
