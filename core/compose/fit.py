"""Which template fits an audience best: the one that drafts the most of it.

Counted, not rendered: each template's recipients are decided from the customers' rows and
figures (`Composer.recipient_chunks`, as the compose screen's plan is), and for a template
with recommendations those with nothing to recommend are found for the whole list at once
(`Composer.nothing_to_recommend`). No template is compiled and no draft is made.

Deciding a customer costs some 8 µs per template (the address checks dominate), about 0.6 s
per template for 70,000 customers: a larger audience is counted on an evenly spread sample
(`fit_sample`), which ranks the templates the same way unless two are within a few percent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from core.compose.composer import Composer
from core.compose.errors import ComposeError

FIT_SAMPLE = 5_000
"""Audiences up to this size are counted whole; larger ones on a sample of this size."""


@dataclass(frozen=True)
class TemplateFit:
    """How many of `counted` customers (the audience, or a sample of it) a template would
    draft for."""

    template: str
    drafted: int
    counted: int


def fit_sample(customer_ids: Sequence[int], size: int = FIT_SAMPLE) -> Sequence[int]:
    """`customer_ids` itself up to `size`, else `size` of them evenly spread over the list."""
    if len(customer_ids) <= size:
        return customer_ids
    step = len(customer_ids) / size
    return [customer_ids[int(i * step)] for i in range(size)]


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
