"""A customer's referrals as lines of text, for `customer show` and the app's customer
detail alike: their code, whom they referred, who referred them. Names, emails and codes
go through `clean` (customer data may hold markup or escape codes)."""

from __future__ import annotations

from typing import Any

from tui.display import plural
from tui.safe_text import clean


def _who(person: dict[str, Any]) -> str:
    name = clean(person["name"] or person["email"], empty="(no name)")
    return f"{name} (customer {person['customer_id']})"


def referral_lines(referrals: dict[str, Any]) -> list[str]:
    """`Referrals` and its lines; no lines at all for a customer with neither a code nor a
    referrer."""
    brought: list[dict[str, Any]] = referrals["referred"]
    by: dict[str, Any] | None = referrals["referred_by"]
    if not referrals["code"] and not brought and by is None:
        return []
    lines = ["Referrals"]
    if referrals["code"]:
        lines.append(
            f"  code {clean(referrals['code'])} · referred {plural(len(brought), 'customer')} "
            f"· {referrals['points']:,} points credited"
        )
    for item in brought:
        lines.append(
            f"  referred {_who(item)} on {item['first_order']} · {item['points']:,} points"
        )
    if by is not None:
        lines.append(
            f"  referred by {_who(by)} with {clean(by['code'])} on {by['first_order']} "
            f"· {by['points']:,} points to them"
        )
    return lines
