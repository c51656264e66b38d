"""Referral credit: an order import that brings a new customer's first order carrying a
referral code credits the code's owner, exactly once per referred customer.

What is due is a function of the stored orders, not of the order of imports: customer C is
*referred* by R when C's first counting order (not cancelled, not fully refunded; the
earliest by local date, then time, then the shop's order id) carries R's referral code (the
redemption rules of core/codes: upper-cased, trimmed, each code of a cell listing several;
with two referral codes in one cell the smallest code wins) and R is not C. So a referrer
using their own code gets nothing, and neither does a code on a later order of an existing
customer. `referral_credits` holds one row per referred customer; every import brings the
rows of the customers it touched in line with what is due, in its own transaction:

- due and not credited: credit R `referrals.bonus_points` through loyalty's ledger
  (`add_adjustment(..., kind='referral')`) and, when `referrals.reward` is set, a reward
  code the first time (a single-use code of the campaign `referral-rewards`);
- credited but no longer due as it was (the order was cancelled or fully refunded, an
  earlier order of C came in, the code was corrected, the order's date changed): the same
  points are taken back (a negative 'referral' adjustment dated like the credit), and
  whatever is due now is credited afresh; a reward code already issued stays valid (the
  shop has it) and is not issued again for the same referrer and referred customer.

Re-imports and duplicated rows change nothing that is due, so nothing is written twice;
the ledger's unique (customer, kind, reference) index backs that up. The adjustments are
dated by the referred order's date, so balances as of any day agree with the orders.
Customers the owner erased (`retain-tui forget`) keep their rows as they were.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from core.campaigns import standing_campaign
from core.store import utc_now
from core.values import day_to_date

if TYPE_CHECKING:
    from core.referrals.settings import ReferralSettings

REWARD_CAMPAIGN = "referral-rewards"
REWARD_TEMPLATE = "referral-reward"
"""The campaign row reward codes belong to (template names no real template: no draft is
ever written for it); `retain-tui codes export referral-rewards` writes them."""
REWARD_PREFIX = "REWARD"

_DUE = """
WITH scope(id) AS ({scope}),
firsts AS (
    SELECT o.customer_id, o.id, o.order_day, row_number() OVER (
        PARTITION BY o.customer_id ORDER BY o.order_day, o.ordered_at, o.external_id) AS n
    FROM orders o
    WHERE o.customer_id IN (SELECT id FROM scope) AND NOT o.cancelled
)
SELECT f.customer_id, u.referrer_id, min(u.code), f.id, f.order_day
FROM firsts f JOIN referral_uses u ON u.order_id = f.id
WHERE f.n = 1 AND u.referrer_id != f.customer_id
  AND u.referrer_id NOT IN (SELECT customer_id FROM forgotten)
GROUP BY f.customer_id
"""

_CANDIDATES = """
SELECT o.customer_id FROM referral_uses u JOIN orders o ON o.id = u.order_id
WHERE o.customer_id IS NOT NULL
UNION SELECT referred_id FROM referral_credits
"""

_TOUCHED_CANDIDATES = """
SELECT o.customer_id FROM orders o JOIN order_codes k ON k.order_id = o.id
WHERE o.customer_id IN ({touched})
  AND (k.code_key = '*' OR k.code_key IN (SELECT code FROM referral_codes))
UNION SELECT referred_id FROM referral_credits WHERE referred_id IN ({touched})
"""
"""The same for the customers an import touched, read from their orders only: an import of
a few orders into a large shop does not list every referral code's use."""


@dataclass(frozen=True)
class Due:
    referrer_id: int
    code: str
    order_id: int
    order_day: int


@dataclass
class ReferralChanges:
    """What an import changed in the referral credits (the import summary shows it)."""

    credited: int = 0
    reversed: int = 0


def due_referrals(conn: sqlite3.Connection, scope: str | None = None) -> dict[int, Due]:
    """referred customer id -> what is due for them, for the customers `scope` (a query of
    customer ids) names, or for every customer an order with a referral code names."""
    query = _DUE.format(scope=_CANDIDATES if scope is None else scope)
    return {
        referred: Due(referrer, code, order_id, day)
        for referred, referrer, code, order_id, day in conn.execute(query)
    }


def _reference(referred: int, order_id: int, generation: int, reversed_: bool = False) -> str:
    """The ledger's reference: `order 42 of customer 7`, its reversal `... reversed`; a credit
    made again after a reversal gets `#2` (the ledger keeps each reference once per customer,
    and one order may move between customers in a corrected export)."""
    text = f"order {order_id} of customer {referred}"
    if generation > 1:
        text += f" #{generation}"
    return text + " reversed" if reversed_ else text


def reconcile_referrals(conn: sqlite3.Connection, touched: str | None = None) -> ReferralChanges:
    """Bring the credits of the customers `touched` names (a query of customer ids; None:
    everyone) in line with what is due. Runs inside the caller's write transaction."""
    changes = ReferralChanges()
    if not conn.execute("SELECT EXISTS (SELECT 1 FROM referral_codes)").fetchone()[0]:
        return changes  # no referral code issued: nothing can be due
    scope = _CANDIDATES if touched is None else _TOUCHED_CANDIDATES.format(touched=touched)
    customers = [row[0] for row in conn.execute(scope)]
    if not customers:
        return changes
    listed = f"SELECT value FROM json_each('{json.dumps(customers)}')"  # ints only
    due = due_referrals(conn, listed)
    rows = {
        row[0]: row
        for row in conn.execute(
            "SELECT referred_id, referrer_id, code, order_id, order_day, points, reward_code, "
            f"state, generation FROM referral_credits WHERE referred_id IN ({listed})"
        )
    }
    # Erased people's credits stay as they were: as the referred customer or the referrer.
    frozen = {
        row[0]
        for row in conn.execute(
            f"SELECT value FROM ({listed}) WHERE value IN (SELECT customer_id FROM forgotten)"
        )
    } | {
        referred
        for referred, row in rows.items()
        if conn.execute("SELECT 1 FROM forgotten WHERE customer_id = ?", (row[1],)).fetchone()
    }
    settings: ReferralSettings | None = None
    now = utc_now()
    for referred in sorted(set(rows) | set(due)):
        if referred in frozen:
            continue
        row, wanted = rows.get(referred), due.get(referred)
        if row is not None and row[7] == "credited":
            _, referrer, code, order_id, order_day, points, _reward, _state, generation = row
            if wanted == Due(referrer, code, order_id, order_day):
                continue
            _adjust(
                conn, referrer, -points, _reference(referred, order_id, generation, True), order_day
            )
            conn.execute(
                "UPDATE referral_credits SET state = 'reversed', changed_at = ? "
                "WHERE referred_id = ?",
                (now, referred),
            )
            changes.reversed += 1
        if wanted is None:
            continue
        if settings is None:
            from core.referrals.settings import referral_settings

            settings = referral_settings(conn)
        generation = 1 if row is None else row[8] + 1
        reward = row[6] if row is not None and row[1] == wanted.referrer_id else None
        if reward is None and settings.reward is not None:
            reward = _issue_reward(conn, wanted.referrer_id, settings, now)
        _adjust(
            conn, wanted.referrer_id, settings.bonus_points,
            _reference(referred, wanted.order_id, generation), wanted.order_day,
        )  # fmt: skip
        conn.execute(
            "INSERT OR REPLACE INTO referral_credits (referred_id, referrer_id, code, order_id, "
            "order_day, points, reward_code, state, generation, credited_at, changed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'credited', ?, ?, ?)",
            (referred, wanted.referrer_id, wanted.code, wanted.order_id, wanted.order_day,
             settings.bonus_points, reward, generation, now, now),
        )  # fmt: skip
        changes.credited += 1
    return changes


def _adjust(
    conn: sqlite3.Connection, customer_id: int, points: int, reference: str, day: int
) -> None:
    """Points in loyalty's ledger, dated by the referred order's date (0 points: nothing)."""
    if points == 0:
        return
    from core.loyalty import add_adjustment

    add_adjustment(conn, customer_id, points, "referral", reference, day_to_date(day))


def _issue_reward(
    conn: sqlite3.Connection, referrer: int, settings: ReferralSettings, now: str
) -> str:
    """A single-use code for the referrer, stored like a campaign's codes (unique with every
    campaign and referral code), valid `referrals.reward_valid_days` from today."""
    from core.campaigns.codes import new_codes
    from core.campaigns.records import codes_in_use, write_codes
    from core.referrals.codes import discount_value

    assert settings.reward is not None
    kind, value = discount_value(settings.reward)
    today = datetime.now(UTC).date()
    discount = {
        "kind": kind, "value": value, "currency": settings.reward.currency,
        "expires": date.fromordinal(today.toordinal() + settings.reward_valid_days).isoformat(),
        "min_order": None, "prefix": REWARD_PREFIX, "valid_days": settings.reward_valid_days,
        "shared_code": None,
    }  # fmt: skip
    campaign_id = standing_campaign(
        conn,
        template=REWARD_TEMPLATE,
        name=REWARD_CAMPAIGN,
        audience="referrals",
        discount=json.dumps(discount),
        now=now,
        as_of=now[:10],
    )
    (code,) = new_codes(REWARD_PREFIX, 1, lambda batch: codes_in_use(conn, batch))
    write_codes(conn, campaign_id, [(code, referrer)], discount, now)
    return code
