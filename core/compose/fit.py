"""Which template fits an audience best: the one that drafts the most of it.

Counted, not rendered: each template's recipients are decided from the customers' rows and
figures (`Composer.recipient_chunks`, as the compose screen's plan is), and for a template
with recommendations those who have already bought every bestseller are found in one query
(`Composer.nothing_to_recommend`). No template is compiled and no draft is made.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from core.compose.composer import Composer
from core.compose.errors import ComposeError


@dataclass(frozen=True)
class TemplateFit:
    """How many of an audience a template would draft for."""

    template: str
    drafted: int
    audience: int


def drafted_count(
    composer: Composer, customer_ids: Sequence[int], template: str, lang: str | None = None
) -> int:
    """How many of `customer_ids` get a draft of `template`, as an export would decide it."""
    included = [
        recipient.customer_id
        for chunk in composer.recipient_chunks(customer_ids, template, lang)
        for recipient in chunk
        if recipient.included
    ]
    if included and "recommendations" in composer.template(template).needs:
        return len(included) - len(composer.nothing_to_recommend(included))
    return len(included)


def template_fits(
    composer: Composer, customer_ids: Sequence[int], templates: Sequence[str]
) -> Iterator[TemplateFit]:
    """Each usable template of `templates` with its count, one at a time (a caller can stop
    between them); a template that cannot be used now is skipped."""
    for template in templates:
        try:
            drafted = drafted_count(composer, customer_ids, template)
        except ComposeError:
            continue
        yield TemplateFit(template, drafted, len(customer_ids))


def best_fit(fits: Sequence[TemplateFit]) -> TemplateFit | None:
    """The fit that drafts the most; on a tie the earlier one in `fits` (the list's order)."""
    best: TemplateFit | None = None
    for fit in fits:
        if best is None or fit.drafted > best.drafted:
            best = fit
    return best
