"""Campaigns (issue 13): every export that writes is recorded, with who was drafted, held
out or left out (and why), the frequency cap, unique discount codes and the control group.

Callers use only what is exported here; docs/campaigns.md explains the rules.
"""

from importlib import import_module

from core.campaigns.codes import CODE_ALPHABET, CODE_PATTERN, CodePrefixError, check_prefix
from core.campaigns.holdout import HoldoutError, holdout_size, parse_holdout
from core.campaigns.records import (
    DEFAULT_MIN_GAP_DAYS,
    MIN_GAP_SETTING,
    OUTCOMES,
    Campaign,
    CampaignError,
    UnknownCampaignError,
    campaign_names,
    check_min_gap_days,
    find_campaign,
    parse_min_gap_setting,
    require_campaign,
    shop_min_gap_days,
    standing_campaign,
)

_FROM_RUN = ("CampaignRequest", "default_name", "export_campaign")


def __getattr__(name: str) -> object:
    """The export side (core.campaigns.run, which loads the composer and its templates) on
    first use: `retain-tui campaigns` reads results and imports this package, and must not
    pay a quarter of a second for the composer it never uses."""
    if name in _FROM_RUN:
        return getattr(import_module("core.campaigns.run"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CODE_ALPHABET",
    "CODE_PATTERN",
    "DEFAULT_MIN_GAP_DAYS",
    "MIN_GAP_SETTING",
    "OUTCOMES",
    "Campaign",
    "CampaignError",
    "CampaignRequest",
    "CodePrefixError",
    "HoldoutError",
    "UnknownCampaignError",
    "campaign_names",
    "check_min_gap_days",
    "check_prefix",
    "default_name",
    "export_campaign",
    "find_campaign",
    "holdout_size",
    "parse_holdout",
    "parse_min_gap_setting",
    "require_campaign",
    "shop_min_gap_days",
    "standing_campaign",
]
