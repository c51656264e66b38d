"""What the compose screen says: the recipients' summary line, the preview's head, and core's
messages in the words of the screen. Pure functions of the plan and the draft, so each can be
tested without a screen and the screen module stays about choosing and previewing.
"""

from __future__ import annotations

from textual.content import Content

from core.compose import (
    REASONS,
    ComposeError,
    Composer,
    Discount,
    Draft,
    Recipient,
    TemplateFit,
    TemplateInfo,
)
from tui import display
from tui.safe_text import clean, content
from tui.screens.compose_plan import Plan, View


def summary_line(plan: Plan, label: str, audience_size: int, view: View) -> str:
    """`VIP: 12 customers, 9 get a draft; left out: …` for the plan read so far."""
    total = len(plan.recipients) if plan.complete else audience_size
    line = f"{clean(label)}: {display.plural(total, 'customer')}"
    if not plan.complete:
        line += "; reading who gets a draft…"
    else:
        unsure = plan.drafted and not plan.exact  # who bought every bestseller: not yet
        verb = "gets" if plan.drafted == 1 and not unsure else "get"
        line += f", {'up to ' if unsure else ''}{display.count(plan.drafted)} {verb} a draft"
        if plan.left_out:
            reasons = ", ".join(
                f"{display.count(n)} {REASONS.get(code, code)}"
                for code, n in plan.left_out.most_common()
            )
            line += f"; left out: {reasons}"
    if view != "all":
        line += f" · showing {view}" + ("" if plan.complete else " so far")
    return line


def place(index: int, shown: int, plan: Plan | None, audience_size: int, view: View) -> str:
    """`3 of 9`: where the cursor is in the list shown (all of it, once read)."""
    total = display.count(shown)
    if plan is not None and not plan.complete:
        total = display.count(audience_size) if view == "all" else f"{total} so far"
    return f"{display.count(index + 1)} of {total}"


def preview_head(place: str, recipient: Recipient, draft: Draft, *, auto_language: bool) -> Content:
    """Where, what kind, which language, To, Subject, the code, and why it is left out."""
    headers = draft.headers
    language = f"{draft.language} ({draft.locale})"
    if auto_language:
        language += ", the customer's"
    lines = [
        content(f"{place} · {draft.kind} · {language}", style="dim"),
        Content.assemble(content("To: ", style="bold"), content(headers["To"] or "—")),
        Content.assemble(content("Subject: ", style="bold"), content(draft.subject)),
    ]
    if draft.discount_code:
        lines.append(content(f"Discount code: {draft.discount_code}"))
    reason = recipient.reason or draft.excluded  # the draft knows about recommendations
    if reason:
        left_out = f"Left out: {REASONS.get(reason, reason)} (no draft is exported)"
        lines.append(content(left_out, style="bold red"))
    return Content("\n").join(lines)


def fit_notice(fit: TemplateFit, audience_size: int) -> str:
    """Which template the screen opened on, and why: it drafts the most of the audience."""
    said = f"Opened on {fit.template}: it drafts "
    if fit.counted == audience_size:
        customers = display.plural(audience_size, "customer")
        return said + f"{display.count(fit.drafted)} of {customers}, the most of any template."
    return said + (
        f"the most of any template ({display.count(fit.drafted)} of a sample of "
        f"{display.count(fit.counted)} of the {display.plural(audience_size, 'customer')})."
    )


def export_problems(
    info: TemplateInfo | None,
    composer: Composer | None,
    discount: Discount | None,
    discount_error: str | None,
    currency: str,
) -> str:
    """What stops an export now: a bad discount, missing shop settings, a needed discount."""
    problems = [discount_error] if discount_error else []
    if info is not None and composer is not None:
        try:
            composer.check_ready(info, discount)
        except ComposeError as exc:
            needs_discount = "discount" in info.needs and discount is None
            if composer.shop.missing(marketing=info.marketing) or not needs_discount:
                problems.append(app_words(str(exc)))
            elif not discount_error:  # a discount being typed says it already
                problems.append(
                    f"{info.name} offers a discount: type one under discount "
                    f"(10% or 5{currency}) before exporting."
                )
    return "\n".join(problems)


APP_WORDS = (
    ("use --overwrite", "tick Overwrite"),
    ("add --discount 10%", "type a discount such as 10%"),
    ("--discount ", "discount "),
    ("--discount", "a discount"),
    ("--valid-days ", "valid days "),
    ("--valid-days", "the days it is valid"),
    ("--campaign ", "Campaign "),
    ("--holdout ", "Hold out "),
)
"""CLI options in core's messages, and the controls of the compose screen and its export
dialog that set the same things, replaced in this order (the longer phrases first)."""


def app_words(message: str) -> str:
    """Core's messages name CLI options; on screen the same things are fields and settings."""
    for option, control in APP_WORDS:
        message = message.replace(option, control)
    return message
