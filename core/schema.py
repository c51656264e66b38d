"""The store's schema as forward migrations: version N is reached by running migration N.

Money is kept as integer hundredths of the order's currency unit ("cents"), so sums and
ties are exact. Days are proleptic ordinals of the order's *local* calendar date
(`datetime.date.toordinal`), so windows of W days are plain integer arithmetic in SQL.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: customers, orders, lines, the summaries kept at import, settings and saved segments.
    """
    CREATE TABLE customers (
        id INTEGER PRIMARY KEY,
        external_id TEXT UNIQUE,
        email TEXT,
        email_key TEXT UNIQUE,
        first_name TEXT,
        last_name TEXT,
        country TEXT,
        language TEXT,
        accepts_marketing INTEGER,
        created_at TEXT,
        tags TEXT,
        note TEXT,
        source TEXT,
        imported_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE orders (
        id INTEGER PRIMARY KEY,
        external_id TEXT NOT NULL UNIQUE,
        source_id TEXT,
        customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
        ordered_at TEXT NOT NULL,
        order_day INTEGER NOT NULL,
        currency TEXT,
        subtotal INTEGER,
        discount_code TEXT,
        discount INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL,
        refunded INTEGER NOT NULL DEFAULT 0,
        status TEXT,
        cancelled_at TEXT,
        cancelled INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL,
        fingerprint INTEGER NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE INDEX orders_by_customer ON orders(customer_id, order_day);
    CREATE INDEX orders_by_day ON orders(order_day);
    CREATE TABLE order_lines (
        id INTEGER PRIMARY KEY,
        order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        sku TEXT,
        product TEXT,
        quantity INTEGER NOT NULL,
        unit_price INTEGER
    );
    CREATE INDEX order_lines_by_order ON order_lines(order_id);
    CREATE INDEX order_lines_by_sku ON order_lines(sku);
    -- Summaries of counting (non-cancelled) orders, refreshed for the touched customers
    -- by every import: the metrics never loop over orders in Python.
    CREATE TABLE customer_stats (
        customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
        orders INTEGER NOT NULL,
        revenue INTEGER NOT NULL,
        first_day INTEGER NOT NULL,
        last_day INTEGER NOT NULL
    );
    CREATE INDEX customer_stats_by_first_day ON customer_stats(first_day);
    CREATE INDEX customer_stats_by_last_day ON customer_stats(last_day);
    CREATE TABLE customer_days (
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        day INTEGER NOT NULL,
        orders INTEGER NOT NULL,
        revenue INTEGER NOT NULL,
        PRIMARY KEY (customer_id, day)
    ) WITHOUT ROWID;
    CREATE INDEX customer_days_by_day ON customer_days(day, customer_id);
    CREATE TABLE consent_events (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        accepts_marketing INTEGER NOT NULL,
        source TEXT NOT NULL
    );
    CREATE INDEX consent_events_by_customer ON consent_events(customer_id);
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE custom_segments (
        name TEXT PRIMARY KEY,
        expression TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE import_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        file TEXT NOT NULL,
        kind TEXT NOT NULL,
        format TEXT NOT NULL,
        rows_read INTEGER NOT NULL,
        added INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        unchanged INTEGER NOT NULL,
        rejected INTEGER NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
