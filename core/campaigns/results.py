"""What each campaign brought back: drafts, codes redeemed, revenue, and reorders against a holdout.

Definitions (docs/campaigns.md, "Results"):

- drafted / held out / left out (by reason): the campaign's recipient rows by outcome;
- codes issued: the campaign's discount codes; codes redeemed: those at least one counting
  (not cancelled) order carried; redemption rate = redeemed ÷ issued × 100;
- revenue: the net (total − refunded) of those redeeming orders;
- reorder rate of a group (drafted, held out): the share of its customers with a counting
  order in the window (as_of, as_of + window_days] after the campaign's as-of date, × 100.
  The window is cut at the store's as-of date: a window not over yet counts "so far";
- uplift = reorder rate drafted − reorder rate held out, in percentage points, with
  Newcombe's 95 % hybrid score interval (core/campaigns/uplift.py); null without a holdout.

Redemptions are read from the view `code_redemptions` (core/schema.py, core/codes/): counting
orders whose discount code, trimmed and upper-cased, is an issued code. Everything is counted
by SQLite, on every call (nothing is stored, so a late import or cancellation shows at once):
one query per campaign for its recipients (one primary-key range on `customer_days` per
drafted or held-out recipient) and two for the redemptions of every campaign; 100 campaigns
of 2,000 recipients at a million orders take about 0.3 s (bench/bench_campaigns.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.as_of import resolve_as_of
from core.campaigns import require_campaign
from core.campaigns.uplift import newcombe_interval
from core.customer_pages import Restriction
from core.metrics import percent_of, rounded_exactly
from core.store import Store

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "GROUPS",
    "MAX_WINDOW_DAYS",
    "campaign_results",
    "group_restriction",
    "window_note",
]

DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 365
"""A reorder window longer than a year says more about the calendar than about the mail."""

GROUPS = ("drafted", "held_out", "left_out", "redeemers")
"""The customers behind a campaign's figures that the app can list."""

# Per outcome and reason: recipients, and those (drafted or held out) with a counting order
# in the window (:start, :end]. The join takes each one's first customer day in the window,
# the one whose previous order day is before it (as core/metrics.py counts the customers of
# a range): at most one row per recipient, one primary-key range on customer_days each.
_RECIPIENTS = """
    SELECT r.outcome, coalesce(r.reason, ''), count(*), count(d.day)
    FROM campaign_recipients AS r
    LEFT JOIN customer_days AS d
        ON r.outcome IN ('drafted', 'held_out') AND d.customer_id = r.customer_id
        AND d.day > :start AND d.day <= :end AND (d.prev_day IS NULL OR d.prev_day <= :start)
    WHERE r.campaign_id = :campaign
    GROUP BY r.outcome, r.reason
"""


@dataclass(frozen=True)
class _Window:
    start: int  # the campaign's as-of day (not counted)
    end: int  # the last day counted: start + window, or the store's as-of day if earlier
    complete: bool


def campaign_results(
    store: Store,
    window_days: int = DEFAULT_WINDOW_DAYS,
    as_of: date | None = None,
    name: str | None = None,
) -> list[dict[str, object]]:
    """Every campaign's figures (or only the one called `name`), oldest first.

    `as_of` is the store's as-of date (default: the latest order's), where every reorder
    window is cut. Raises ValueError for a window outside 1..MAX_WINDOW_DAYS and
    `UnknownCampaignError` (core.campaigns) for a `name` no campaign has.
    """
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise ValueError(f"the window must be 1 to {MAX_WINDOW_DAYS} days, not {window_days}")
    store_day = resolve_as_of(store, as_of).toordinal()
    sql = (
        "SELECT id, name, template, kind, audience, holdout_percent, created_at, as_of "
        "FROM campaigns"
    )
    if name is not None:
        campaign = require_campaign(store, name)
        rows = store.execute(f"{sql} WHERE id = ?", (campaign.id,)).fetchall()
    else:
        rows = store.execute(f"{sql} ORDER BY created_at, id").fetchall()
    redemptions = _redemptions_by_campaign(store)
    codes = dict(
        store.execute(
            "SELECT campaign_id, count(*) FROM discount_codes GROUP BY campaign_id"
        ).fetchall()
    )
    results = []
    for campaign_id, name_, template, kind, audience, holdout, created_at, as_of_text in rows:
        start = date.fromisoformat(as_of_text).toordinal()
        window = _Window(
            start, min(start + window_days, store_day), start + window_days <= store_day
        )
        figures = {
            "id": campaign_id, "name": name_, "template": template, "kind": kind,
            "audience": audience, "holdout_percent": holdout, "created_at": created_at,
            "as_of": as_of_text,
        }  # fmt: skip
        figures.update(_recipient_figures(store, campaign_id, window, window_days))
        figures.update(
            _code_figures(codes.get(campaign_id, 0), redemptions.get(campaign_id, (0, 0, 0)))
        )
        results.append(figures)
    return results


def _recipient_figures(
    store: Store, campaign_id: int, window: _Window, window_days: int
) -> dict[str, object]:
    counts = {"drafted": 0, "held_out": 0}
    reordered = {"drafted": 0, "held_out": 0}
    left_out: dict[str, int] = {}
    params = {"campaign": campaign_id, "start": window.start, "end": window.end}
    for outcome, reason, customers, came_back in store.execute(_RECIPIENTS, params):
        if outcome == "left_out":
            left_out[reason or "unknown"] = left_out.get(reason or "unknown", 0) + customers
        elif outcome in counts:
            counts[outcome] += customers
            reordered[outcome] += came_back
    drafted, held_out = counts["drafted"], counts["held_out"]
    uplift = uplift_ci = None
    if drafted and held_out:
        a, b = reordered["drafted"], reordered["held_out"]
        uplift = rounded_exactly(100 * (a * held_out - b * drafted), drafted * held_out, 4)
        low, high = newcombe_interval(a, drafted, b, held_out)
        uplift_ci = [round(100 * low, 4), round(100 * high, 4)]
    last_day = date.fromordinal(max(window.start, window.end))
    return {
        "drafted": drafted,
        "held_out": held_out,
        "left_out": dict(sorted(left_out.items())),
        "window_days": window_days,
        "window_end": last_day.isoformat(),
        "window_complete": window.complete,
        "days_counted": max(0, window.end - window.start),
        "reordered_drafted": reordered["drafted"],
        "reordered_held_out": reordered["held_out"],
        "reorder_rate_drafted": percent_of(reordered["drafted"], drafted),
        "reorder_rate_held_out": percent_of(reordered["held_out"], held_out),
        "uplift": uplift,
        "uplift_ci": uplift_ci,
    }


def _code_figures(issued: int, redeemed: tuple[int, int, int]) -> dict[str, object]:
    codes_redeemed, orders, net_cents = redeemed
    return {
        "codes_issued": issued,
        "codes_redeemed": codes_redeemed,
        "redemption_rate": percent_of(codes_redeemed, issued),
        "redeeming_orders": orders,
        "revenue": rounded_exactly(net_cents, 100, 2),
    }


def _redemptions_by_campaign(store: Store) -> dict[int, tuple[int, int, int]]:
    """Per campaign: codes redeemed, the orders that redeemed them, and those orders' net
    cents (an order listing two codes of one campaign counts once).

    One pass over `code_redemptions`: the view joins every issued code to the orders, which
    is most of the cost, and its rows are few (one per redeemed code and order)."""
    codes: dict[int, set[str]] = {}
    orders: dict[int, dict[int, int]] = {}
    for campaign_id, code, order_id, net in store.execute(
        "SELECT campaign_id, code, order_id, net FROM code_redemptions"
    ):
        codes.setdefault(campaign_id, set()).add(code)
        orders.setdefault(campaign_id, {})[order_id] = net
    return {
        campaign_id: (len(codes[campaign_id]), len(nets), sum(nets.values()))
        for campaign_id, nets in orders.items()
    }


def group_restriction(store: Store, campaign: dict[str, object], group: str) -> Restriction:
    """The customers behind one of a campaign's figures, for the app's customer list."""
    campaign_id, name = campaign["id"], campaign["name"]
    if group in ("drafted", "held_out", "left_out"):
        label = {"drafted": "drafted", "held_out": "held out", "left_out": "left out"}[group]
        return Restriction(
            f"{label} in {name}",
            "SELECT customer_id FROM campaign_recipients WHERE campaign_id = ? AND outcome = ?",
            (campaign_id, group),
        )
    if group != "redeemers":
        raise ValueError(f"unknown group {group!r}; one of {', '.join(GROUPS)}")
    ids = [
        row[0]
        for row in store.execute(
            "SELECT DISTINCT customer_id FROM code_redemptions "
            "WHERE campaign_id = ? AND customer_id IS NOT NULL",
            (campaign_id,),
        )
    ]
    return Restriction.of_ids(f"redeemed a code of {name}", ids)


def window_note(figures: dict[str, object]) -> str:
    """'30 days after 2026-03-01' or '12 of 30 days so far after 2026-03-01'."""
    days, counted = figures["window_days"], figures["days_counted"]
    if figures["window_complete"]:
        return f"{days} days after {figures['as_of']}"
    return f"{counted} of {days} days so far after {figures['as_of']}"
