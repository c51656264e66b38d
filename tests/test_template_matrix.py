"""Every shipped template x language, on the demo shop and the worst-case customer (issue 12).

One parametrized test per property, over CASES: template x language x address form (the
shop's `shop.address_form`; en and nb have one form, so a formal shop gets their informal
files). Each case renders for demo customers the template is for and for the
worst-case customer, and checks what the words promise: a preheader, the website once, an
attached discount shown (code, value, expiry, in the text and the HTML) or refused.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.compose import ComposeError, Composer, Discount, Draft
from core.compose.context import worst_case_customer
from core.compose.formatting import format_day
from core.demo import load_demo
from core.shop_settings import load_shop_settings
from core.store import Store, open_store
from tui.cli import build_app

TODAY = date(2026, 11, 5)
TEMPLATES = ("come-back-bestsellers", "feedback", "loyalty", "thank-you", "win-back")
LANGUAGES = ("de", "en", "it", "nb", "nl")
FORMS = ("informal", "formal")
FORMAL_LANGUAGES = ("de", "it", "nl")
CASES = [(template, lang, form) for template in TEMPLATES for lang in LANGUAGES for form in FORMS]
DISCOUNTS = (
    Discount(percent=Decimal(10), valid_days=30),
    Discount(amount_cents=500, currency="EUR", valid_days=14, code="WELCOME5"),
    Discount(percent=Decimal(10), valid_days=30, min_order_cents=3000),
)
REFUSED = {"thank-you", "feedback"}
PREHEADER = re.compile(r'<div style="display:none;[^"]*">([^<]+?)&#847;')


@cache
def demo_store() -> Store:
    store = open_store(":memory:")
    load_demo(store, today=TODAY)
    return store


def composer(form: str = "informal") -> Composer:
    """A composer for the demo shop as if its `shop.address_form` were `form`."""
    store = demo_store()
    shop = replace(load_shop_settings(store), address_form=form)
    return Composer(store, Path("/nonexistent-owner-templates"), today=TODAY, shop=shop)


@cache
def audience(template: str) -> tuple[int, ...]:
    """Two demo customers the template drafts (its audience as of the demo's date)."""
    c = composer()
    ids = [row[0] for row in demo_store().execute("SELECT id FROM customers ORDER BY id")]
    discount = DISCOUNTS[0] if template == "win-back" else None
    included = [r.customer_id for r in c.exact_recipients(
        c.recipients(ids, template, discount=discount), template) if r.included]  # fmt: skip
    assert len(included) >= 2, f"the demo shop has nobody for {template}"
    return tuple(included[:2])


def renders(template: str, lang: str, form: str, discount: Discount | None) -> list[Draft]:
    c = composer(form)
    drafts = [c.render(cid, template, lang, discount) for cid in audience(template)]
    for draft in drafts:
        assert draft.excluded is None
    compiled = c.compiled(c.template(template), lang)
    assert compiled.form == (form if lang in FORMAL_LANGUAGES else "informal")
    drafts.append(c.render_data(compiled, worst_case_customer(), discount))
    return drafts


@pytest.mark.parametrize(("template", "lang", "form"), CASES)
def test_renders_on_the_demo_and_the_worst_case(template: str, lang: str, form: str) -> None:
    discount = DISCOUNTS[0] if template == "win-back" else None
    for draft in renders(template, lang, form, discount):
        assert draft.language == lang
        for text in (draft.subject, draft.text, draft.html or ""):
            assert "None" not in text and " ," not in text and "  ." not in text
        assert draft.html is not None


@pytest.mark.parametrize(("template", "lang", "form"), CASES)
def test_html_has_a_preheader_and_the_website_once(template: str, lang: str, form: str) -> None:
    discount = DISCOUNTS[0] if template == "win-back" else None
    website = composer().shop.website
    assert website
    for draft in renders(template, lang, form, discount):
        assert draft.html is not None
        match = PREHEADER.search(draft.html)
        assert match and len(match[1].strip()) > 20, draft.html[:600]
        assert draft.html.count(f'href="{website}"') == 1
        assert len(re.findall(rf"{re.escape(website)}(?![/?])", draft.text)) == 1


@pytest.mark.parametrize(("template", "lang", "form"), CASES)
def test_a_discount_is_shown_or_refused(template: str, lang: str, form: str) -> None:
    c = composer(form)
    info = c.template(template)
    if template in REFUSED:
        assert c.refuses_discount(info)
        with pytest.raises(ComposeError, match="takes no discount"):
            c.check_ready(info, DISCOUNTS[0])
        return
    assert c.refuses_discount(info) is None
    for discount in DISCOUNTS:
        for draft in renders(template, lang, form, discount):
            code = discount.code_for(template)
            assert draft.discount_code == code
            expiry = format_day(discount.expires(TODAY), "long", draft.locale)
            value = "5" if discount.amount_cents else "10"
            for body in (draft.text, draft.html or ""):
                assert code in body and expiry in body, body
                assert re.search(rf"\b{value}\s?(%|\xa0%|\xa0€|€)|€\xa0?{value}\b", body)
                # A minimum order the shop's coupon requires is said next to the expiry.
                has_minimum = bool(re.search(r"\b30\s?(\xa0€|€)|€\xa0?30\b", body))
                assert has_minimum == (discount.min_order_cents is not None), body


def test_the_cli_refuses_a_discount_with_exit_2_and_one_line(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with open_store(db, create=True) as store:
        load_demo(store, today=TODAY)
    result = CliRunner().invoke(
        build_app(),
        ["export", "--db", str(db), "-t", "feedback", "-c", "1", "--discount", "10%",
         "--dry-run", "--templates", str(tmp_path / "mine")],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert "'feedback' takes no discount" in result.output
    assert "export without a discount" not in result.output  # CLI words: --discount
    assert "export without --discount" in result.output


def test_an_owners_template_that_never_shows_a_discount_refuses_one(tmp_path: Path) -> None:
    from tests.compose_support import FOOTER_EN, write_template

    write_template(tmp_path, "news", {"en.subject.txt": "News", "en.txt": "Hi" + FOOTER_EN})
    offer = {"en.subject.txt": "Offer", "en.txt": "{{ discount.code if discount }}" + FOOTER_EN,
             "de.subject.txt": "Angebot", "de.txt": "Hallo" + FOOTER_EN}  # fmt: skip
    write_template(tmp_path, "offer", offer)
    c = Composer(demo_store(), tmp_path, today=TODAY)
    with pytest.raises(ComposeError, match="'news' never shows a discount in en"):
        c.check_ready(c.template("news"), DISCOUNTS[0])
    with pytest.raises(ComposeError, match="'offer' never shows a discount in de"):
        c.check_ready(c.template("offer"), DISCOUNTS[0])
    c.check_ready(c.template("news"), None)  # without one it is fine


PACKING = {"de": "Wir packen sie", "en": "We're packing it", "it": "Lo stiamo preparando",
           "nl": "We pakken hem", "nb": "Vi pakker den"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("form", FORMS)
def test_thank_you_says_packing_only_while_unfulfilled(
    lang: str, form: str, tmp_path: Path
) -> None:
    from tests.compose_support import build_shop

    store = build_shop()
    store.set_setting("shop.address_form", form)
    c = Composer(store, tmp_path / "mine", today=TODAY)
    for state, packing in (("unfulfilled", True), ("partial", False), ("fulfilled", False),
                           (None, False)):  # fmt: skip
        store.execute("UPDATE orders SET fulfillment = ? WHERE external_id = '1005'", (state,))
        draft = c.render(3, "thank-you", lang)  # Sanne's last order is 1005
        for body in (draft.text, draft.html or ""):
            assert (PACKING[lang] in body) == packing, (state, body)
