"""Campaigns (issue 13): every export that writes is recorded, with who was drafted, held
out or left out (and why), the frequency cap, unique discount codes and the control group.

Callers use only what is exported here; docs/campaigns.md explains the rules.
"""

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
)
from core.campaigns.run import CampaignRequest, default_name, export_campaign

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
]
