"""The scheme at a glance (`retain-tui loyalty`): members and points per tier, and what the
points outstanding are worth: the shop's liability as of one date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.loyalty.balances import balances
from core.loyalty.codes import open_code_points
from core.loyalty.rules import LoyaltyRules, load_rules
from core.store import Store
from core.values import format_cents

__all__ = ["LoyaltyReport", "TierFigures", "loyalty_report"]

NO_TIER = "(none)"
"""Customers below the first tier's threshold, when it is above 0."""


@dataclass(frozen=True)
class TierFigures:
    name: str
    threshold: int
    members: int
    points: int
    """Their positive balances summed (what they could redeem)."""


@dataclass(frozen=True)
class LoyaltyReport:
    as_of: date
    rules: LoyaltyRules
    tiers: list[TierFigures]
    members: int
    points_outstanding: int
    """Every positive balance summed: what customers could redeem."""
    value_outstanding: int
    """Their value in cents (points_outstanding × 100 / point_value, rounded down)."""
    negative_balances: int
    """Customers whose refunds took back points they had already redeemed."""
    points_in_open_codes: int = 0
    """Points promised in campaign points codes not used yet and still valid: not deducted
    until an order uses them (core/loyalty/codes.py), so not in `points_outstanding`."""
    value_in_open_codes: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "rules": rules_dict(self.rules),
            "members": self.members,
            "points_outstanding": self.points_outstanding,
            "value_outstanding": format_cents(self.value_outstanding),
            "negative_balances": self.negative_balances,
            "points_in_open_codes": self.points_in_open_codes,
            "value_in_open_codes": format_cents(self.value_in_open_codes),
            "tiers": [
                {"name": t.name, "threshold": format_cents(t.threshold), "members": t.members,
                 "points": t.points}
                for t in self.tiers
            ],
        }  # fmt: skip


def customer_loyalty(store: Store, customer_id: int, as_of: date) -> dict[str, object] | None:
    """One customer's status and ledger rows (oldest first) for `customer show` and the
    detail screen; None when a stored rule is refused (`retain-tui loyalty` names it)."""
    from core.loyalty.rules import LoyaltyError

    try:
        status = balances(store, as_of, [customer_id])
    except LoyaltyError:
        return None
    if customer_id not in status:
        return None
    found = status[customer_id]
    ledger = [
        {"points": points, "kind": kind, "reference": reference, "as_of": day, "at": at}
        for points, kind, reference, day, at in store.execute(
            "SELECT points, kind, reference, as_of, created_at FROM loyalty_adjustments "
            "WHERE customer_id = ? ORDER BY as_of, id",
            (customer_id,),
        )
    ]
    return {
        "as_of": as_of.isoformat(),
        "points": found.points,
        "points_value": format_cents(found.points_value),
        "tier": found.tier,
        "spend_12m": format_cents(found.spend_12m),
        "next_tier": found.next_tier,
        "spend_to_next_tier": None
        if found.spend_to_next_tier is None
        else format_cents(found.spend_to_next_tier),
        "points_to_next_tier": found.points_to_next_tier,
        "adjustments": ledger,
    }


def rules_dict(rules: LoyaltyRules) -> dict[str, object]:
    """The rules as JSON: the settings' names without `loyalty.`, money as '250.00'."""
    return {
        "points_per_unit": rules.points_per_unit,
        "bonus_2nd_order": rules.bonus_2nd_order,
        "bonus_5th_order": rules.bonus_5th_order,
        "expiry_months": rules.expiry_months,
        "point_value": rules.point_value,
        "tiers": [{"name": t.name, "threshold": format_cents(t.threshold)} for t in rules.tiers],
    }


def loyalty_report(store: Store, as_of: date) -> LoyaltyReport:
    """Every customer counts as a member (the scheme needs no sign-up)."""
    rules = load_rules(store)
    statuses = balances(store, as_of, rules=rules)
    # Counted from each customer's balance and spend, without making 350,000 statuses:
    # index 0 is below the first tier, index k the k-th tier.
    members = [0] * (len(rules.tiers) + 1)
    points = [0] * (len(rules.tiers) + 1)
    negative = 0
    reached = statuses.tiers_reached
    for _customer, balance, spend in statuses.figures():
        index = reached(spend)
        members[index] += 1
        if balance > 0:
            points[index] += balance
        elif balance < 0:
            negative += 1
    outstanding = sum(points)
    promised = open_code_points(store, as_of)
    tiers = [
        TierFigures(t.name, t.threshold, members[index], points[index])
        for index, t in enumerate(rules.tiers, start=1)
    ]
    if members[0]:
        tiers.insert(0, TierFigures(NO_TIER, 0, members[0], points[0]))
    return LoyaltyReport(
        as_of=as_of,
        rules=rules,
        tiers=tiers,
        members=len(statuses),
        points_outstanding=outstanding,
        value_outstanding=rules.value_cents(outstanding),
        negative_balances=negative,
        points_in_open_codes=promised,
        value_in_open_codes=rules.value_cents(promised),
    )
