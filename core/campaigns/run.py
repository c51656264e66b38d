"""An export that is a campaign: who is drafted, held out or left out, recorded with the files.

The order of a run (docs/campaigns.md):
1. refuse bad input and a re-run that does not match the stored campaign (nothing written);
2. the composer's plan, with the frequency cap (`contacted_recently`) among its reasons;
3. drop those an earlier run of this campaign drafted or held out (they keep that outcome);
4. hold out the control group among the remaining eligible (core/campaigns/holdout.py);
5. give each one to draft their own discount code (core/campaigns/codes.py);
6. render and write the files into a temporary copy, then in ONE store transaction insert
   the campaign, its recipients and codes, move the files into place, and COMMIT.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from core.campaigns.codes import check_prefix, new_codes, placeholder_code
from core.campaigns.holdout import held_out
from core.campaigns.records import (
    Campaign,
    CampaignError,
    NewCampaign,
    check_min_gap_days,
    codes_in_use,
    find_campaign,
    insert_campaign,
    now,
    recorded_outcomes,
    run_time,
    write_codes,
    write_recipients,
)
from core.compose import Composer, Discount, ExportResult
from core.compose.audience_export import HandOff, audience_writer, check_handoff, next_run
from core.compose.discount import code_stem
from core.compose.drafts import Recipient
from core.compose.export import Outcome, Progress, check_export, write_plan

MAX_NAME = 100
_NAME = re.compile(r"[^\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class CampaignRequest:
    """What the owner asked for beyond a plain export."""

    audience: str
    """The segment's name, or 'customers' for ids given one by one."""
    audience_detail: Any = None
    """The segment's expression, or the customer ids given."""
    name: str | None = None
    """None: `<template>-<audience>-<date of the run>`."""
    min_gap_days: int | None = None
    """The frequency cap; None: the shop's setting."""
    holdout_percent: Decimal = Decimal(0)
    code_prefix: str | None = None
    """None: from the template's name (`win-back` -> WINBACK)."""
    min_order_cents: int | None = None


def default_name(template: str, audience: str, day: date) -> str:
    return f"{template}-{audience}-{day.isoformat()}"


def check_name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > MAX_NAME or not _NAME.fullmatch(text):
        raise CampaignError(
            f"--campaign {name[:40]!r}: 1 to {MAX_NAME} characters, no control characters"
        )
    return text


def discount_record(
    discount: Discount, prefix: str | None, min_order: int | None, today: date
) -> dict[str, Any]:
    """The `campaigns.discount` JSON (values as stored in discount_codes)."""
    if discount.percent is not None:
        basis_points = (discount.percent * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        kind, value = "percent", int(basis_points)
    else:
        assert discount.amount_cents is not None
        kind, value = "amount", discount.amount_cents
    return {
        "kind": kind, "value": value, "currency": discount.currency,
        "expires": discount.expires(today).isoformat(), "min_order": min_order,
        "prefix": prefix, "valid_days": discount.valid_days, "shared_code": discount.code,
    } | ({"points": discount.points} if discount.points else {})  # fmt: skip


_MUST_MATCH = ("kind", "value", "currency", "min_order", "prefix", "shared_code", "points")


def _check_rerun(stored: Campaign, new: NewCampaign) -> None:
    """A re-run drafts the rest of the same campaign: refuse one that would be another."""
    differences = []
    if stored.template != new.template:
        differences.append(f"template {stored.template!r}, not {new.template!r}")
    if stored.audience != new.audience:
        differences.append(f"audience {stored.audience!r}, not {new.audience!r}")
    old, now = stored.discount or {}, new.discount or {}
    if any(old.get(key) != now.get(key) for key in _MUST_MATCH):
        differences.append("another discount")
    if stored.holdout_percent != new.holdout_percent:
        differences.append(f"holdout {stored.holdout_percent:g} %, not {new.holdout_percent:g} %")
    if differences:
        raise CampaignError(
            f"campaign {stored.name!r} exists with {'; '.join(differences)}: a re-run must "
            "match it (choose another --campaign name for a new campaign)"
        )


_MEANWHILE = (
    "another export recorded campaign {name!r} meanwhile: nothing was written; run again to "
    "draft whoever is left"
)


def _insert_once(conn: sqlite3.Connection, new: NewCampaign, at: str) -> int:
    """The new campaign's id; another export that created the same name first wins."""
    try:
        return insert_campaign(conn, new, at)
    except sqlite3.IntegrityError:
        raise CampaignError(_MEANWHILE.format(name=new.name)) from None


def export_campaign(
    composer: Composer,
    request: CampaignRequest,
    customer_ids: list[int],
    template: str,
    out: Path,
    *,
    fmt: str = "eml",
    lang: str | None = None,
    discount: Discount | None = None,
    dry_run: bool = False,
    overwrite: bool = False,
    progress: Progress | None = None,
    helpers: int | None = None,
    service: str | None = None,
    also_record: Callable[[sqlite3.Connection, int], None] | None = None,
) -> ExportResult:
    """`export_drafts` as a campaign: raises `CampaignError` or `ComposeError` before
    anything is written, `ExportError` when drafts failed (nothing written or recorded).
    `fmt="audience"` with `service` writes a mail service's contacts file instead of drafts
    (core/compose/audience_export.py): the same recipients, records and codes.

    `also_record(conn, campaign_id)` runs inside the campaign's transaction, after its
    recipients are written: what a caller records about the campaign (a flow's entries)
    commits with it or not at all."""
    out = Path(out)
    started = time.perf_counter()
    today = composer.today
    run_day = now().date()
    name = check_name(request.name or default_name(template, request.audience, run_day))
    if request.min_gap_days is not None:
        check_min_gap_days(request.min_gap_days)
    prefix = check_prefix(request.code_prefix or code_stem(template))
    check_export(out, fmt, dry_run, overwrite)
    check_handoff(fmt, service)
    if discount is not None and request.min_order_cents is not None:
        discount = replace(discount, min_order_cents=request.min_order_cents)
    info = composer.prepare(template, lang, discount)
    unique_codes = discount is not None and discount.code is None
    new = NewCampaign(
        name=name, template=template, kind=info.kind, audience=request.audience,
        audience_detail=request.audience_detail, language_rule=lang or "customer",
        discount=None if discount is None else discount_record(
            discount, prefix if unique_codes else None, request.min_order_cents, today),
        options={"format": fmt, "out": str(out), "holdout_percent": str(request.holdout_percent),
                 "min_gap_days": request.min_gap_days, "overwrite": overwrite,
                 # What `send` needs to render the same messages again (core/delivery).
                 "templates": None if composer.roots.user is None else str(composer.roots.user),
                 "today": today.isoformat()}
        | ({"for": service} if service else {}),
        holdout_percent=float(request.holdout_percent), as_of=composer.as_of.isoformat(),
    )  # fmt: skip
    stored = find_campaign(composer.store, name)
    if stored is not None:
        _check_rerun(stored, new)
    composer.min_gap_days = request.min_gap_days
    composer.cap_ignores_campaign = None if stored is None else stored.id
    plan = composer.recipients(customer_ids, template, lang, discount)
    if discount is not None and discount.points:  # a points code: only who has the points
        from core.loyalty.codes import short_of_points

        plan = short_of_points(composer.store, composer.as_of, plan, discount.points)
    earlier = {} if stored is None else recorded_outcomes(composer.store.conn, stored.id)

    first: dict[int, Recipient] = {}  # a customer listed twice is recorded once
    for recipient in plan:
        first.setdefault(recipient.customer_id, recipient)
    fresh = [r for r in plan if r.customer_id not in earlier]
    eligible = [r.customer_id for r in fresh if r.included]
    control = held_out(name, eligible, request.holdout_percent)
    to_write = [r for r in fresh if r.customer_id not in control]
    included = [r for r in to_write if r.included]
    if unique_codes:
        if dry_run:
            codes = [placeholder_code(prefix)] * len(included)
        else:
            conn = composer.store.conn
            codes = new_codes(prefix, len(included), lambda batch: codes_in_use(conn, batch))
        own = {r.customer_id: code for r, code in zip(included, codes, strict=True)}
        to_write = [
            replace(r, discount_code=own[r.customer_id]) if r.included else r for r in to_write
        ]

    result = ExportResult(template, fmt, None if dry_run else str(out), dry_run)
    result.campaign = name
    result.service = service
    make_writer = None
    if service is not None:
        run = next_run(composer.store.conn, None if stored is None else stored.id)
        make_writer = audience_writer(HandOff(service, name, run, new.discount))
    result.already_drafted = sum(1 for outcome in earlier.values() if outcome == "drafted")
    result.held_out = len(control)
    result.recipients = len(plan) - len(to_write)  # write_plan adds the rest

    def record(conn: sqlite3.Connection, outcomes: list[Outcome]) -> None:
        at = run_time()
        campaign_id = stored.id if stored is not None else _insert_once(conn, new, at)
        if stored is not None and recorded_outcomes(conn, stored.id) != earlier:
            raise CampaignError(_MEANWHILE.format(name=name))
        rows: dict[int, tuple[int, str, str | None, str | None]] = {}
        for r in first.values():
            if r.customer_id in earlier:
                continue
            if r.customer_id in control:
                rows[r.customer_id] = (r.customer_id, "held_out", None, r.language)
            elif not r.included:
                rows[r.customer_id] = (r.customer_id, "left_out", r.reason, r.language)
        for customer_id, left_out, language in outcomes:
            outcome = "drafted" if left_out is None else "left_out"
            rows[customer_id] = (customer_id, outcome, left_out, language)
        write_recipients(conn, campaign_id, rows.values(), at)
        if unique_codes and new.discount is not None:
            drafted = {cid for cid, left_out, _ in outcomes if left_out is None}
            pairs = [(own[cid], cid) for cid in own if cid in drafted]
            try:
                write_codes(conn, campaign_id, pairs, new.discount, at)
            except sqlite3.IntegrityError:
                raise CampaignError(
                    "a discount code was stored by another export meanwhile: nothing was "
                    "written; run the export again (it draws new codes)"
                ) from None
            result.codes = len(pairs)
            if discount is not None and discount.points:
                from core.loyalty.codes import record_campaign_codes

                record_campaign_codes(conn, pairs, discount.points, at)
        if also_record is not None:
            also_record(conn, campaign_id)

    write_plan(composer, to_write, template, out, result, discount=discount, progress=progress,
               helpers=helpers, overwrite=overwrite, record=None if dry_run else record,
               total=len(plan), make_writer=make_writer)  # fmt: skip
    if dry_run and unique_codes:
        result.codes = result.drafted
    result.seconds = time.perf_counter() - started
    return result
