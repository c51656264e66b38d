"""What an import promises: idempotent, consent only ever tightens, atomic even when killed."""

from __future__ import annotations

import gc
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.importers import FatalImportError, ImportResult, import_file
from core.store import Store, open_store
from tests.clock import frozen_clock

Load = Callable[..., ImportResult]
Query = Callable[..., list[dict[str, object]]]
State = Callable[[Store], dict[str, list[tuple[object, ...]]]]
ROOT = Path(__file__).resolve().parent.parent
GERMAN_MAP = {"Bestellnr": "order_id", "Bestelldatum": "ordered_at", "Summe": "total",
              "Vorname": "first_name", "Nachname": "last_name", "Land": "country"}  # fmt: skip

FIXTURE_IMPORTS = [
    ("shopify_orders.csv", "orders", {}),
    ("shopify_orders_legacy.csv", "orders", {}),
    ("shopify_customers.csv", "customers", {}),
    ("shopify_customers_legacy.csv", "customers", {}),
    ("woocommerce_orders.csv", "orders", {}),
    ("generic_orders.csv", "orders", {}),
    ("generic_customers.csv", "customers", {}),
    ("generic_tab.tsv", "orders", {}),
    ("utf8_bom.csv", "orders", {}),
    ("bad_rows.csv", "orders", {}),
    ("duplicate_orders.csv", "orders", {}),
    ("generic_semicolon_decimal_comma.csv", "orders", {"mapping": GERMAN_MAP}),
]


WRITE_TARGET = re.compile(
    r"\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+(?:main\.)?(?P<table>\w+)",
    re.IGNORECASE,
)
SHOP_TABLES = ("customers", "orders", "order_lines", "customer_stats", "customer_days",
               "consent_events", "settings", "import_runs", "schema_version")  # fmt: skip


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- re-importing changes nothing ------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "options"), FIXTURE_IMPORTS)
def test_reimporting_a_file_changes_nothing(
    load: Load, store: Store, state: State, name: str, kind: str, options: dict[str, object]
) -> None:
    first = load(name, kind, **options)
    before = state(store)
    again = load(name, kind, **options)
    assert state(store) == before  # timestamps included: not even `updated_at` moved
    assert (again.orders_added, again.orders_updated) == (0, 0)
    assert again.orders_unchanged == first.orders_added
    assert (again.customers_added, again.customers_updated) == (0, 0)
    assert again.rows_read == first.rows_read


def test_reimporting_an_unchanged_file_leaves_the_summaries_alone(load: Load, store: Store) -> None:
    """Not only equal afterwards: not recomputed (the RFM cuts sort every customer's figures)."""
    load("generic_orders.csv", "orders")
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        again = load("generic_orders.csv", "orders")
    finally:
        store.conn.set_trace_callback(None)
    assert again.orders_unchanged == again.rows_read > 0
    summaries = ("customer_stats", "customer_days", "day_totals", "cohort_months")
    touched = [sql for sql in statements if any(table in sql for table in summaries)]
    assert [sql for sql in touched if not sql.startswith("SELECT EXISTS")] == []


def test_reimporting_a_whole_shop_changes_nothing(
    load: Load, store: Store, state: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Content and timestamps alike. The fixture files disagree about some customers, so the
    second pass updates them twice (and back): the clock is frozen, or a second that passes
    meanwhile would show as a change."""
    with frozen_clock(monkeypatch):
        for name, kind, options in FIXTURE_IMPORTS:
            load(name, kind, **options)
        before = state(store)
        for name, kind, options in FIXTURE_IMPORTS:
            load(name, kind, **options)
    assert state(store) == before


def test_every_import_is_logged(load: Load, query: Query) -> None:
    load("generic_orders.csv", "orders")
    load("generic_orders.csv", "orders")
    runs = query("SELECT kind, format, rows_read, added, unchanged FROM import_runs ORDER BY id")
    assert [tuple(run.values()) for run in runs] == [
        ("orders", "generic", 5, 9, 0),  # 5 orders + 4 customers added
        ("orders", "generic", 5, 0, 5),
    ]


# -- updates -------------------------------------------------------------------------------


def test_changed_orders_are_updated_and_summaries_follow(load: Load, query: Query) -> None:
    load("generic_orders.csv", "orders")
    result = load("generic_orders_v2.csv", "orders")
    assert (result.orders_added, result.orders_updated, result.orders_unchanged) == (1, 2, 1)
    orders = {row["external_id"]: row for row in query(
        "SELECT o.*, c.external_id AS customer FROM orders o "
        "LEFT JOIN customers c ON c.id = o.customer_id")}  # fmt: skip
    assert len(orders) == 6  # absent from the new file, are kept
    assert (orders["A-2"]["refunded"], orders["A-2"]["cancelled"]) == (3000, 1)
    assert orders["A-5"]["customer"] == "C2"
    stats = {row["customer"]: (row["orders"], row["revenue"]) for row in query(
        "SELECT c.external_id AS customer, s.orders, s.revenue FROM customer_stats s "
        "JOIN customers c ON c.id = s.customer_id WHERE c.external_id IS NOT NULL")}  # fmt: skip
    # C1: A-1 + A-6; C2: only A-5 now (A-2 was refunded); C3 lost its only order.
    assert stats == {"C1": (2, 4970 + 800), "C2": (1, 10000 - 2000)}
    c3_days = query(
        "SELECT count(*) AS n FROM customer_days d JOIN customers c ON c.id = d.customer_id "
        "WHERE c.external_id = 'C3'"
    )
    assert c3_days == [{"n": 0}]


def test_line_items_are_replaced_not_duplicated(tmp_path: Path, store: Store, query: Query) -> None:
    header = "order_id,ordered_at,email,total,sku,quantity,price\n"
    first = write_csv(tmp_path / "a.csv", header + "L-1,2024-01-05,a@x.com,20.00,A,1,10.00\n"
                      "L-1,,,,B,1,10.00\n")  # fmt: skip
    second = write_csv(tmp_path / "b.csv", header + "L-1,2024-01-05,a@x.com,20.00,A,2,10.00\n")
    import_file(store, first, "orders")
    assert import_file(store, second, "orders").orders_updated == 1
    items = query("SELECT sku, quantity FROM order_lines")
    assert [tuple(row.values()) for row in items] == [("A", 2)]


def test_same_text_read_differently_is_an_update(tmp_path: Path, store: Store) -> None:
    comma = write_csv(tmp_path / "a.csv", "order_id,ordered_at,email,total\n"
                      "F-1,2024-01-01,a@example.com,1.234\n")  # fmt: skip
    semicolon = write_csv(tmp_path / "b.csv", "order_id;ordered_at;email;total\n"
                          "F-1;2024-01-01;a@example.com;1.234\n")  # fmt: skip
    import_file(store, comma, "orders")
    assert store.scalar("SELECT total FROM orders") == 123  # 1.234 read as a decimal point
    assert import_file(store, semicolon, "orders").orders_updated == 1
    assert store.scalar("SELECT total FROM orders") == 123400  # a thousands dot


# -- customers: matching and consent --------------------------------------------------------


def test_customers_match_on_external_id_then_email(load: Load, query: Query) -> None:
    load("generic_customers.csv", "customers")
    result = load("generic_customers_later.csv", "customers")
    assert result.customers_added == 0
    people = {row["email_key"]: row for row in query("SELECT * FROM customers")}
    assert len(people) == 3
    assert people["bob@example.com"]["first_name"] == "Robert"  # C2 by id, BOB@ by case
    nina = people["nina@example.no"]  # no id in the later file: matched on email
    assert (nina["external_id"], nina["first_name"], nina["last_name"]) == ("C9", "Nina", "Berg")


def test_orders_link_to_customers_by_external_id(load: Load, tmp_path: Path, store: Store) -> None:
    load("generic_customers.csv", "customers")
    path = write_csv(tmp_path / "o.csv", "order_id,ordered_at,customer_id,total\n"
                     "X-1,2024-01-01,C9,5.00\n")  # fmt: skip
    assert import_file(store, path, "orders").customers_added == 0
    linked = store.scalar(
        "SELECT c.email_key FROM orders o JOIN customers c ON c.id = o.customer_id"
    )
    assert linked == "nina@example.no"


def test_consent_no_never_becomes_yes(load: Load, query: Query) -> None:
    load("generic_customers.csv", "customers")  # C1 yes, C2 no, C9 unknown
    load("generic_customers_later.csv", "customers")  # everyone yes
    consent = {row["email_key"]: row["accepts_marketing"]
               for row in query("SELECT email_key, accepts_marketing FROM customers")}  # fmt: skip
    assert consent == {"anna@example.com": 1, "bob@example.com": 0, "nina@example.no": 1}


def test_consent_no_from_an_orders_file_sticks_too(
    load: Load, tmp_path: Path, store: Store
) -> None:
    load("generic_customers.csv", "customers")
    path = write_csv(tmp_path / "o.csv", "order_id,ordered_at,email,total,accepts_marketing\n"
                     "Y-1,2024-01-01,bob@example.com,5.00,yes\n")  # fmt: skip
    import_file(store, path, "orders")
    assert store.scalar("SELECT accepts_marketing FROM customers WHERE external_id = 'C2'") == 0


def test_a_later_no_is_taken_and_recorded(
    load: Load, tmp_path: Path, store: Store, query: Query
) -> None:
    load("generic_customers.csv", "customers")
    path = write_csv(tmp_path / "c.csv", "id,email,accepts_marketing\nC1,anna@example.com,no\n")
    assert import_file(store, path, "customers").customers_updated == 1
    (anna,) = query("SELECT id, accepts_marketing FROM customers WHERE external_id = 'C1'")
    assert anna["accepts_marketing"] == 0
    events = query(
        "SELECT accepts_marketing FROM consent_events WHERE customer_id = ? ORDER BY id",
        anna["id"],
    )
    assert [event["accepts_marketing"] for event in events] == [1, 0]


def test_names_are_one_unit(load: Load, tmp_path: Path, store: Store, query: Query) -> None:
    # The customers file knows only Conti's surname; an order billed to "Conti" must not make
    # "Conti" the first name.
    load("shopify_customers.csv", "customers")
    path = write_csv(tmp_path / "o.csv", "order_id,ordered_at,email,name,total\n"
                     "N-1,2024-01-01,conti@example.net,Conti,5.00\n")  # fmt: skip
    result = import_file(store, path, "orders")
    assert result.customers_updated == 0
    conti = query("SELECT first_name, last_name FROM customers WHERE email_key = ?",
                  "conti@example.net")  # fmt: skip
    assert conti == [{"first_name": None, "last_name": "Conti"}]


def test_a_later_row_leaving_a_field_empty_does_not_erase_it(
    tmp_path: Path, store: Store, query: Query
) -> None:
    path = write_csv(tmp_path / "o.csv", "order_id,ordered_at,email,country,total\n"
                     "E-1,2024-01-01,eva@example.com,NL,5.00\n"
                     "E-2,2024-02-01,eva@example.com,,6.00\n")  # fmt: skip
    import_file(store, path, "orders")
    eva = query("SELECT country, language FROM customers")
    assert eva == [{"country": "NL", "language": "nl"}]


# -- money ------------------------------------------------------------------------------------


def test_money_is_stored_as_exact_integers(load: Load, query: Query) -> None:
    for name, kind, options in FIXTURE_IMPORTS:
        load(name, kind, **options)
    for table, column in (("orders", "total"), ("orders", "refunded"), ("orders", "discount"),
                          ("orders", "subtotal"), ("order_lines", "unit_price"),
                          ("customer_stats", "revenue"), ("customer_days", "revenue")):  # fmt: skip
        kinds = query(f"SELECT DISTINCT typeof({column}) AS t FROM {table}")
        assert {row["t"] for row in kinds} <= {"integer", "null"}, (table, column)


def test_many_small_amounts_sum_exactly(tmp_path: Path, store: Store) -> None:
    rows = "".join(f"D-{n},2024-01-01,a@example.com,0.10\n" for n in range(1000))
    path = write_csv(tmp_path / "dimes.csv", "order_id,ordered_at,email,total\n" + rows)
    import_file(store, path, "orders")
    assert store.scalar("SELECT sum(total) FROM orders") == 10000
    assert store.scalar("SELECT revenue FROM customer_stats") == 10000


# -- fatal problems commit nothing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "options", "message"),
    [
        ("unbalanced_quote.csv", "orders", {}, r"unbalanced_quote\.csv:3: malformed CSV"),
        ("empty.csv", "orders", {}, r"empty\.csv: the file is empty"),
        ("utf16.csv", "orders", {}, "UTF-16"),
        ("undecodable.csv", "orders", {}, r"undecodable\.csv: byte 48"),
        ("generic_orders.csv", "orders", {"fmt": "magento"}, "unknown format 'magento'"),
        ("generic_customers.csv", "customers", {"fmt": "woocommerce"},
         "no woocommerce layout for customers"),
        ("generic_orders.csv", "refunds", {}, "unknown import kind 'refunds'"),
        ("shopify_customers.csv", "orders", {}, "looks like a shopify customers export"),
        ("generic_semicolon_decimal_comma.csv", "orders", {}, r":1: no column for order_id"),
        ("bad_rows.csv", "orders", {"strict": True}, r"bad_rows\.csv:4: ordered_at"),
        ("does_not_exist.csv", "orders", {}, "cannot read: No such file"),
    ],
)  # fmt: skip
def test_fatal_problems_commit_nothing_and_say_where(
    load: Load, store: Store, data: Callable[[str], Path], state: State,
    name: str, kind: str, options: dict[str, object], message: str,
) -> None:  # fmt: skip
    load("shopify_orders.csv", "orders")
    before = state(store)
    runs = store.scalar("SELECT count(*) FROM import_runs")
    path = data(name) if name != "does_not_exist.csv" else data("empty.csv").with_name(name)
    with pytest.raises(FatalImportError, match=message):
        import_file(store, path, kind, **options)  # type: ignore[arg-type]
    assert state(store) == before
    assert gc.isenabled()
    assert store.scalar("SELECT count(*) FROM import_runs") == runs
    # No staging tables are left behind for the next import.
    assert store.scalar("SELECT count(*) FROM temp.sqlite_master WHERE type = 'table'") == 0


# -- interruptions -----------------------------------------------------------------------------


def test_ctrl_c_while_reading_leaves_the_database_as_it_was(
    load: Load, store: Store, state: State, big_orders: Path
) -> None:
    load("generic_orders.csv", "orders")
    before = state(store)
    seen: list[int] = []

    def interrupt(done: int, total: int) -> None:
        seen.append(done)
        if 0 < done < total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(store, big_orders, "orders", progress=interrupt)
    assert 0 < seen[-1] < big_orders.stat().st_size  # really midway
    assert state(store) == before
    assert gc.isenabled()  # the import pauses the cyclic GC; an interruption must restore it
    assert store.scalar("SELECT count(*) FROM temp.sqlite_master WHERE type = 'table'") == 0
    assert load("generic_orders_v2.csv", "orders").orders_added == 1  # the store still works


@contextmanager
def interrupted_before_commit(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ctrl-C at the worst moment: every row written, the COMMIT not yet run."""
    original = store.write

    @contextmanager
    def write() -> Iterator[sqlite3.Connection]:
        with original() as conn:
            yield conn
            assert conn.in_transaction and conn.total_changes > 0
            raise KeyboardInterrupt

    monkeypatch.setattr(store, "write", write)
    yield
    monkeypatch.undo()


def test_ctrl_c_before_commit_rolls_everything_back(
    load: Load, store: Store, state: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    load("generic_orders.csv", "orders")
    before = state(store)
    with interrupted_before_commit(store, monkeypatch), pytest.raises(KeyboardInterrupt):
        load("shopify_orders.csv", "orders")
    assert state(store) == before
    assert not store.conn.in_transaction
    assert load("shopify_orders.csv", "orders").orders_added == 6


def test_another_connection_reads_while_the_import_holds_the_write_lock(
    load: Load, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    load("generic_orders.csv", "orders")
    original = store.write
    seen: dict[str, object] = {}

    @contextmanager
    def write() -> Iterator[sqlite3.Connection]:
        with original() as conn:
            yield conn
            if "orders" in seen:
                return
            other = sqlite3.connect(store.path, timeout=0, isolation_level=None)  # type: ignore[arg-type]
            try:
                # The app (another connection) is not blocked and sees the last commit...
                seen["orders"] = other.execute("SELECT count(*) FROM orders").fetchone()[0]
                # ...and a second writer (another cron import) would wait for the lock.
                try:
                    other.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    seen["writer"] = str(exc)
            finally:
                other.close()

    monkeypatch.setattr(store, "write", write)
    load("shopify_orders.csv", "orders")
    assert seen == {"orders": 5, "writer": "database is locked"}
    assert store.scalar("SELECT count(*) FROM orders") == 11


def test_every_shop_write_is_inside_begin_immediate(
    store: Store, data: Callable[[str], Path]
) -> None:
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    import_file(store, data("shopify_customers.csv"), "customers")
    import_file(store, data("shopify_orders.csv"), "orders")
    store.conn.set_trace_callback(None)
    shop_tables = set(SHOP_TABLES)
    in_transaction = False
    transactions = staging_batches = 0
    written: set[str] = set()
    for statement in statements:
        head = statement.lstrip().upper()
        if head.startswith("BEGIN IMMEDIATE"):
            in_transaction, transactions = True, transactions + 1
        elif head.startswith("BEGIN"):  # a batch of staged rows: TEMP tables only, no lock
            assert head == "BEGIN", statement
            staging_batches += 1
        elif head.startswith(("COMMIT", "ROLLBACK")):
            in_transaction = False
        elif target := WRITE_TARGET.match(statement):
            if in_transaction:
                written.add(target["table"].lower())
            else:  # outside a transaction only the import's own TEMP tables are written
                assert target["table"].lower() not in shop_tables, statement
    assert transactions >= 4  # each import: one apply and one import_runs entry
    assert staging_batches >= 2
    assert {"customers", "orders", "order_lines", "import_runs"} <= written


KILLED_IMPORT = """
import sys
from contextlib import contextmanager

from core.importers import import_file
from core.store import Store, open_store

db, path, phase = sys.argv[1:4]


def wait_to_be_killed():
    print("READY", flush=True)
    sys.stdin.read()


original = Store.write


@contextmanager
def write(self):
    with original(self) as conn:
        yield conn
        if phase == "apply":  # every row is written, the COMMIT has not run
            wait_to_be_killed()


Store.write = write
store = open_store(db)
store.conn.execute("PRAGMA cache_size = 20")  # spill uncommitted pages into the -wal file


def progress(done, total):
    if phase == "read" and 0 < done < total:
        wait_to_be_killed()


import_file(store, path, "orders", progress=progress)
print("FINISHED", flush=True)
"""


@pytest.mark.parametrize("phase", ["read", "apply"])
def test_sigkill_during_import_leaves_the_database_as_it_was(
    tmp_path: Path, big_orders: Path, data: Callable[[str], Path], state: State, phase: str
) -> None:
    db = tmp_path / "shop.db"
    with open_store(db, create=True) as store:
        import_file(store, data("generic_orders.csv"), "orders")
        before = state(store)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(db), str(big_orders), phase],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready, "the import never reached the point to kill it"
        line = child.stdout.readline()  # type: ignore[union-attr]
        assert line == "READY\n", line + child.stderr.read()  # type: ignore[union-attr]
        if phase == "apply":
            assert Path(f"{db}-wal").stat().st_size > 1 << 20  # uncommitted frames on disk
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    with open_store(db) as store:
        assert store.scalar("PRAGMA integrity_check") == "ok"
        assert state(store) == before
        assert import_file(store, data("generic_orders_v2.csv"), "orders").orders_added == 1


def test_a_big_file_imports_completely(
    tmp_path: Path, store: Store, big_orders_writer: Callable[..., Path]
) -> None:
    path = big_orders_writer(tmp_path / "orders.csv", rows=20_000)
    result = import_file(store, path, "orders")
    assert (result.rows_read, result.orders_added, result.customers_added) == (20_000, 20_000, 5000)
    assert result.rows_per_second > 0 and result.seconds > 0
    assert store.scalar("SELECT sum(orders) FROM customer_stats") == 20_000
