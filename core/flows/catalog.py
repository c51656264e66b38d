"""The saved flows (table `flows`): read, add, remove, enable, disable. Every change is
checked first and written in one transaction, so bad input changes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from core.campaigns import CampaignError, HoldoutError, check_min_gap_days
from core.flows.model import Flow, FlowError, Trigger, check_flow_name, parse_trigger
from core.store import Store, utc_now

if TYPE_CHECKING:
    from core.compose.templates import TemplateInfo
    from core.shop_settings import ShopSettings

__all__ = [
    "SHIPPED_FLOWS",
    "add_flow",
    "disable_flow",
    "enable_flow",
    "find_flow",
    "list_flows",
    "remove_flow",
    "require_flow",
    "segment_problem",
    "template_problem",
]

SHIPPED_FLOWS = (
    "first-order-thanks",
    "second-order-thanks",
    "feedback",
    "win-back",
    "come-back-bestsellers",
    "detractor-follow-up",
    "promoter-ask",
)
"""Created by migrations 12 (the first five) and 20 (the NPS pair), disabled; they can be
disabled but not removed."""

MAX_DELAY_DAYS = 3650

_COLUMNS = (
    "id, name, trigger, template, delay_days, discount, min_gap_days, holdout_percent, "
    "enabled, enabled_as_of, shipped"
)


def _flow(row: sqlite3.Row | tuple[object, ...]) -> tuple[int, Flow]:
    (flow_id, name, trigger, template, delay, discount, min_gap, holdout, enabled, since,
     shipped) = row  # fmt: skip
    flow = Flow(
        name=str(name), trigger=parse_trigger(str(trigger)), template=str(template),
        delay_days=int(delay),  # type: ignore[call-overload]
        discount=None if discount is None else str(discount),
        min_gap_days=None if min_gap is None else int(min_gap),  # type: ignore[call-overload]
        holdout_percent=Decimal(str(holdout)), enabled=bool(enabled),
        enabled_as_of=None if since is None else date.fromisoformat(str(since)),
        shipped=bool(shipped),
    )  # fmt: skip
    return int(flow_id), flow  # type: ignore[call-overload]


def flows_with_ids(store: Store) -> list[tuple[int, Flow]]:
    """Every flow with its row id, by name."""
    rows = store.execute(f"SELECT {_COLUMNS} FROM flows ORDER BY name COLLATE NOCASE")
    return [_flow(row) for row in rows]


def list_flows(store: Store) -> list[Flow]:
    """Every saved flow, by name (the shipped ones included)."""
    return [flow for _, flow in flows_with_ids(store)]


def find_flow(store: Store, name: str) -> tuple[int, Flow] | None:
    row = store.execute(f"SELECT {_COLUMNS} FROM flows WHERE name = ?", (name,)).fetchone()
    return None if row is None else _flow(row)


def require_flow(store: Store, name: str) -> tuple[int, Flow]:
    found = find_flow(store, name)
    if found is None:
        names = ", ".join(flow.name for flow in list_flows(store)) or "none"
        raise FlowError(f"unknown flow {name[:60]!r} (flows: {names})")
    return found


def template_problem(name: str, templates: Mapping[str, TemplateInfo]) -> str | None:
    """Why template `name` cannot be used by a flow, or None (`templates` by name)."""
    info = templates.get(name)
    if info is None:
        return f"template {name!r} no longer exists"
    return None if info.available else f"template {name!r} is {info.status}"


def settings_problem(shop: ShopSettings, info: TemplateInfo) -> str | None:
    """Why no email of `info` can be drafted now: shop settings the law or mail clients need
    (as the export says it, so the Flows screen and `flows` warn before a run fails)."""
    missing = shop.missing(marketing=info.marketing)
    if not missing:
        return None
    return f"{info.kind} emails need these shop settings: {', '.join(missing)}"


def segment_problem(store: Store, trigger: Trigger) -> str | None:
    """Why a segment trigger's segment (a tier trigger's tier) cannot be used, or None (and
    None for other kinds)."""
    if trigger.kind == "tier":
        return tier_problem(store, str(trigger.value))
    if trigger.kind != "segment":
        return None
    from core.segment_catalog import opened_catalog
    from core.segments import FilterError, SegmentError

    try:
        with opened_catalog(store) as (_snapshot, catalog):
            entry = catalog.entries.get(str(trigger.value).casefold())
            if entry is None:
                return f"segment {trigger.value!r} no longer exists"
            catalog.condition(entry.name)
    except (SegmentError, FilterError) as exc:
        return f"segment {trigger.value!r} cannot be used: {exc}"
    return None


def tier_problem(store: Store, name: str) -> str | None:
    """Why `tier:NAME` cannot be used (no such tier in `loyalty.tiers`, a refused rule)."""
    from core.loyalty import LoyaltyError, load_rules

    try:
        load_rules(store).find_tier(name)
    except LoyaltyError as exc:
        return str(exc)
    return None


def add_flow(
    store: Store,
    name: str,
    trigger: Trigger,
    template: str,
    *,
    delay_days: int = 0,
    discount: str | None = None,
    min_gap_days: int | None = None,
    holdout_percent: Decimal = Decimal(0),
    templates_dir: Path | None = None,
) -> Flow:
    """Save a new flow, disabled; FlowError (nothing saved) for any bad part."""
    check_flow_name(name)
    if not 0 <= delay_days <= MAX_DELAY_DAYS:
        raise FlowError(f"--delay-days {delay_days}: a number of days from 0 to {MAX_DELAY_DAYS}")
    try:
        if min_gap_days is not None:
            check_min_gap_days(min_gap_days)
        if not Decimal(0) <= holdout_percent <= Decimal(90):
            raise HoldoutError(f"--holdout {holdout_percent}: a percentage from 0 to 90")
    except (CampaignError, HoldoutError) as exc:
        raise FlowError(str(exc)) from None
    from core.compose.templates import list_templates

    templates = {info.name: info for info in list_templates(templates_dir)}
    problem = template_problem(template, templates) or segment_problem(store, trigger)
    if problem is not None:
        raise FlowError(problem.replace("no longer exists", "does not exist"))
    _check_discount(store, template, discount, templates_dir)
    flow = Flow(name, trigger, template, delay_days, discount, min_gap_days, holdout_percent,
                enabled=False, enabled_as_of=None, shipped=False)  # fmt: skip
    with store.write() as conn:
        clash = conn.execute("SELECT name FROM flows WHERE name = ?", (name,)).fetchone()
        if clash is not None:
            raise FlowError(f"a flow named {clash[0]!r} already exists: choose another name")
        conn.execute(
            "INSERT INTO flows (name, trigger, template, delay_days, discount, min_gap_days, "
            "holdout_percent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, str(trigger), template, delay_days, discount, min_gap_days,
             str(holdout_percent), utc_now()),
        )  # fmt: skip
    return flow


def _check_discount(
    store: Store, template: str, discount: str | None, templates_dir: Path | None
) -> None:
    """The same refusals an export gives: a bad amount, a template that needs or refuses one."""
    from core.compose import ComposeError, Composer, parse_discount

    composer = Composer(store, templates_dir)
    try:
        parsed = None
        if discount is not None:
            parsed = parse_discount(discount, currency=composer.shop.currency)
        info = composer.template(template)
        if "discount" in info.needs and parsed is None:
            raise FlowError(f"template {template!r} offers a discount: add --discount 10%")
        if parsed is not None and (why := composer.refuses_discount(info)):
            raise FlowError(f"{why}: add the flow without --discount")
    except ComposeError as exc:
        raise FlowError(str(exc)) from None


def remove_flow(store: Store, name: str) -> None:
    """Delete a flow with its runs and entries; shipped flows are disabled instead."""
    with store.write() as conn:
        flow_id, flow = require_flow(store, name)
        if flow.shipped:
            raise FlowError(f"{flow.name!r} is a shipped flow: disable it instead (flows disable)")
        conn.execute("DELETE FROM flows WHERE id = ?", (flow_id,))


def enable_flow(store: Store, name: str, as_of: date) -> Flow:
    """Enable from `as_of` on: its first run handles events after it (no backlog blast).
    Enabling an enabled flow changes nothing."""
    with store.write() as conn:
        flow_id, flow = require_flow(store, name)
        if flow.enabled:
            return flow
        conn.execute(
            "UPDATE flows SET enabled = 1, enabled_as_of = ? WHERE id = ?",
            (as_of.isoformat(), flow_id),
        )
    return require_flow(store, name)[1]


def disable_flow(store: Store, name: str) -> Flow:
    with store.write() as conn:
        flow_id, _flow = require_flow(store, name)
        conn.execute("UPDATE flows SET enabled = 0 WHERE id = ?", (flow_id,))
    return require_flow(store, name)[1]
