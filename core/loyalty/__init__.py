"""Loyalty (issue 15): points from orders, an adjustments ledger, tiers by 12-month spend.

Rules are shop settings (`loyalty.*`, core/loyalty/rules.py); points are derived from the
counting orders up to the as-of date plus the ledger (`loyalty_adjustments`); docs/loyalty.md
explains the rules. Callers use only what is exported here.
"""

from core.loyalty.balances import LoyaltyStatus, balances, spend_window_start
from core.loyalty.codes import (
    IssuedPointsCode,
    PointsCodeChanges,
    issue_points_code,
    reconcile_points_codes,
)
from core.loyalty.kept import refresh_points
from core.loyalty.ledger import ADJUSTMENT_KINDS, add_adjustment
from core.loyalty.redeem import redeem
from core.loyalty.report import (
    LoyaltyReport,
    TierFigures,
    customer_loyalty,
    loyalty_report,
    rules_dict,
)
from core.loyalty.rules import (
    DEFAULT_RULES,
    RULE_KEYS,
    LoyaltyError,
    LoyaltyRules,
    Tier,
    load_rules,
    parse_tiers,
)

__all__ = [
    "ADJUSTMENT_KINDS",
    "DEFAULT_RULES",
    "RULE_KEYS",
    "IssuedPointsCode",
    "LoyaltyError",
    "LoyaltyReport",
    "LoyaltyRules",
    "LoyaltyStatus",
    "PointsCodeChanges",
    "Tier",
    "TierFigures",
    "add_adjustment",
    "balances",
    "customer_loyalty",
    "issue_points_code",
    "load_rules",
    "loyalty_report",
    "parse_tiers",
    "reconcile_points_codes",
    "redeem",
    "refresh_points",
    "rules_dict",
    "spend_window_start",
]
