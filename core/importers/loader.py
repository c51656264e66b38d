"""Loading parsed records into the store in two phases.

1. *Staging*: records go into in-memory TEMP tables while the file is read. Nothing in the
   shop database changes, and no write lock is held, so the app and other readers go on.
2. *Applying*: one short `BEGIN IMMEDIATE` transaction merges the staged rows with set-based
   SQL: customers matched on external id, else case-insensitive email; orders upserted on
   their external id; summaries refreshed for the touched customers. A first import into
   an empty store builds indexes, the app's customer list and search index once, after the
   rows are in (core/bulk_load.py). An interruption at any point leaves the database
   exactly as it was.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field

from core.bulk_load import first_import
from core.codes.redemptions import ImportedRedemptions, imported_redemptions
from core.consent import key_hash, list_hashes, withdraw_consent, withhold_suppressed
from core.erasure import clear_forgotten_codes, match_forgotten
from core.importers.records import CustomerRecord, OrderRecord, RowError
from core.loyalty.codes import PointsCodeChanges, reconcile_points_codes
from core.referrals.credit import ReferralChanges, reconcile_referrals
from core.store import Store, deferred_transaction, utc_now
from core.summaries import AFFECTED_TABLE, refresh_summaries
from core.values import email_key

BATCH = 20_000

_PEOPLE_COLUMNS = (
    "pid", "rank", "external_id", "email", "email_key", "first_name", "last_name", "country",
    "language", "created_at", "tags", "note", "any_no", "any_yes", "line", "email_hash",
)  # fmt: skip
_ORDER_COLUMNS = (
    "seq", "line", "rows", "external_id", "pid", "source_id", "ordered_at", "order_day",
    "currency", "subtotal", "discount_code", "discount", "total", "refunded", "status",
    "cancelled_at", "cancelled", "fingerprint", "fulfillment", "shipping", "tax", "tax_included",
)  # fmt: skip
_LINE_COLUMNS = ("order_seq", "position", "sku", "product", "quantity", "unit_price")
_STORED_ORDER_COLUMNS = (
    "external_id", "source_id", "customer_id", "ordered_at", "order_day", "currency", "subtotal",
    "discount_code", "discount", "total", "refunded", "status", "cancelled_at", "cancelled",
    "fingerprint", "fulfillment", "shipping", "tax", "tax_included",
)  # fmt: skip
# Customer attributes an import may set. Values a file leaves empty never erase stored ones.
_ATTRIBUTES = ("external_id", "email", "email_key", "first_name", "last_name", "country",
               "language", "created_at", "tags", "note")  # fmt: skip
# A stored "no" to marketing is never turned into "yes" by a file: only the owner can do that.
_CONSENT = (
    "CASE WHEN customers.accepts_marketing = 0 OR p.any_no THEN 0 "
    "WHEN customers.accepts_marketing = 1 OR p.any_yes THEN 1 END"
)


_FILLED = ("external_id", "email", "country", "language", "created_at", "tags", "note")


def _complete(kept: CustomerRecord, other: CustomerRecord) -> None:
    """Fill what the kept mention of a customer leaves empty from another mention in the file:
    a later order without a billing country must not erase the country of an earlier one."""
    for name in _FILLED:
        if getattr(kept, name) is None:
            setattr(kept, name, getattr(other, name))
    if kept.first_name is None and kept.last_name is None:
        kept.first_name, kept.last_name = other.first_name, other.last_name


@dataclass
class Counts:
    """What an apply phase did, for the summary."""

    orders_added: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    customers_added: int = 0
    customers_updated: int = 0
    merge_seconds: float = 0.0
    duplicate_errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    """Rows applied only in part, e.g. an email that belongs to another customer."""
    consent_suppressed: int = 0
    """Customers a file said yes for whose address is suppressed: they stay at no."""
    redemptions: ImportedRedemptions = field(default_factory=ImportedRedemptions)
    """Campaign codes the new or changed orders redeemed, and those used more than once."""
    referrals: ReferralChanges = field(default_factory=ReferralChanges)
    """Referral credits the import made and took back (core/referrals/credit.py)."""
    points_codes: PointsCodeChanges = field(default_factory=PointsCodeChanges)
    """Loyalty points codes deducted and given back (core/loyalty/codes.py)."""


def no_summaries_yet(conn: sqlite3.Connection) -> bool:
    """No customer has orders in the summaries yet (a first import of orders, maybe after
    one of customers): rebuilding every summary is cheaper than tracking the touched ones."""
    return not conn.execute("SELECT EXISTS (SELECT 1 FROM customer_stats)").fetchone()[0]


class Staging:
    """The TEMP tables one import fills; `apply()` merges them into the shop.

    Customers are deduplicated while reading (a repeat buyer appears on many order rows):
    each distinct customer key gets a small integer `pid`, and keeps the attributes of their
    latest mention (completed from earlier ones) and whether any mention said yes or no.
    """

    def __init__(self, store: Store, source: str) -> None:
        self.store = store
        self.conn = store.conn
        self.source = source
        self._seq = 0
        self._people: dict[str, list[object]] = {}
        self._orders: list[tuple[object, ...]] = []
        self._lines: list[tuple[object, ...]] = []
        self._refused: set[str] = set()  # every address a mention said "no" for
        self._first_new_id = 1  # the id of the merge's first new order (ids base + seq)
        self._touched_everyone = False  # a first import: no table of touched customers
        self._create()

    def _create(self) -> None:
        self.drop()
        self.conn.execute(
            "CREATE TEMP TABLE people (pid INTEGER PRIMARY KEY, "
            f"{', '.join(_PEOPLE_COLUMNS[1:])}, customer_id INTEGER, existed INTEGER DEFAULT 0, "
            "forgotten INTEGER DEFAULT 0, shares_email INTEGER DEFAULT 0)"
        )
        self.conn.execute(
            "CREATE TEMP TABLE stage_orders (seq INTEGER PRIMARY KEY, "
            f"{', '.join(_ORDER_COLUMNS[1:])}, existing_id, existing_customer, unchanged DEFAULT 0)"
        )
        self.conn.execute(f"CREATE TEMP TABLE stage_lines ({', '.join(_LINE_COLUMNS)})")

    def drop(self) -> None:
        for table in ("people", "stage_orders", "stage_lines", "refused", "sqlite_stat1"):
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
        self.conn.execute(f"DROP TABLE IF EXISTS {AFFECTED_TABLE}")

    # -- staging ---------------------------------------------------------------------------

    def add_customer(self, customer: CustomerRecord, rank: int) -> int:
        """Stage a mention of a customer; returns their `pid` within this import."""
        key = customer.key
        assert key is not None
        accepts = customer.accepts_marketing
        if accepts is False:  # the "no" is for this address, whichever mention is kept
            refused = email_key(customer.email)
            if refused:
                self._refused.add(refused)
        person = self._people.get(key)
        if person is None:
            person = [len(self._people) + 1, rank, customer, accepts is False, accepts is True]
            self._people[key] = person
            return len(self._people)
        if rank >= person[1]:  # type: ignore[operator]
            _complete(customer, person[2])  # type: ignore[arg-type]
            person[1], person[2] = rank, customer
        else:
            _complete(person[2], customer)  # type: ignore[arg-type]
        if accepts is not None:
            person[3 if accepts is False else 4] = True
        return person[0]  # type: ignore[return-value]

    def add_order(self, order: OrderRecord) -> None:
        self._seq += 1
        seq = self._seq
        pid = None
        if order.customer is not None:
            pid = self.add_customer(order.customer, order.order_day * 100_000_000 + seq)
        self._orders.append(
            (
                seq, order.line, order.rows, order.external_id, pid, order.source_id,
                order.ordered_at, order.order_day, order.currency, order.subtotal,
                order.discount_code, order.discount, order.total, order.refunded, order.status,
                order.cancelled_at, int(order.cancelled), order.fingerprint, order.fulfillment,
                order.shipping, order.tax,
                None if order.tax_included is None else int(order.tax_included),
            )
        )  # fmt: skip
        for position, line in enumerate(order.lines):
            self._lines.append(
                (seq, position, line.sku, line.product, line.quantity, line.unit_price)
            )
        if len(self._orders) >= BATCH:
            self.flush()

    def flush(self) -> None:
        # One transaction a batch (in autocommit each row would be one); TEMP tables only.
        with deferred_transaction(self.conn):
            for table, columns, rows in (
                ("stage_orders", _ORDER_COLUMNS, self._orders),
                ("stage_lines", _LINE_COLUMNS, self._lines),
            ):
                if rows:
                    marks = ", ".join("?" * len(columns))
                    self.conn.executemany(
                        f"INSERT INTO temp.{table} ({', '.join(columns)}) VALUES ({marks})", rows
                    )
                    rows.clear()

    def _flush_people(self) -> None:
        # The address hashes the suppression list is checked with are made here, while
        # staging: inside the write transaction they held the lock (~1 s per 100,000 orders).
        def rows() -> Iterator[tuple[object, ...]]:
            for pid, rank, c, any_no, any_yes in self._people.values():
                assert isinstance(c, CustomerRecord)
                key = email_key(c.email)
                yield (
                    pid, rank, c.external_id, c.email, key, c.first_name,
                    c.last_name, c.country, c.language, c.created_at, c.tags, c.note,
                    any_no, any_yes, c.line, key_hash(key) if key else None,
                )  # fmt: skip

        marks = ", ".join("?" * len(_PEOPLE_COLUMNS))
        with deferred_transaction(self.conn):
            self.conn.executemany(
                f"INSERT INTO temp.people ({', '.join(_PEOPLE_COLUMNS)}) VALUES ({marks})", rows()
            )
            # A "no" is for the address: every mention of it in the file says no (one file
            # may hold the same address under two ids, or a guest order next to a registered
            # buyer).
            self.conn.execute(
                "CREATE TEMP TABLE refused (email_key TEXT PRIMARY KEY, address_hash)"
            )
            self.conn.executemany(
                "INSERT INTO temp.refused VALUES (?, ?)",
                [(key, key_hash(key)) for key in sorted(self._refused)],
            )
        self._people.clear()

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

    def apply(self, *, authoritative_customers: bool, file_name: str = "") -> Counts:
        """Merge everything staged, atomically. Customers files overwrite attributes;
        orders files only fill in what the store does not know yet."""
        self.flush()
        self._flush_people()
        self.conn.execute("CREATE INDEX temp.people_by_external_id ON people(external_id)")
        self.conn.execute("CREATE INDEX temp.people_by_email ON people(email_key)")
        # Sizes for the planner, measured here before the lock: without them SQLite guesses
        # the file's tables are huge and builds Bloom filters over every stored customer.
        self.conn.execute("ANALYZE temp")
        counts = Counts()
        now = utc_now()
        started = time.perf_counter()
        with self.store.write() as conn:
            # Emptiness is read under the write lock.
            with first_import(conn) if self.store.is_empty() else nullcontext():
                self._merge_customers(conn, counts, now, authoritative_customers, file_name)
                self._merge_orders(conn, counts, now)
                self._keep_consent_no(conn, counts)
            # After a first import's indexes and derived tables are rebuilt, still under the lock.
            changed = (
                "SELECT coalesce(existing_id, ? + seq) FROM stage_orders WHERE NOT unchanged",
                (self._first_new_id - 1,),
            )
            counts.redemptions = imported_redemptions(conn, *changed)
            counts.referrals = reconcile_referrals(
                conn, None if self._touched_everyone else f"SELECT id FROM {AFFECTED_TABLE}"
            )
            counts.points_codes = reconcile_points_codes(conn, *changed)
        counts.merge_seconds = time.perf_counter() - started
        return counts

    def _match_people(self, conn: sqlite3.Connection) -> None:
        # `+people.x`: walk the file's people and look each up in the customers' unique
        # index. Once `PRAGMA optimize` has analysed `customers`, SQLite otherwise walks
        # every stored customer and probes the temp index instead: 4-50 times slower inside
        # the write lock (a whole shop per statement, however small the file).
        match_forgotten(conn)
        conn.execute(
            "UPDATE people SET customer_id = c.id FROM customers c "
            "WHERE people.customer_id IS NULL AND people.external_id IS NOT NULL "
            "AND c.external_id = +people.external_id"
        )
        conn.execute(
            "UPDATE people SET customer_id = c.id FROM customers c "
            "WHERE people.customer_id IS NULL AND people.email_key IS NOT NULL "
            "AND c.email_key = +people.email_key"
        )

    def _merge_customers(
        self,
        conn: sqlite3.Connection,
        counts: Counts,
        now: str,
        authoritative: bool,
        file_name: str,
    ) -> None:
        conn.execute(
            "UPDATE people SET any_no = 1 WHERE NOT any_no "
            "AND email_key IN (SELECT email_key FROM temp.refused)"
        )
        self._hold_suppressed_people(conn, counts)
        self._match_people(conn)
        conn.execute("UPDATE people SET existed = 1 WHERE customer_id IS NOT NULL")
        self._keep_other_customers_emails(conn, counts, file_name)
        # Two new people of this file with one address (a registered customer and a guest
        # order): one row is inserted, the other's insert is ignored and it is merged into
        # that row below like a stored customer, or a re-import would add what it said.
        conn.execute(
            "UPDATE people SET shares_email = 1 WHERE customer_id IS NULL AND email_key IN "
            "(SELECT email_key FROM people WHERE customer_id IS NULL AND email_key IS NOT NULL "
            "GROUP BY email_key HAVING count(*) > 1)"
        )
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
            first, then = ("p", "customers") if authoritative else ("customers", "p")
            if column in ("first_name", "last_name"):
                # A name is one unit: never a stored surname with a first name split off a
                # billing name ("Conti" -> first name "Conti"), nor the other way round.
                return (f"CASE WHEN {first}.first_name IS NULL AND {first}.last_name IS NULL "
                        f"THEN {then}.{column} ELSE {first}.{column} END")  # fmt: skip
            return f"coalesce({first}.{column}, {then}.{column})"

        changes = {column: merged(column) for column in _ATTRIBUTES}
        changes["accepts_marketing"] = _CONSENT
        differs = " OR ".join(f"({expr}) IS NOT customers.{col}" for col, expr in changes.items())
        conn.execute(
            f"""
            INSERT INTO consent_events (customer_id, at, accepts_marketing, source)
            SELECT customers.id, ?, {_CONSENT}, 'import' FROM customers
            JOIN people p ON p.customer_id = customers.id AND (p.existed OR p.shares_email)
            AND NOT p.forgotten
            WHERE ({_CONSENT}) IS NOT customers.accepts_marketing
            """,
            (now,),
        )
        assignments = ", ".join(f"{col} = {expr}" for col, expr in changes.items())
        cursor = conn.execute(
            f"""
            UPDATE OR IGNORE customers SET {assignments}, updated_at = ?
            FROM people p WHERE p.customer_id = customers.id AND (p.existed OR p.shares_email)
            AND NOT p.forgotten
            AND ({differs})
            """,
            (now,),
        )
        counts.customers_updated = max(cursor.rowcount, 0)

    def _keep_other_customers_emails(
        self, conn: sqlite3.Connection, counts: Counts, file_name: str
    ) -> None:
        """A known customer whose row gives an email another customer holds keeps their own
        email (the rest of the row applies) and the row is reported; a "no" on it still
        reaches the address's holder through `refused`."""
        clashes = conn.execute(
            """
            SELECT p.pid, p.line, other.external_id, p.any_no FROM people p
            JOIN customers other ON other.email_key = +p.email_key
            WHERE p.existed AND other.id != p.customer_id ORDER BY p.line
            """
        ).fetchall()
        for pid, line, other_id, said_no in clashes:
            holder = f"customer {other_id}" if other_id else "another customer"
            then = '; its marketing "no" applies to both' if said_no else ""
            counts.warnings.append(
                RowError(file_name, line, "email",
                         f"the address belongs to {holder}: email not changed{then}")
            )  # fmt: skip
            conn.execute(
                "UPDATE people SET email = NULL, email_key = NULL, email_hash = NULL WHERE pid = ?",
                (pid,),
            )

    def _hold_suppressed_people(self, conn: sqlite3.Connection, counts: Counts) -> None:
        """A file's "yes" for a suppressed address (suppressed by an earlier "no" or an
        erasure) is read as "no", and counted: the summary says how many rows tried."""
        held = "email_hash IN (SELECT address_hash FROM suppressions)"
        counts.consent_suppressed = conn.execute(
            f"SELECT count(*) FROM people WHERE any_yes AND {held}"
        ).fetchone()[0]
        conn.execute(f"UPDATE people SET any_no = 1, any_yes = 0 WHERE {held}")

    def _keep_consent_no(self, conn: sqlite3.Connection, counts: Counts) -> None:
        """After the merge: every "no" of the file suppresses its address, which withdraws
        consent from every customer holding it (counted as updated); and no customer the
        file touched keeps a "yes" for a suppressed address (e.g. matched by id, with the
        suppressed address stored and none in the file)."""
        # The addresses the file said no for, and those stored for the customers it said no
        # for (a row may give an id and no email).
        # (CROSS JOIN: from the file's people to their rows, never every stored customer.)
        stored = {
            key
            for (key,) in conn.execute(
                "SELECT c.email_key FROM people p CROSS JOIN customers c ON c.id = p.customer_id "
                "WHERE p.any_no AND c.email_key IS NOT NULL "
                "AND c.email_key NOT IN (SELECT email_key FROM temp.refused)"
            )
        }
        conn.executemany(
            "INSERT INTO temp.refused VALUES (?, ?)", [(key, key_hash(key)) for key in stored]
        )
        hashes = [row[0] for row in conn.execute("SELECT address_hash FROM temp.refused")]
        list_hashes(conn, hashes, "withdrawn")
        withdrawn = withdraw_consent(
            conn, "email_key IN (SELECT email_key FROM temp.refused)", [()], "import"
        )
        # Those `_hold_suppressed_people` could not judge: no email in the file (or another
        # customer's), so the stored address counts.
        unjudged = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT customer_id FROM people "
                "WHERE customer_id IS NOT NULL AND email_key IS NULL"
            )
        ]
        withdrawn += withhold_suppressed(conn, unjudged, "import")
        counts.customers_updated += withdrawn

    def _merge_orders(self, conn: sqlite3.Connection, counts: Counts, now: str) -> None:
        # New orders get ids base+seq, so their lines need no lookup afterwards.
        base = int(conn.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()[0])
        self._first_new_id = base + 1
        conn.execute(
            """
            UPDATE stage_orders SET existing_id = o.id, existing_customer = o.customer_id,
                   unchanged = (o.fingerprint = stage_orders.fingerprint
                                AND o.customer_id IS (SELECT customer_id FROM people
                                                      WHERE pid = stage_orders.pid))
            FROM orders o WHERE o.external_id = stage_orders.external_id
            """
        )
        values = ", ".join(
            "p.customer_id" if col == "customer_id" else f"s.{col}" for col in _STORED_ORDER_COLUMNS
        )
        columns = ", ".join(_STORED_ORDER_COLUMNS)
        cursor = conn.execute(
            f"""
            INSERT INTO orders (id, {columns}, source, imported_at)
            SELECT ? + s.seq, {values}, ?, ?
            FROM stage_orders s LEFT JOIN people p ON p.pid = s.pid
            WHERE s.existing_id IS NULL ORDER BY s.seq
            """,
            (base, self.source, now),
        )
        counts.orders_added = max(cursor.rowcount, 0)
        assignments = ", ".join(
            f"{col} = (SELECT customer_id FROM people WHERE pid = s.pid)"
            if col == "customer_id"
            else f"{col} = s.{col}"
            for col in _STORED_ORDER_COLUMNS
        )
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
            """
            INSERT INTO order_lines (order_id, position, sku, product, quantity, unit_price)
            SELECT coalesce(s.existing_id, ? + s.seq), l.position, l.sku, l.product, l.quantity,
                   l.unit_price
            FROM stage_lines l JOIN stage_orders s ON s.seq = l.order_seq
            WHERE NOT s.unchanged ORDER BY l.order_seq, l.position
            """,
            (base,),
        )
        clear_forgotten_codes(conn)
        # The customers whose orders the import added or changed: now, and before. Each
        # order's customer is looked up by its pid, not joined: asked whether any exists,
        # the join built a Bloom filter over every person of a first import first.
        now = """
            SELECT id FROM (SELECT (SELECT customer_id FROM people WHERE pid = s.pid) AS id
                            FROM stage_orders s WHERE NOT s.unchanged)
            WHERE id IS NOT NULL
        """
        before = """
            SELECT existing_customer FROM stage_orders
            WHERE NOT unchanged AND existing_customer IS NOT NULL
        """
        everyone = no_summaries_yet(conn)
        self._touched_everyone = everyone
        if everyone:
            # (Not for a file whose every order was rejected: like the refresh below, that
            # leaves the summaries, their stamps and cuts as they were. Asked one half at a
            # time: an EXISTS of their UNION built the whole union first, 1.9 s at a million
            # orders, and SQLite's OR of two EXISTS runs both.)
            if any(conn.execute(f"SELECT EXISTS ({half})").fetchone()[0] for half in (now, before)):
                refresh_summaries(conn, everyone=True)
            return
        conn.execute(f"CREATE TABLE {AFFECTED_TABLE} AS {now} UNION {before}")
        # An hourly cron re-import of an unchanged export touches no customer's orders:
        # then no summary, nor the RFM cuts (a sort of every customer's figures), changes.
        if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {AFFECTED_TABLE})").fetchone()[0]:
            # Its size, for the planner: unknown, SQLite took it for a large table and built
            # Bloom filters over every order line for the refresh's joins (0.18 s at 1M).
            conn.execute(f"ANALYZE {AFFECTED_TABLE}")
            refresh_summaries(conn)
