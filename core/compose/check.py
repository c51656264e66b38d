"""`templates check`: render every template in every language before a customer sees it.

Each language is rendered for a real customer of the demo shop (the one with the most
orders in that language, so order lines, recommendations and dates are all present) and for
a worst-case customer with every optional field empty, under a shop with only the required
settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from core.compose.composer import Composer, reorder_rule
from core.compose.context import worst_case_customer
from core.compose.discount import Discount
from core.compose.errors import ComposeError, TemplateError
from core.compose.templates import FORMAL, INFORMAL, TemplateInfo
from core.shop_settings import ShopSettings
from core.store import Store


@dataclass(frozen=True)
class CheckProblem:
    template: str
    language: str | None
    case: str
    message: str
    form: str | None = None  # the address form rendered; None for a problem of the folder

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.language, self.form) if part)
        lang = f" [{where}]" if where else ""
        return f"{self.template}{lang} ({self.case}): {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "template": self.template,
            "language": self.language,
            "form": self.form,
            "case": self.case,
            "message": self.message,
        }


@dataclass
class CheckReport:
    templates: list[TemplateInfo]
    renders: int = 0
    problems: list[CheckProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "templates": [info.to_dict() for info in self.templates],
            "renders": self.renders,
            "problems": [problem.to_dict() for problem in self.problems],
            "ok": self.ok,
        }


def minimal_shop(shop: ShopSettings) -> ShopSettings:
    """Only what an export insists on: no website, reply-to, feedback page or unsubscribe URL."""
    return replace(
        shop,
        reply_to="",
        website="",
        feedback_url="",
        unsubscribe_url="",
        unsubscribe_mailto=shop.unsubscribe_mailto or "unsubscribe@example.invalid",
    )


def check_templates(
    store: Store, templates_dir: Path | None = None, *, today: date | None = None
) -> CheckReport:
    """Render every template x language x address form x case against `store` (normally
    the demo shop): the informal files always, the formal ones where a language has them."""
    composer = Composer(store, templates_dir, today=today)
    worst = Composer(store, templates_dir, today=today, shop=minimal_shop(composer.shop))
    report = CheckReport(templates=composer.templates())
    for info in report.templates:
        if info.problems:
            for problem in info.problems:
                report.problems.append(CheckProblem(info.name, None, "template folder", problem))
            continue
        for lang in info.languages:
            forms = [INFORMAL, FORMAL] if lang in info.formal_languages else [INFORMAL]
            for form in forms:
                _check_language(composer, worst, info, lang, form, report)
    return report


def _check_language(
    composer: Composer,
    worst: Composer,
    info: TemplateInfo,
    lang: str,
    form: str,
    report: CheckReport,
) -> None:
    percent = Discount(percent=Decimal(10), valid_days=30)
    amount = Discount(amount_cents=500, currency=composer.shop.currency, valid_days=14)
    points = Discount(amount_cents=500, currency=composer.shop.currency, valid_days=14, points=500)
    discounts: list[Discount | None] = [percent, amount, points]
    if composer.refuses_discount(info):
        discounts = [None]  # an export with one is refused before any draft
    elif "discount" not in info.needs:
        discounts.append(None)
    cases: list[tuple[Composer, str, int | None]] = [
        (composer, f"demo customer {customer_id}", customer_id)
        for customer_id in _sample_customers(composer, lang)
    ]
    cases.append((worst, "worst-case customer", None))
    seen: set[str] = set()
    for runner, label, customer_id in cases:
        for discount in discounts:
            case = f"{label}, {_describe(discount)}"
            try:
                compiled = runner.compiled(info, lang, address_form=form)
                if customer_id is None:
                    data = worst_case_customer()
                else:
                    record = runner.loader.records([customer_id])[customer_id]
                    rule = reorder_rule(info)
                    data = runner.loader.load([record], compiled.needs, rule)[customer_id]
                runner.render_data(compiled, data, discount)
                report.renders += 1
            except (TemplateError, ComposeError) as exc:
                message = str(exc)
                if message not in seen:  # the same mistake hit by several cases: once
                    seen.add(message)
                    shown = form if lang in info.formal_languages else None
                    report.problems.append(CheckProblem(info.name, lang, case, message, shown))


def _describe(discount: Discount | None) -> str:
    if discount is None:
        return "no discount"
    if discount.points is not None:
        return "points code"
    return "percent discount" if discount.percent is not None else "amount discount"


def _sample_customers(composer: Composer, lang: str) -> list[int]:
    """Two customers of this language: the one with most orders and the latest first-timer,
    so both the repeat-customer and the new-customer wording are rendered."""
    rows = composer.store.execute(
        """
        SELECT * FROM (SELECT c.id FROM customers c JOIN customer_stats s ON s.customer_id = c.id
                       WHERE c.language = ? ORDER BY s.orders DESC, c.id LIMIT 1)
        UNION ALL
        SELECT * FROM (SELECT c.id FROM customers c JOIN customer_stats s ON s.customer_id = c.id
                       WHERE c.language = ? AND s.orders = 1 ORDER BY s.last_day DESC, c.id LIMIT 1)
        """,
        (lang, lang),
    ).fetchall()
    return [int(row[0]) for row in rows]
