"""How a campaign's results read, in the same words for `retain-tui campaigns` and the app.

Plain strings built from `core.campaigns.results` figures. They hold the owner's text as
it is (a campaign's name, a left-out reason): the callers make them safe to show (the CLI
with `printable`, the app with `tui.safe_text`) and show them without markup. No textual
import here: `retain-tui campaigns` loads this module too.
"""

from __future__ import annotations

from core.campaigns.results import window_note

EMPTY = "—"


def percent(value: float | None) -> str:
    return EMPTY if value is None else f"{value:.1f} %"


def points(value: float) -> str:
    """A difference of two percentages: '+11.1 pp', '−4.0 pp' (a real minus sign)."""
    return f"{value:+.1f} pp".replace("-", "−")


def codes_cell(figures: dict) -> str:
    """'23/180' redeemed of issued, or '–' for a campaign without codes."""
    if not figures["codes_issued"]:
        return EMPTY
    return f"{figures['codes_redeemed']:,}/{figures['codes_issued']:,}"


def uplift_cell(figures: dict) -> str:
    return EMPTY if figures["uplift"] is None else points(figures["uplift"])


def left_out_text(figures: dict) -> str:
    """'14 (no_consent 10, contacted_recently 4)', or '0'."""
    reasons = figures["left_out"]
    total = sum(reasons.values())
    if not total:
        return "0"
    parts = ", ".join(f"{reason} {count:,}" for reason, count in reasons.items())
    return f"{total:,} ({parts})"


def campaign_lines(figures: dict, currency: str = "") -> list[str]:
    """Everything about one campaign, in lines of at most ~78 characters."""
    unit = f" {currency}" if currency else ""
    lines = [
        f"{figures['name']} · {figures['template']} · "
        f"as of {figures['as_of']} · run {figures['created_at'][:16].replace('T', ' ')}",
        f"  Drafted {figures['drafted']:,} · held out {figures['held_out']:,} · "
        f"left out {left_out_text(figures)}",
    ]
    if figures["codes_issued"]:
        orders = figures["redeeming_orders"]
        lines.append(
            f"  Codes {figures['codes_issued']:,} issued, {figures['codes_redeemed']:,} "
            f"redeemed ({percent(figures['redemption_rate'])}) · revenue "
            f"{figures['revenue']:,.2f}{unit} from {orders:,} order{'' if orders == 1 else 's'}"
        )
    else:
        lines.append("  No discount codes")
    lines.append(f"  Ordered again within {window_note(figures)}:")
    lines.append(
        f"    drafted {_share(figures, 'drafted')} · held out {_share(figures, 'held_out')}"
    )
    if figures["uplift_ci"] is None:
        why = "no holdout" if not figures["held_out"] else "nobody drafted"
        lines.append(f"    uplift: none to measure ({why})")
    else:
        low, high = figures["uplift_ci"]
        lines.append(
            f"    uplift {points(figures['uplift'])}, 95 % CI {points(low)} to {points(high)}"
        )
    return lines


def _share(figures: dict, group: str) -> str:
    """'21.1 % (38 of 180)', or '–' for an empty group."""
    whole = figures[group]
    if not whole:
        return EMPTY
    came_back = figures[f"reordered_{group}"]
    return f"{percent(figures[f'reorder_rate_{group}'])} ({came_back:,} of {whole:,})"
