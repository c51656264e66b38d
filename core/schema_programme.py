"""The retention programme's tables: migrations 10 on (campaigns and codes, flows, the
outbox, predictions, cohort revenue, survey answers, recommendations, loyalty, referrals).

core/schema.py appends these to the first nine; the rules are the same (forward only, each
numbered by its place in `MIGRATIONS`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from core.shop_views import create_shop_views


def code_key(row: str) -> str:
    """An order's code key (`row` is the orders row: 'new', 'o', ...): its discount code as
    campaign codes are stored (matching ignores case and surrounding spaces), or '*' for a
    cell listing several codes (no issued code holds a comma or semicolon, nor is '*')."""
    cell = f"{row}.discount_code"
    return f"CASE WHEN {cell} GLOB '*[,;]*' THEN '*' ELSE upper(trim({cell})) END"


ORDER_CODES_FROM_ORDERS = f"""
    INSERT INTO order_codes (order_id, code_key)
    SELECT o.id, {code_key("o")} FROM orders o WHERE o.discount_code IS NOT NULL
"""
"""Every order's row of `order_codes` (the redemptions migration), as its triggers would keep it."""


def _add_cohort_revenue(conn: sqlite3.Connection) -> None:
    from core.summaries import rebuild_cohort_months  # it needs this module's SQL

    conn.execute("ALTER TABLE cohort_months ADD COLUMN revenue INTEGER NOT NULL DEFAULT 0")
    rebuild_cohort_months(conn)


def add_recommend_tables(conn: sqlite3.Connection) -> None:
    """The recommendations' tables (imported here: core.recommend would import the store)."""
    from core.recommend.precompute import migrate

    migrate(conn)


def upgrade_kept_points(conn: sqlite3.Connection) -> None:
    """Loyalty's kept points with expiry (imported here: core.loyalty would import the store)."""
    from core.loyalty.kept import upgrade_kept_points as upgrade

    upgrade(conn)


ORDER_POINTS = "max(0, total - refunded) * :rate / 100"
"""An order's points before bonuses: its net value (total − refunds) × :rate per 1.00,
rounded down per order (`LoyaltyRules.order_points`)."""


def bonuses_up_to(rank: str) -> str:
    """The bonuses a customer's counting orders ranked 1 to `rank` earned between them:
    :bonus2 from the 2nd on, :bonus5 from the 5th on."""
    return (f"(CASE WHEN {rank} >= 2 THEN :bonus2 ELSE 0 END "
            f"+ CASE WHEN {rank} >= 5 THEN :bonus5 ELSE 0 END)")  # fmt: skip


def loyalty_points_from_orders(where: str = "") -> str:
    """(customer_id, day, points, revenue): per customer and day with counting orders, the
    points they earned and their net revenue (as `customer_days` has it).

    An order's points: its net value (total − refunds) × :rate per 1.00, rounded down, plus
    :bonus2 / :bonus5 when it is the customer's 2nd / 5th counting order (by day, then time
    as exported, then import order). Cancelled and fully refunded orders (both `cancelled`)
    earn nothing and move no order's rank. `where` narrows the orders (`AND ...`). Kept in
    `loyalty_points` by core/loyalty/kept.py, read directly when that is stale.
    """
    return f"""
        SELECT customer_id, order_day AS day, sum(points) AS points, sum(net) AS revenue FROM (
            SELECT customer_id, order_day, total - refunded AS net,
                   {ORDER_POINTS}
                   + CASE row_number() OVER (PARTITION BY customer_id
                                             ORDER BY order_day, ordered_at, id)
                         WHEN 2 THEN :bonus2 WHEN 5 THEN :bonus5 ELSE 0 END AS points
            FROM orders
            WHERE customer_id IS NOT NULL AND NOT cancelled {where}
        )
        GROUP BY customer_id, order_day
    """


LISTED_CODES = """WITH RECURSIVE listed(order_id, part, rest) AS (
        SELECT o.id, NULL, replace(o.discount_code, ';', ',') || ','
        FROM order_codes k JOIN orders o ON o.id = k.order_id WHERE k.code_key = '*'
        UNION ALL
        SELECT order_id, substr(rest, 1, instr(rest, ',') - 1),
               substr(rest, instr(rest, ',') + 1)
        FROM listed WHERE rest != ''
    )"""
"""Each code of an order whose discount cell lists several (`A, b; C`), one row per code:
the split that campaign redemptions (migration 11) and referral uses (19) both read."""

PROGRAMME_MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    # 10: campaigns (issue 13, core/campaigns/): every export that writes is one, with a row per
    # selected customer (drafted, held out, or left out and why) and the unique discount code
    # each recipient got. Recipients and codes name the customer without a foreign key:
    # erasure keeps the (anonymised) customer row, so campaign figures stay as they were.
    """
    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        template TEXT NOT NULL,
        kind TEXT NOT NULL,  -- 'marketing' | 'transactional' (template.toml)
        audience TEXT NOT NULL,  -- the segment's name, or 'customers'
        audience_detail TEXT,
        language_rule TEXT,
        discount TEXT,  -- JSON or NULL: kind, value, currency, expires, min_order, prefix
        options TEXT NOT NULL DEFAULT '{}',
        holdout_percent REAL NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        as_of TEXT NOT NULL
    );
    CREATE TABLE campaign_recipients (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        customer_id INTEGER NOT NULL,
        outcome TEXT NOT NULL,  -- 'drafted' | 'held_out' | 'left_out'
        reason TEXT,
        language TEXT,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (campaign_id, customer_id)
    ) WITHOUT ROWID;
    CREATE INDEX campaign_recipients_by_customer
        ON campaign_recipients(customer_id, recorded_at);
    CREATE TABLE discount_codes (
        code TEXT PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        customer_id INTEGER NOT NULL,
        kind TEXT NOT NULL,  -- 'percent' (value in basis points) | 'amount' (in cents)
        value INTEGER NOT NULL,
        currency TEXT,
        expires TEXT,
        min_order INTEGER,
        created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX discount_codes_by_customer ON discount_codes(customer_id);
    CREATE INDEX discount_codes_by_campaign ON discount_codes(campaign_id);
    """,
    # 11: redemptions (issue 13, core/codes/): an order redeems a campaign's code when its
    # discount code cell, upper-cased and trimmed, is that code; a cell listing several codes
    # ("A, B" or "A; B", as WooCommerce exports give an order with two coupons) redeems each.
    # `code_redemptions` is a view, not a table written at import: it is right whatever the
    # order of imports and campaigns (an order imported before its code existed included).
    # Only orders that count (not cancelled nor fully refunded) redeem; `net` is their total
    # less refunds; `customer_id` is the ordering customer, `issued_to` the one the code was
    # drafted for (a code passed on to a friend is still redeemed).
    # `order_codes` is the view's index: each order with a code and its code key, kept by
    # triggers on every write path (imports, erasure, scripts), like the customer list. A
    # table of its own rather than an expression index on orders: a partial index stays
    # empty in a shop without codes, gets no statistics, and then every connection's closing
    # `PRAGMA optimize` analyses the whole orders table again (0.3 s at a million orders);
    # a full one holds a million NULLs and misleads the planner. Analysed here, so the
    # planner of an upgraded shop starts from the codes, not from the orders.
    f"""
    CREATE TABLE order_codes (
        order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
        code_key TEXT NOT NULL
    );
    CREATE INDEX order_codes_by_key ON order_codes(code_key);
    {ORDER_CODES_FROM_ORDERS};
    ANALYZE order_codes;
    CREATE TRIGGER order_codes_on_insert AFTER INSERT ON orders
    WHEN new.discount_code IS NOT NULL BEGIN
        INSERT INTO order_codes (order_id, code_key) VALUES (new.id, {code_key("new")});
    END;
    CREATE TRIGGER order_codes_on_update AFTER UPDATE OF discount_code ON orders BEGIN
        DELETE FROM order_codes WHERE order_id = old.id;
        INSERT INTO order_codes (order_id, code_key)
        SELECT new.id, {code_key("new")} WHERE new.discount_code IS NOT NULL;
    END;
    CREATE TRIGGER order_codes_on_delete AFTER DELETE ON orders BEGIN
        DELETE FROM order_codes WHERE order_id = old.id;
    END;
    CREATE VIEW code_redemptions AS
    {LISTED_CODES}
    SELECT d.code, o.id AS order_id, o.customer_id, o.order_day AS ordered_day,
           o.total - o.refunded AS net, d.campaign_id, d.customer_id AS issued_to
    FROM discount_codes d
    JOIN order_codes k ON k.code_key = d.code
    JOIN orders o ON o.id = k.order_id
    WHERE NOT o.cancelled
    UNION ALL
    SELECT DISTINCT d.code, o.id, o.customer_id, o.order_day, o.total - o.refunded,
           d.campaign_id, d.customer_id
    FROM listed
    JOIN discount_codes d ON d.code = upper(trim(listed.part))
    JOIN orders o ON o.id = listed.order_id
    WHERE NOT o.cancelled;
    """,
    # 12: flows (issue 14, core/flows/): saved rules that run a campaign for the customers
    # whose trigger fired (docs/flows.md). The five shipped flows are rows, disabled, so an
    # upgraded shop has them too. `flow_runs` keeps each run that wrote (its window ends at
    # `as_of`); `flow_entries` each (flow, customer, event) handled, whatever the outcome:
    # its key makes "at most once per event" hold across re-runs and crashed runs.
    """
    CREATE TABLE flows (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        trigger TEXT NOT NULL,  -- as parse_trigger reads it: 'nth-order:1', 'segment:Lapsed'
        template TEXT NOT NULL,
        delay_days INTEGER NOT NULL DEFAULT 0,
        discount TEXT,  -- as typed for export --discount ('10%', '5EUR') or NULL
        min_gap_days INTEGER,  -- NULL: the shop's campaigns.min_gap_days
        holdout_percent TEXT NOT NULL DEFAULT '0',
        enabled INTEGER NOT NULL DEFAULT 0,
        enabled_as_of TEXT,  -- the as-of date it was enabled at: no backlog before it
        shipped INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    INSERT INTO flows (name, trigger, template, delay_days, discount, shipped, created_at)
    VALUES ('first-order-thanks', 'nth-order:1', 'thank-you', 1, NULL, 1,
            strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')),
           ('second-order-thanks', 'nth-order:2', 'thank-you', 1, NULL, 1,
            strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')),
           ('feedback', 'order', 'feedback', 14, NULL, 1,
            strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')),
           ('win-back', 'last-order', 'win-back', 120, '10%', 1,
            strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')),
           ('come-back-bestsellers', 'last-order', 'come-back-bestsellers', 180, NULL, 1,
            strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
    CREATE TABLE flow_runs (
        id INTEGER PRIMARY KEY,
        flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
        as_of TEXT NOT NULL,  -- the window's end (ISO date)
        window_start TEXT NOT NULL,  -- the window's start, excluded
        run_at TEXT NOT NULL,
        campaign TEXT,  -- NULL when nobody was due
        due INTEGER NOT NULL
    );
    CREATE INDEX flow_runs_by_flow ON flow_runs(flow_id, as_of);
    CREATE TABLE flow_entries (
        flow_id INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
        customer_id INTEGER NOT NULL,
        event_key TEXT NOT NULL,  -- 'nth-order:N', else the event's ISO date
        event_day INTEGER NOT NULL,
        as_of TEXT NOT NULL,
        campaign TEXT NOT NULL,
        outcome TEXT NOT NULL,  -- the campaign's: 'drafted' | 'held_out' | 'left_out'
        reason TEXT,
        PRIMARY KEY (flow_id, customer_id, event_key)
    ) WITHOUT ROWID;
    """,
    # 13: the outbox (issue 14, core/delivery/): one row per campaign and drafted customer
    # with the exact bytes to send and their Message-ID, its state (queued, sending, sent,
    # failed, refused, uncertain) and the server's last reply. A row is marked 'sending' and
    # committed before its DATA, and its answer committed after: a 'sending' row a later run
    # finds was maybe sent and becomes 'uncertain', never sent twice (docs/delivery.md). The
    # customer is named without a foreign key, like campaign recipients; erasure deletes the
    # rows (they hold the person's address and message).
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        customer_id INTEGER NOT NULL,
        address TEXT,
        message_id TEXT,
        message BLOB,
        state TEXT NOT NULL CHECK (state IN
            ('queued', 'sending', 'sent', 'failed', 'refused', 'uncertain')),
        reason TEXT,  -- why refused before any server saw it: 'suppressed', 'no_consent', ...
        reply TEXT,  -- the server's last answer, e.g. '550 5.1.1 no such user'
        attempts INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        attempted_at TEXT,
        finished_at TEXT,
        UNIQUE (campaign_id, customer_id)
    );
    CREATE INDEX outbox_by_state ON outbox(campaign_id, state);
    CREATE INDEX outbox_by_customer ON outbox(customer_id);
    """,
    # 14: predictions (issue 16, core/predict/): the latest BG/NBD + Gamma-Gamma fit's parameters
    # (one row per fit, the newest is the one in use) and per customer its predictions, with
    # the p_alive of the fit before for "p_alive fell below X" (a flow trigger). Money in
    # cents like everywhere; written by `retain-tui predict` in one transaction.
    """
    CREATE TABLE prediction_fits (
        id INTEGER PRIMARY KEY,
        fitted_at TEXT NOT NULL,
        as_of TEXT NOT NULL,
        horizon_days INTEGER NOT NULL,
        monthly_discount_rate REAL NOT NULL,
        time_unit TEXT NOT NULL,
        r REAL NOT NULL,
        alpha REAL NOT NULL,
        a REAL NOT NULL,
        b REAL NOT NULL,
        p REAL NOT NULL,
        q REAL NOT NULL,
        v REAL NOT NULL,
        customers INTEGER NOT NULL,
        repeat_customers INTEGER NOT NULL,
        revenue_90_days INTEGER NOT NULL
    );
    CREATE TABLE predictions (
        customer_id INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
        fit_id INTEGER NOT NULL REFERENCES prediction_fits(id) ON DELETE CASCADE,
        p_alive REAL NOT NULL,
        expected_orders REAL NOT NULL,
        expected_spend INTEGER NOT NULL,
        clv INTEGER NOT NULL,
        previous_p_alive REAL
    );
    """,
    # 15: cohort revenue (issue 16, `stats`' revenue_returning): each cohort's net revenue per
    # month beside its customers, so the revenue of a period's new customers (and so that of
    # its returning ones) is a sum over a few cohort months, not a read of every new
    # customer's days. Rebuilt from the summaries by the code an import keeps it with
    # (core/summaries.py).
    _add_cohort_revenue,
    # 16: responses (issue 16, core/nps/): survey answers, 0-10, from `import responses`.
    # One answer is one customer's score at one moment (`answered_at` as the file wrote it,
    # offset kept; a date alone when it gives no time): the same answer imported twice is
    # stored once, a new comment for it replaces the old. `answered_day` is the local date's
    # ordinal, as orders'. Erasure deletes a customer's answers (the customer row stays, so
    # no cascade does it).
    """
    CREATE TABLE responses (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
        answered_at TEXT NOT NULL,
        answered_day INTEGER NOT NULL,
        comment TEXT,
        source TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        UNIQUE (customer_id, answered_at, score)
    );
    -- Covering the segment field `nps_score`: a customer's latest score is one index probe.
    CREATE INDEX responses_by_customer
        ON responses(customer_id, answered_day, answered_at, score);
    CREATE INDEX responses_by_day ON responses(answered_day);
    """,
    # 17: recommendations (issue 15, core/recommend/): each customer's products, and per
    # product its buyers and repeaters, the pairs bought by one customer and the intervals
    # between purchases, kept by every import for the customers it touched
    # (core/recommend/precompute.py) and filled here from the orders an upgraded shop holds.
    add_recommend_tables,
    # 18: loyalty (issue 15, core/loyalty/): `loyalty_adjustments` is the ledger of point
    # changes not derived from orders (redemptions negative, referral credit, manual, codes),
    # each dated by the as-of date it was made at; a referral or code row exists at most once
    # per customer and reference. `loyalty_points` keeps, per customer and day with counting
    # orders, the points earned under the earning rules stamped in setting `loyalty.kept_rules`
    # and the day's net revenue (so one pass in key order gives balances and tier spend)
    # (filled here with the default rules: 10 points per 1.00, no bonuses; a new, empty shop
    # gets no stamp, so that it still holds nothing, and its first import builds the table).
    f"""
    CREATE TABLE loyalty_adjustments (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        points INTEGER NOT NULL CHECK (points != 0),
        kind TEXT NOT NULL CHECK (kind IN ('redemption', 'referral', 'manual', 'code')),
        reference TEXT,
        created_at TEXT NOT NULL,
        as_of TEXT NOT NULL
    );
    CREATE INDEX loyalty_adjustments_by_customer ON loyalty_adjustments(customer_id, as_of);
    CREATE UNIQUE INDEX loyalty_adjustments_once
        ON loyalty_adjustments(customer_id, kind, reference) WHERE kind IN ('referral', 'code');
    CREATE TABLE loyalty_points (
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        day INTEGER NOT NULL,
        points INTEGER NOT NULL,
        revenue INTEGER NOT NULL,
        PRIMARY KEY (customer_id, day)
    ) WITHOUT ROWID;
    INSERT INTO loyalty_points (customer_id, day, points, revenue)
    {
        loyalty_points_from_orders()
        .replace(":rate", "10")
        .replace(":bonus2", "0")
        .replace(":bonus5", "0")
    };
    INSERT INTO settings (key, value)
    SELECT 'loyalty.kept_rules', '10:0:0' WHERE EXISTS (SELECT 1 FROM orders)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    """,
    # 19: referrals (issue 15, core/referrals/): one personal code per referrer, unique across
    # the store together with campaign codes (a trigger on each table refuses a code the
    # other holds), and one credit row per referred customer: who referred them, through which
    # order, the points credited (loyalty's ledger holds the adjustments) and the reward
    # code. `state` is 'credited' or 'reversed' (the referred order stopped counting).
    # `referral_uses` is every order whose discount code cell carries a referral code, by
    # the redemption rules (upper-cased, trimmed, each code of a cell listing several),
    # cancelled ones included: the credit decides what counts. No foreign keys to customers,
    # like campaign codes: erasure keeps the anonymised rows.
    f"""
    CREATE TABLE referral_codes (
        code TEXT PRIMARY KEY,
        customer_id INTEGER NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE referral_credits (
        referred_id INTEGER PRIMARY KEY,
        referrer_id INTEGER NOT NULL,
        code TEXT NOT NULL,
        order_id INTEGER NOT NULL,  -- the referred customer's first counting order
        order_day INTEGER NOT NULL,  -- its local date: the ledger rows are dated by it
        points INTEGER NOT NULL,  -- the bonus credited (referrals.bonus_points at the time)
        reward_code TEXT,  -- the referrer's reward (discount_codes), or NULL
        state TEXT NOT NULL CHECK (state IN ('credited', 'reversed')),
        generation INTEGER NOT NULL DEFAULT 1,  -- 2 once credited again after a reversal
        credited_at TEXT NOT NULL,
        changed_at TEXT NOT NULL
    );
    CREATE INDEX referral_credits_by_referrer ON referral_credits(referrer_id);
    CREATE TRIGGER referral_codes_not_campaign_codes BEFORE INSERT ON referral_codes
    WHEN EXISTS (SELECT 1 FROM discount_codes WHERE code = new.code) BEGIN
        SELECT RAISE(ABORT, 'code already issued by a campaign');
    END;
    CREATE TRIGGER discount_codes_not_referral_codes BEFORE INSERT ON discount_codes
    WHEN EXISTS (SELECT 1 FROM referral_codes WHERE code = new.code) BEGIN
        SELECT RAISE(ABORT, 'code already issued as a referral code');
    END;
    CREATE VIEW referral_uses AS
    {LISTED_CODES}
    SELECT r.code, k.order_id, r.customer_id AS referrer_id
    FROM referral_codes r JOIN order_codes k ON k.code_key = r.code
    UNION
    SELECT r.code, listed.order_id, r.customer_id
    FROM listed JOIN referral_codes r ON r.code = upper(trim(listed.part));
    """,
    # 20: read-only views for other tools (issue 17, core/shop_views.py): customers_view,
    # orders_view, order_lines_view, money as decimals and dates as ISO text, made with
    # sqlite-utils for `sqlite-utils rows shop.db customers_view` and Datasette.
    create_shop_views,
    # 21: remembered column mappings (issue 17, core/importers/mapping.py): which column of a
    # generic CSV holds which field, as the owner chose it in the import screen, per kind and
    # header set (a hash of the file's column names), so the next file with the same columns
    # is read the same way by the screen and by `retain-tui import` without --map.
    """
    CREATE TABLE import_mappings (
        kind TEXT NOT NULL,
        header_key TEXT NOT NULL,
        header TEXT NOT NULL,  -- the file's column names, JSON, for reading
        mapping TEXT NOT NULL,  -- JSON {column: field}, as --map COLUMN=FIELD gives it
        saved_at TEXT NOT NULL,
        PRIMARY KEY (kind, header_key)
    ) WITHOUT ROWID;
    """,
    # 22: loyalty expiry kept (issue 15, core/loyalty/kept.py): `loyalty_points` rows also keep
    # the points since the customer's last expiry, that expiry's day and the day the row's
    # balance would expire, so balances with expiry are one pass; the stamp now names the
    # expiry too, and a kept table is rebuilt here under the shop's rules.
    upgrade_kept_points,
    # 23: points codes (issue 15, core/loyalty/codes.py): discount codes worth a number of
    # points, issued at the counter (`deduct` 'issued': deducted at once) or by a campaign
    # (`deduct` 'used': deducted when a counting order carries the code, in that import's
    # transaction; `used_order_id` is the order deducted for, NULL while open; `generation`
    # counts deductions, each a ledger row of its own). The code itself is in discount_codes.
    """
    CREATE TABLE loyalty_codes (
        code TEXT PRIMARY KEY,
        customer_id INTEGER NOT NULL,
        points INTEGER NOT NULL CHECK (points > 0),
        deduct TEXT NOT NULL CHECK (deduct IN ('issued', 'used')),
        used_order_id INTEGER,
        used_day INTEGER,
        generation INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX loyalty_codes_open ON loyalty_codes(deduct, used_order_id);
    """,
    # 24: two more shipped flows (issue 16, NPS that closes the loop), disabled like the
    # others: a personal follow-up the day after a detractor's answer, and a request for a
    # review or a word to a friend a week after a promoter's (outside the default 7-day
    # frequency cap of the feedback email that asked; docs/flows.md). An owner's own flow of
    # the same name is left as it is.
    """
    INSERT OR IGNORE INTO flows (name, trigger, template, delay_days, discount, shipped,
                                 created_at)
    VALUES ('detractor-follow-up', 'nps-answer:detractor', 'detractor-follow-up', 1, NULL, 1,
            strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')),
           ('promoter-ask', 'nps-answer:promoter', 'promoter-ask', 7, NULL, 1,
            strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
    """,
    # 25: the customer list sorted by predicted CLV pages along this index
    # (core/customer_pages.py `_clv_page`): without it every page sorted every customer
    # (~70 ms at 350,000), and Page Down held at the end of the loaded rows lost presses.
    "CREATE INDEX predictions_by_clv ON predictions(clv, customer_id);",
]
