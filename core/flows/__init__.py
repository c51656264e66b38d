"""Flows (issue 14): saved rules that run a campaign by themselves for the customers whose
trigger fired (the n-th order, every order, the last order, entering a segment), once per
customer and event, across missed days and re-runs. docs/flows.md explains the rules.

Callers use only what is exported here.
"""

from core.flows.catalog import (
    SHIPPED_FLOWS,
    add_flow,
    disable_flow,
    enable_flow,
    find_flow,
    list_flows,
    remove_flow,
)
from core.flows.model import (
    TRIGGER_FORMS,
    Flow,
    FlowError,
    FlowRunResult,
    FlowsReport,
    FlowStatus,
    Trigger,
    parse_trigger,
)
from core.flows.run import (
    campaign_name,
    flow_campaigns,
    flow_statuses,
    run_flows,
    window_start,
)

__all__ = [
    "SHIPPED_FLOWS",
    "TRIGGER_FORMS",
    "Flow",
    "FlowError",
    "FlowRunResult",
    "FlowStatus",
    "FlowsReport",
    "Trigger",
    "add_flow",
    "campaign_name",
    "disable_flow",
    "enable_flow",
    "find_flow",
    "flow_campaigns",
    "flow_statuses",
    "list_flows",
    "parse_trigger",
    "remove_flow",
    "run_flows",
    "window_start",
]
