"""The campaign options of `retain-tui export` (issue 13), checked before anything is read.

Kept apart from `emails.py` so the export command stays one screen of options; the rules
are in core/campaigns and docs/campaigns.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from tui.commands.common import fail

if TYPE_CHECKING:
    from core.campaigns import CampaignRequest

CampaignArgument = Annotated[
    str,
    typer.Argument(
        metavar="CAMPAIGN",
        help="The campaign's name (`retain-tui campaigns`).",
        show_default=False,
    ),
]
"""The campaign a command works on (`send`, `codes export`)."""
CampaignOption = Annotated[
    str | None,
    typer.Option(
        "--campaign",
        metavar="NAME",
        help="Record the export as this campaign; the same name again drafts only those not "
        "yet drafted in it (default: template, segment or 'customers', and today's date).",
        show_default=False,
    ),
]
MinGapOption = Annotated[
    int | None,
    typer.Option(
        "--min-gap-days",
        metavar="DAYS",
        help="Leave out who had a marketing email in the last DAYS days (0: no cap; "
        "default: config campaigns.min_gap_days, 7).",
        show_default=False,
    ),
]
HoldoutOption = Annotated[
    str | None,
    typer.Option(
        "--holdout",
        metavar="PERCENT",
        help="Hold out this share of the eligible customers as a control group (0-90%).",
        show_default=False,
    ),
]
CodePrefixOption = Annotated[
    str | None,
    typer.Option(
        "--code-prefix",
        metavar="PREFIX",
        help="Start of each unique discount code, A-Z 0-9 (default: from the template).",
        show_default=False,
    ),
]
MinOrderOption = Annotated[
    str | None,
    typer.Option(
        "--min-order",
        metavar="AMOUNT",
        help="Minimum order for the discount codes, in the shop's currency (e.g. 50).",
        show_default=False,
    ),
]


def campaign_request(
    *,
    segment: str | None,
    segment_expression: str | None,
    customer_ids: list[int],
    name: str | None,
    min_gap_days: int | None,
    holdout: str | None,
    code_prefix: str | None,
    min_order: str | None,
    has_discount: bool,
) -> CampaignRequest:
    """The request, or one `error:` line and exit 2 for bad input (nothing is read yet)."""
    from core.campaigns import (
        CampaignError,
        CampaignRequest,
        CodePrefixError,
        HoldoutError,
        check_min_gap_days,
        check_prefix,
        parse_holdout,
    )
    from core.campaigns.run import check_name
    from core.values import parse_cents

    try:
        if name is not None:
            name = check_name(name)
        if min_gap_days is not None:
            check_min_gap_days(min_gap_days)
        percent = parse_holdout(holdout) if holdout is not None else Decimal(0)
        if code_prefix is not None:
            code_prefix = check_prefix(code_prefix)
    except (CampaignError, CodePrefixError, HoldoutError) as exc:
        fail(str(exc))
    if (code_prefix is not None or min_order is not None) and not has_discount:
        fail("--code-prefix and --min-order need --discount (e.g. --discount 10%)")
    min_order_cents = None
    if min_order is not None:
        try:
            min_order_cents = parse_cents(min_order.strip(), decimal_comma="," in min_order)
        except ValueError:
            min_order_cents = -1
        if min_order_cents <= 0:
            fail(f"--min-order {min_order!r}: an amount more than zero (e.g. 50 or 49.90)")
    if segment is not None:
        audience, detail = segment, {"segment": segment, "expression": segment_expression}
        if customer_ids:
            detail["customers"] = customer_ids  # type: ignore[assignment]
    else:
        audience, detail = "customers", {"customers": customer_ids}
    return CampaignRequest(
        audience=audience, audience_detail=detail, name=name, min_gap_days=min_gap_days,
        holdout_percent=percent, code_prefix=code_prefix, min_order_cents=min_order_cents,
    )  # fmt: skip
