"""The store's schema as forward migrations: version N is reached by running migration N.

Money is kept as integer hundredths of the order's currency unit ("cents"), so sums and
ties are exact. Days are proleptic ordinals of the order's *local* calendar date
(`datetime.date.toordinal`), so windows of W days are plain integer arithmetic in SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from core.email_rekey import recompute_email_keys
from core.schema_programme import PROGRAMME_MIGRATIONS


def _name_key(row: str) -> str:
    """The list's sort key for a customer's name; customers without one sort last, by email."""
    name = f"trim(coalesce({row}.first_name, '') || ' ' || coalesce({row}.last_name, ''))"
    return (
        f"CASE WHEN {name} = '' THEN char(1114111) || coalesce({row}.email_key, '') "
        f"ELSE lower({name}) END"
    )


CUSTOMER_PAGES_FROM_CUSTOMERS = f"""
    INSERT INTO customer_pages (customer_id, name_key, email_key, country, orders, revenue,
                               last_day)
    SELECT c.id, {_name_key("c")}, coalesce(c.email_key, ''), coalesce(c.country, ''),
           coalesce(s.orders, 0), coalesce(s.revenue, 0), coalesce(s.last_day, 0)
    FROM customers c LEFT JOIN customer_stats s ON s.customer_id = c.id
"""
"""Every customer's row of the app's list (migration 3), as its triggers would keep it."""


MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
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
    # 2: what the retention metrics read without touching orders (core/metrics.py).
    # `prev_day` links each customer day to the customer's previous one, so "customers with
    # an order in [a, b]" is a count of rows with day in [a, b] and prev_day < a on one
    # covering index (which, as before, also holds customer_id: every index entry ends with
    # the primary key; `orders` tells repeat buyers in a range apart). `day_totals` sums
    # the counting orders and revenue of customers per day. `calendar` maps the days from
    # the first to the last order to months (index year * 12 + month - 1; imports extend it)
    # for `cohort_months`: per cohort (month of the first order) and month, how many of the
    # cohort's customers ordered in that month.
    """
    ALTER TABLE customer_days ADD COLUMN prev_day INTEGER;
    UPDATE customer_days SET prev_day = (
        SELECT max(p.day) FROM customer_days AS p
        WHERE p.customer_id = customer_days.customer_id AND p.day < customer_days.day
    );
    DROP INDEX customer_days_by_day;
    CREATE INDEX customer_days_by_day ON customer_days(day, prev_day, orders);
    CREATE TABLE day_totals (
        day INTEGER PRIMARY KEY,
        orders INTEGER NOT NULL,
        revenue INTEGER NOT NULL
    );
    INSERT INTO day_totals (day, orders, revenue)
    SELECT day, sum(orders), sum(revenue) FROM customer_days GROUP BY day;
    CREATE TABLE calendar (
        day INTEGER PRIMARY KEY,
        month INTEGER NOT NULL
    );
    WITH RECURSIVE days(day) AS (
        SELECT min(day) FROM customer_days
        UNION ALL
        SELECT day + 1 FROM days WHERE day < (SELECT max(day) FROM customer_days)
    ),
    civil(day, era, doe) AS (
        SELECT day, (day + 305) / 146097, (day + 305) % 146097 FROM days WHERE day IS NOT NULL
    ),
    years(day, era, doe, yoe) AS (
        SELECT day, era, doe, (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365 FROM civil
    )
    INSERT INTO calendar (day, month)
    SELECT day,
           (era * 400 + yoe) * 12 + (5 * (doe - (365 * yoe + yoe / 4 - yoe / 100)) + 2) / 153 + 2
    FROM years;
    CREATE TABLE cohort_months (
        cohort INTEGER NOT NULL,
        month INTEGER NOT NULL,
        customers INTEGER NOT NULL,
        PRIMARY KEY (cohort, month)
    ) WITHOUT ROWID;
    INSERT INTO cohort_months (cohort, month, customers)
    SELECT first_month.month, this_month.month, count(*)
    FROM customer_stats AS s
    CROSS JOIN customer_days AS d ON d.customer_id = s.customer_id
    JOIN calendar AS first_month ON first_month.day = s.first_day
    JOIN calendar AS this_month ON this_month.day = d.day
    LEFT JOIN calendar AS prev_month ON prev_month.day = d.prev_day
    WHERE prev_month.month IS NULL OR prev_month.month < this_month.month
    GROUP BY first_month.month, this_month.month;
    """,
    # 3: the customer list the app pages through: one row per customer with every sortable
    # column, indexed as (column, customer_id) for keyset paging, and a full-text index over
    # names and email for search as you type. Triggers keep both current on every write path
    # (imports, the app, scripts), so no caller has to remember them.
    f"""
    CREATE TABLE customer_pages (
        customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
        name_key TEXT NOT NULL,
        email_key TEXT NOT NULL,
        country TEXT NOT NULL,
        orders INTEGER NOT NULL DEFAULT 0,
        revenue INTEGER NOT NULL DEFAULT 0,
        last_day INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX customer_pages_by_name ON customer_pages(name_key, customer_id);
    CREATE INDEX customer_pages_by_email ON customer_pages(email_key, customer_id);
    CREATE INDEX customer_pages_by_country ON customer_pages(country, customer_id);
    CREATE INDEX customer_pages_by_orders ON customer_pages(orders, customer_id);
    CREATE INDEX customer_pages_by_revenue ON customer_pages(revenue, customer_id);
    CREATE INDEX customer_pages_by_last_day ON customer_pages(last_day, customer_id);
    CREATE VIRTUAL TABLE customer_search USING fts5(
        first_name, last_name, email,
        content = 'customers', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    {CUSTOMER_PAGES_FROM_CUSTOMERS};
    INSERT INTO customer_search (customer_search) VALUES ('rebuild');
    CREATE TRIGGER customer_pages_on_insert AFTER INSERT ON customers BEGIN
        INSERT INTO customer_pages (customer_id, name_key, email_key, country)
        VALUES (new.id, {_name_key("new")}, coalesce(new.email_key, ''),
                coalesce(new.country, ''));
        INSERT INTO customer_search (rowid, first_name, last_name, email)
        VALUES (new.id, new.first_name, new.last_name, new.email);
    END;
    CREATE TRIGGER customer_pages_on_update
    AFTER UPDATE OF first_name, last_name, email, email_key, country ON customers BEGIN
        UPDATE customer_pages SET
            name_key = {_name_key("new")},
            email_key = coalesce(new.email_key, ''), country = coalesce(new.country, '')
        WHERE customer_id = new.id;
        INSERT INTO customer_search (customer_search, rowid, first_name, last_name, email)
        VALUES ('delete', old.id, old.first_name, old.last_name, old.email);
        INSERT INTO customer_search (rowid, first_name, last_name, email)
        VALUES (new.id, new.first_name, new.last_name, new.email);
    END;
    CREATE TRIGGER customer_pages_on_delete AFTER DELETE ON customers BEGIN
        DELETE FROM customer_pages WHERE customer_id = old.id;
        INSERT INTO customer_search (customer_search, rowid, first_name, last_name, email)
        VALUES ('delete', old.id, old.first_name, old.last_name, old.email);
    END;
    CREATE TRIGGER customer_pages_on_stats_insert AFTER INSERT ON customer_stats BEGIN
        UPDATE customer_pages
        SET orders = new.orders, revenue = new.revenue, last_day = new.last_day
        WHERE customer_id = new.customer_id;
    END;
    CREATE TRIGGER customer_pages_on_stats_update AFTER UPDATE ON customer_stats BEGIN
        UPDATE customer_pages
        SET orders = new.orders, revenue = new.revenue, last_day = new.last_day
        WHERE customer_id = new.customer_id;
    END;
    CREATE TRIGGER customer_pages_on_stats_delete AFTER DELETE ON customer_stats BEGIN
        UPDATE customer_pages SET orders = 0, revenue = 0, last_day = 0
        WHERE customer_id = old.customer_id;
    END;
    """,
    # 4: prefix indexes for the customer search: a one to three letter prefix is one doclist
    # instead of a merge of every token it starts (at 300,000 customers 'c' matched 300,000
    # distinct 'customer123' tokens: 170 ms a keystroke, now under 10). The triggers of
    # migration 3 name the table, so they keep working on the rebuilt one.
    """
    DROP TABLE customer_search;
    CREATE VIRTUAL TABLE customer_search USING fts5(
        first_name, last_name, email,
        content = 'customers', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
    );
    INSERT INTO customer_search (customer_search) VALUES ('rebuild');
    """,
    # 5: the RFM and VIP cuts an import stores (core/rfm_cuts.py) describe `customer_stats`
    # only until the next change to it. Any change, by any writer, deletes the stored copy;
    # the import re-saves it after its last change, so readers trust it without a check.
    """
    CREATE TRIGGER customer_stats_cuts_stale_on_insert AFTER INSERT ON customer_stats BEGIN
        DELETE FROM settings WHERE key = 'segments.stats_cuts';
    END;
    CREATE TRIGGER customer_stats_cuts_stale_on_update AFTER UPDATE ON customer_stats BEGIN
        DELETE FROM settings WHERE key = 'segments.stats_cuts';
    END;
    CREATE TRIGGER customer_stats_cuts_stale_on_delete AFTER DELETE ON customer_stats BEGIN
        DELETE FROM settings WHERE key = 'segments.stats_cuts';
    END;
    """,
    # 6: the suppression list (core/consent.py): addresses that withdrew consent or were
    # erased, as sha256 of the normalised address, never the address itself. Nothing but an
    # explicit `retain-tui suppressed lift EMAIL` removes a row.
    """
    CREATE TABLE suppressions (
        address_hash TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 7: the people the owner had forgotten (core/erasure.py), by a hash of their email key
    # and of their id in the shop's export: an import that still holds them re-attaches their
    # orders to the anonymised row instead of creating them again, and writes none of their data.
    """
    CREATE TABLE forgotten (
        key_hash TEXT PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    """,
    # 8: what a draft says about an order (issue 12): whether it has shipped ('unfulfilled',
    # 'partial', 'fulfilled'), its shipping and tax, and whether the tax is included in the
    # prices (1) or added on top (0); NULL where the export does not say. `subtotal` holds
    # the items before the order's discount (Shopify's Subtotal, after it, gets it added back).
    """
    ALTER TABLE orders ADD COLUMN fulfillment TEXT;
    ALTER TABLE orders ADD COLUMN shipping INTEGER;
    ALTER TABLE orders ADD COLUMN tax INTEGER;
    ALTER TABLE orders ADD COLUMN tax_included INTEGER;
    """,
    # 9: every email key recomputed as addresses are compared since 7 (NFKC, invisible
    # characters, casefold); customers whose keys now collide are kept apart and a "no" of
    # one applies to all (core/email_rekey.py). A step in Python: SQLite has no NFKC.
    recompute_email_keys,
    *PROGRAMME_MIGRATIONS,
]

SCHEMA_VERSION = len(MIGRATIONS)
