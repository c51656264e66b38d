"""Campaigns as stored: looking them up, the contact history the frequency cap reads, and
writing one run's rows (campaign, recipients, codes) inside the caller's transaction.

`utc_now` is this module's clock: the run time of a campaign and of its recipients' rows,
and the time the frequency cap counts back from (tests replace it, tests/clock.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.store import Store, utc_now

OUTCOMES = ("drafted", "held_out", "left_out")
MIN_GAP_SETTING = "campaigns.min_gap_days"
DEFAULT_MIN_GAP_DAYS = 7
MAX_MIN_GAP_DAYS = 365
_IN_BATCH = 500


class CampaignError(ValueError):
    """A campaign request that cannot run (exit 2, nothing written)."""


class UnknownCampaignError(CampaignError, LookupError):
    """No campaign has this name."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        hint = f" (campaigns: {', '.join(known[-5:])})" if known else " (no campaign yet)"
        super().__init__(f"no campaign named {name!r}{hint}")
        self.name = name


@dataclass(frozen=True)
class Campaign:
    """One stored campaign (its first run's settings: re-runs must match them)."""

    id: int
    name: str
    template: str
    kind: str
    audience: str
    discount: dict[str, Any] | None
    holdout_percent: float
    created_at: str
    as_of: str
    options: dict[str, Any]
    audience_detail: Any = None
    language_rule: str | None = None


def run_time() -> str:
    """The time of this run (UTC ISO), from this module's replaceable `utc_now`."""
    return utc_now()


def now() -> datetime:
    return datetime.fromisoformat(run_time())


def campaign_names(store: Store) -> list[str]:
    """Every campaign's name, oldest first."""
    return [name for (name,) in store.execute("SELECT name FROM campaigns ORDER BY id")]


def find_campaign(store: Store | sqlite3.Connection, name: str) -> Campaign | None:
    row = store.execute(
        "SELECT id, name, template, kind, audience, discount, holdout_percent, created_at, "
        "as_of, options, audience_detail, language_rule FROM campaigns WHERE name = ?",
        (name,),
    ).fetchone()
    if row is None:
        return None
    return Campaign(
        id=row[0], name=row[1], template=row[2], kind=row[3], audience=row[4],
        discount=None if row[5] is None else json.loads(row[5]), holdout_percent=row[6],
        created_at=row[7], as_of=row[8], options=json.loads(row[9]),
        audience_detail=None if row[10] is None else json.loads(row[10]), language_rule=row[11],
    )  # fmt: skip


def require_campaign(store: Store, name: str) -> Campaign:
    """The campaign named `name`, or `UnknownCampaignError` listing the latest names."""
    campaign = find_campaign(store, name)
    if campaign is None:
        raise UnknownCampaignError(name, campaign_names(store))
    return campaign


def check_min_gap_days(value: int, option: str = "--min-gap-days") -> int:
    if not 0 <= value <= MAX_MIN_GAP_DAYS:
        raise CampaignError(
            f"{option} {value}: a number of days from 0 (no cap) to {MAX_MIN_GAP_DAYS}"
        )
    return value


def parse_min_gap_setting(text: str) -> int:
    """The stored setting's value as days (what `config set` checks)."""
    try:
        days = int(text.strip())
    except ValueError:
        raise CampaignError(f"{text!r}: a whole number of days (0 turns the cap off)") from None
    return check_min_gap_days(days, "value")


def shop_min_gap_days(store: Store) -> int:
    """The shop's frequency cap (`config set campaigns.min_gap_days N`), default 7 days."""
    text = store.get_setting(MIN_GAP_SETTING)
    if text is None:
        return DEFAULT_MIN_GAP_DAYS
    try:
        return parse_min_gap_setting(text)
    except CampaignError:
        return DEFAULT_MIN_GAP_DAYS  # a value edited in by hand: `config get` warns about it


def contacted_since(
    conn: sqlite3.Connection,
    days: int,
    *,
    exclude_campaign: int | None = None,
    customer: int | None = None,
) -> set[int]:
    """Customers who were drafted a marketing email in the last `days` days (run time, not
    the as-of date: contact is an event of the app), except by `exclude_campaign`; only
    `customer` when given (a preview: one index lookup instead of a scan)."""
    if days <= 0:
        return set()
    since = (now() - timedelta(days=days)).astimezone(UTC).isoformat(timespec="seconds")
    one = "" if customer is None else "AND r.customer_id = :customer "
    rows = conn.execute(
        "SELECT DISTINCT r.customer_id FROM campaign_recipients r "
        "JOIN campaigns c ON c.id = r.campaign_id "
        "WHERE r.outcome = 'drafted' AND c.kind = 'marketing' AND r.recorded_at > :since "
        f"AND c.id IS NOT :campaign {one}",
        {"since": since, "campaign": exclude_campaign, "customer": customer},
    )
    return {customer_id for (customer_id,) in rows}


def recorded_outcomes(conn: sqlite3.Connection, campaign_id: int) -> dict[int, str]:
    """customer id -> 'drafted' or 'held_out' in this campaign (final outcomes of earlier
    runs: a re-run never changes them)."""
    rows = conn.execute(
        "SELECT customer_id, outcome FROM campaign_recipients "
        "WHERE campaign_id = ? AND outcome IN ('drafted', 'held_out')",
        (campaign_id,),
    )
    return dict(rows.fetchall())


def codes_in_use(conn: sqlite3.Connection, codes: Sequence[str]) -> list[str]:
    """Those of `codes` already in the store: issued by a campaign or as a referral code."""
    found: list[str] = []
    for start in range(0, len(codes), _IN_BATCH):
        batch = codes[start : start + _IN_BATCH]
        marks = ",".join("?" * len(batch))
        found += [
            code
            for (code,) in conn.execute(
                f"SELECT code FROM discount_codes WHERE code IN ({marks}) "
                f"UNION ALL SELECT code FROM referral_codes WHERE code IN ({marks})",
                [*batch, *batch],
            )
        ]
    return found


@dataclass(frozen=True)
class NewCampaign:
    """The row a first run inserts."""

    name: str
    template: str
    kind: str
    audience: str
    audience_detail: Any
    language_rule: str | None
    discount: dict[str, Any] | None
    options: dict[str, Any]
    holdout_percent: float
    as_of: str


def insert_campaign(conn: sqlite3.Connection, new: NewCampaign, at: str) -> int:
    cursor = conn.execute(
        "INSERT INTO campaigns (name, template, kind, audience, audience_detail, "
        "language_rule, discount, options, holdout_percent, created_at, as_of) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.name, new.template, new.kind, new.audience, json.dumps(new.audience_detail),
            new.language_rule, None if new.discount is None else json.dumps(new.discount),
            json.dumps(new.options, sort_keys=True), new.holdout_percent, at, new.as_of,
        ),
    )  # fmt: skip
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def write_recipients(
    conn: sqlite3.Connection,
    campaign_id: int,
    rows: Iterable[tuple[int, str, str | None, str | None]],
    at: str,
) -> None:
    """(customer id, outcome, reason, language) rows; a customer's row from an earlier run
    is replaced (only left-out rows ever are: drafted and held-out people are not re-decided)."""
    conn.executemany(
        "INSERT OR REPLACE INTO campaign_recipients "
        "(campaign_id, customer_id, outcome, reason, language, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ((campaign_id, cid, outcome, reason, lang, at) for cid, outcome, reason, lang in rows),
    )


def write_codes(
    conn: sqlite3.Connection,
    campaign_id: int,
    codes: Iterable[tuple[str, int]],
    discount: dict[str, Any],
    at: str,
) -> None:
    """(code, customer id) pairs with the campaign's value, type, expiry and minimum order.
    A code someone else stored meanwhile fails the insert (primary key): nothing is kept."""
    kind, value = discount["kind"], discount["value"]
    currency, expires, min_order = discount["currency"], discount["expires"], discount["min_order"]
    conn.executemany(
        "INSERT INTO discount_codes (code, campaign_id, customer_id, kind, value, currency, "
        "expires, min_order, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (code, campaign_id, cid, kind, value, currency, expires, min_order, at)
            for code, cid in codes
        ),
    )


def standing_campaign(
    conn: sqlite3.Connection,
    *,
    template: str,
    name: str,
    audience: str,
    discount: str,
    now: str,
    as_of: str,
) -> int:
    """The id of the one campaign that codes issued outside any export belong to (loyalty's
    counter codes, referral rewards), made on first use: found by its `template`; named
    `name`, or `name-2`, `name-3` … when the owner already named a campaign so."""
    row = conn.execute(
        "SELECT id FROM campaigns WHERE template = ? ORDER BY id LIMIT 1", (template,)
    ).fetchone()
    if row is not None:
        return int(row[0])
    taken = {taken for (taken,) in conn.execute("SELECT name FROM campaigns")}
    free, number = name, 1
    while free in taken:
        number += 1
        free = f"{name}-{number}"
    cursor = conn.execute(
        "INSERT INTO campaigns (name, template, kind, audience, audience_detail, language_rule, "
        "discount, options, holdout_percent, created_at, as_of) "
        "VALUES (?, ?, 'transactional', ?, NULL, NULL, ?, '{}', 0, ?, ?)",
        (free, template, audience, discount, now, as_of),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid
