"""Points as a discount code: a single-use fixed-amount code worth N points' value.

Two ways to get one (docs/loyalty.md, "Turning points into a discount"):

- `retain-tui loyalty code CUSTOMER POINTS` (a counter sale, a phone request): the code is
  issued and the points deducted at once, in one transaction (the owner hands it over).
- A campaign, `export --discount points:500`: every recipient with at least 500 points gets
  their own code (the others are left out, `not_enough_points`); nothing is deducted at
  issue (a code never used costs nothing, but the liability report counts it as promised).
  The points go when an imported order carries the code (the redemption rules of
  core/codes): one 'code' row in loyalty's ledger, in the import's transaction, dated by
  that order's day; if the order stops counting (cancelled, refunded in full) the same
  points come back (a row dated like the deduction), and a later counting use deducts
  them again. So each code takes its points at most once, whatever the order of imports.
  A customer whose balance fell meanwhile is still charged the full points (the shop
  honoured the code at checkout): their balance may go below 0, as after a refund.

Codes are stored like campaign codes (`discount_codes`, so `codes export` writes them and
the redemption view sees them) and in `loyalty_codes` with their points and state.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from core.campaigns import standing_campaign
from core.loyalty.ledger import add_adjustment
from core.loyalty.redeem import check_balance
from core.loyalty.rules import LoyaltyError, load_rules
from core.store import Store, utc_now
from core.values import day_to_date

if TYPE_CHECKING:
    from core.compose.drafts import Recipient

__all__ = [
    "COUNTER_CAMPAIGN",
    "IssuedPointsCode",
    "PointsCodeChanges",
    "issue_points_code",
    "open_code_points",
    "reconcile_points_codes",
    "record_campaign_codes",
    "short_of_points",
]

COUNTER_CAMPAIGN = "loyalty-codes"
COUNTER_TEMPLATE = "loyalty-code"
"""The campaign row counter codes belong to (no draft is written for it); `retain-tui codes
export loyalty-codes` writes them for the shop's coupon import."""
COUNTER_PREFIX = "POINTS"
DEFAULT_VALID_DAYS = 365
MAX_VALID_DAYS = 3660


@dataclass(frozen=True)
class IssuedPointsCode:
    customer_id: int
    code: str
    points: int
    value_cents: int
    currency: str
    expires: date
    balance: int
    """The customer's balance after the deduction."""


@dataclass
class PointsCodeChanges:
    """What an import changed: codes whose points were deducted, and given back."""

    deducted: int = 0
    returned: int = 0


def short_of_points(
    store: Store, as_of: date, plan: list[Recipient], points: int
) -> list[Recipient]:
    """The campaign's plan with recipients whose balance as of `as_of` is below `points`
    left out (`not_enough_points`)."""
    from core.loyalty.balances import balances

    included = [r.customer_id for r in plan if r.included]
    held = balances(store, as_of, included)
    return [
        replace(r, reason="not_enough_points")
        if r.included and (r.customer_id not in held or held[r.customer_id].points < points)
        else r
        for r in plan
    ]


def record_campaign_codes(
    conn: sqlite3.Connection, pairs: list[tuple[str, int]], points: int, at: str
) -> None:
    """A campaign's points codes ((code, customer id) pairs, already in `discount_codes`):
    to be deducted when an order uses them."""
    conn.executemany(
        "INSERT INTO loyalty_codes (code, customer_id, points, deduct, created_at) "
        "VALUES (?, ?, ?, 'used', ?)",
        ((code, customer_id, points, at) for code, customer_id in pairs),
    )


def issue_points_code(
    store: Store,
    customer_id: int,
    points: int,
    as_of: date,
    currency: str,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> IssuedPointsCode:
    """One code for the customer, worth `points` at the shop's point value, the points
    deducted at once (ledger kind 'code', the code as reference, dated `as_of`).

    Refused (`LoyaltyError`, nothing written) for an unknown customer, points that are not
    a whole number above 0 or not worth whole cents, more than the balance (as `redeem`
    checks it), or a validity outside 1..MAX_VALID_DAYS days."""
    from core.campaigns.codes import new_codes
    from core.campaigns.records import codes_in_use, write_codes

    rules = load_rules(store)
    cents = rules.code_cents(points)
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise LoyaltyError(f"--valid-days {valid_days}: use 1 to {MAX_VALID_DAYS} days")
    expires = as_of + timedelta(days=valid_days)
    discount = {
        "kind": "amount", "value": cents, "currency": currency, "expires": expires.isoformat(),
        "min_order": None, "prefix": COUNTER_PREFIX, "valid_days": valid_days,
        "shared_code": None, "points": points,
    }  # fmt: skip
    now = utc_now()
    with store.write() as conn:
        check_balance(store, customer_id, points, as_of, rules)
        campaign_id = standing_campaign(
            conn,
            template=COUNTER_TEMPLATE,
            name=COUNTER_CAMPAIGN,
            audience="loyalty",
            discount=json.dumps({"kind": "amount", "points": "per code"}),
            now=now,
            as_of=as_of.isoformat(),
        )
        (code,) = new_codes(COUNTER_PREFIX, 1, lambda batch: codes_in_use(conn, batch))
        write_codes(conn, campaign_id, [(code, customer_id)], discount, now)
        conn.execute(
            "INSERT INTO loyalty_codes (code, customer_id, points, deduct, created_at) "
            "VALUES (?, ?, ?, 'issued', ?)",
            (code, customer_id, points, now),
        )
        add_adjustment(conn, customer_id, -points, "code", code, as_of)
    from core.loyalty.balances import balances

    balance = balances(store, as_of, [customer_id], rules)[customer_id].points
    return IssuedPointsCode(customer_id, code, points, cents, currency, expires, balance)


# Every counting use of a campaign points code, read in one pass over the redemption view
# (its split of multi-code cells runs once, not once per code).
_USES = """
    SELECT r.code, r.order_id, r.ordered_day FROM code_redemptions r
    WHERE r.code IN (SELECT code FROM loyalty_codes WHERE deduct = 'used' {only})
"""
_KEPT = """
    SELECT code, customer_id, points, used_order_id, used_day, generation
    FROM loyalty_codes WHERE deduct = 'used' {only}
"""
_TOUCHED = "temp.touched_points_codes"
"""The campaign points codes whose first use an import may have moved (`reconcile_points_codes`)."""


def _reference(code: str, generation: int, returned: bool = False) -> str:
    """The ledger's reference: the code; a deduction made again after a return gets `#2`
    (the ledger keeps each reference once per customer), a return adds ` returned`."""
    text = code if generation == 1 else f"{code} #{generation}"
    return f"{text} returned" if returned else text


def reconcile_points_codes(
    conn: sqlite3.Connection, changed_orders: str | None = None, params: tuple[object, ...] = ()
) -> PointsCodeChanges:
    """Bring the campaign points codes' deductions in line with the stored orders, inside
    the caller's (an import's) write transaction.

    `changed_orders` (a query for ids, with `params`) names the orders the import added or
    changed: only the codes they carry, or were deducted for, can have another first use
    (an import never removes an order), so only those are read; None reads every code.
    """
    changes = PointsCodeChanges()
    wanted = "SELECT EXISTS (SELECT 1 FROM loyalty_codes WHERE deduct = 'used')"
    if not conn.execute(wanted).fetchone()[0]:
        return changes
    only = ""
    if changed_orders is not None:
        conn.execute(f"DROP TABLE IF EXISTS {_TOUCHED}")
        conn.execute(
            f"""
            CREATE TABLE {_TOUCHED} AS
            WITH changed(id) AS ({changed_orders})
            SELECT code FROM code_redemptions WHERE order_id IN (SELECT id FROM changed)
            UNION
            SELECT code FROM loyalty_codes
            WHERE deduct = 'used' AND used_order_id IN (SELECT id FROM changed)
            """,
            params,
        )
        only = f"AND code IN (SELECT code FROM {_TOUCHED})"
    try:
        _reconcile(conn, only, changes)
    finally:
        if changed_orders is not None:
            conn.execute(f"DROP TABLE {_TOUCHED}")
    return changes


def _reconcile(conn: sqlite3.Connection, only: str, changes: PointsCodeChanges) -> None:
    first: dict[str, tuple[int, int]] = {}  # code -> (day, order id) of its first use
    for code, order, day in conn.execute(_USES.format(only=only)):
        if code not in first or (day, order) < first[code]:
            first[code] = (day, order)
    kept = conn.execute(_KEPT.format(only=only)).fetchall()
    for code, customer, points, used_order, used_day, generation in kept:
        day, order = first.get(code, (None, None))
        if used_order == order:
            continue
        if used_order is not None:
            add_adjustment(conn, customer, points, "code", _reference(code, generation, True),
                           day_to_date(used_day))  # fmt: skip
            changes.returned += 1
        if order is not None and day is not None:
            generation += 1
            add_adjustment(conn, customer, -points, "code", _reference(code, generation),
                           day_to_date(day))  # fmt: skip
            changes.deducted += 1
        conn.execute(
            "UPDATE loyalty_codes SET used_order_id = ?, used_day = ?, generation = ? "
            "WHERE code = ?",
            (order, day, generation, code),
        )


def open_code_points(store: Store, as_of: date) -> int:
    """Points promised in campaign codes not used yet and still valid on `as_of`."""
    return int(
        store.scalar(
            "SELECT coalesce(sum(l.points), 0) FROM loyalty_codes l "
            "JOIN discount_codes d ON d.code = l.code "
            "WHERE l.deduct = 'used' AND l.used_order_id IS NULL "
            "AND (d.expires IS NULL OR d.expires >= ?)",
            (as_of.isoformat(),),
        )
    )
