"""The shipped `loyalty` template in every language and address form (issue 15): for a
Bronze, a Silver and a Gold (top tier) customer, without a discount, with a points code and
with an ordinary code. It says the balance, the tier and, below the top, the spend still
missing (tiers go by 12-month spend, not points); at the top no next tier; a points code
with its value, code and expiry and that the points go only when it is used; nothing left
unrendered. Rendered through the composer, text and HTML."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.compose import Composer, Discount, Draft
from core.demo import DEMO_SETTINGS
from core.shop_settings import load_shop_settings
from core.store import Store, open_store
from tests.campaign_shop import ShopOrder, import_orders
from tests.loyalty_support import write_customers

TODAY = date(2026, 3, 6)
FORMS = [("en", "informal"), ("nb", "informal")] + [
    (lang, form) for lang in ("de", "it", "nl") for form in ("informal", "formal")
]
CUSTOMERS = {  # number -> (spend in cents, tier, next tier)
    1: (6_000, "Bronze", "Silver"),
    2: (30_000, "Silver", "Gold"),
    3: (150_000, "Gold", None),
}
POINTS_CODE = Discount(amount_cents=500, currency="EUR", valid_days=30, points=500)
PERCENT = Discount(percent=Decimal(10), valid_days=30, min_order_cents=3_000)
TOP_WORDS = {"en": "top tier", "de": "höchste Stufe", "it": "livello più alto",
             "nl": "hoogste niveau", "nb": "høyeste nivå"}  # fmt: skip
SPEND_WORDS = {"en": "12 months", "de": "12 Monaten", "it": "12 mesi", "nl": "12 maanden",
               "nb": "12 månedene"}  # fmt: skip
ONLY_WHEN_USED = {"en": "only when you use the code", "de": "erst abgezogen",
                  "it": "solo quando us", "nl": "pas van", "nb": "først når du bruker"}  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("loyalty-wording")
    shop = open_store(folder / "shop.db", create=True)
    write_customers(shop, folder, len(CUSTOMERS))
    import_orders(shop, folder / "orders.csv", [
        ShopOrder(f"O{n}", n, date(2026, 3, 1), cents) for n, (cents, _, _) in CUSTOMERS.items()
    ])  # fmt: skip
    with shop.write() as conn:
        conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?)", DEMO_SETTINGS.items())
    return shop


def draft(store: Store, customer: int, lang: str, form: str, discount: Discount | None) -> Draft:
    shop = replace(load_shop_settings(store), address_form=form)
    composer = Composer(store, Path("/nonexistent-owner-templates"), today=TODAY, shop=shop)
    return composer.render(customer, "loyalty", lang, discount)


def visible(text: str) -> str:
    """The HTML's words: tags out, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


@pytest.mark.parametrize(("lang", "form"), FORMS)
@pytest.mark.parametrize("customer", sorted(CUSTOMERS))
@pytest.mark.parametrize("discount", [None, POINTS_CODE, PERCENT], ids=["none", "points", "pct"])
def test_every_language_says_what_is_true(
    store: Store, lang: str, form: str, customer: int, discount: Discount | None
) -> None:
    cents, tier, next_tier = CUSTOMERS[customer]
    got = draft(store, customer, lang, form, discount)
    assert got.excluded is None
    points = f"{cents // 10:,}".replace(",", "")  # the balance: 10 points per 1.00
    for part in (got.subject, got.text, visible(got.html or "")):
        assert "{{" not in part and "{%" not in part and "None" not in part, part
        assert re.search(points[:-3] + r"\W?" + points[-3:] if len(points) > 3 else points, part)
    for part in (got.text, visible(got.html or "")):
        assert tier in part
        if next_tier is None:
            assert TOP_WORDS[lang] in part and SPEND_WORDS[lang] not in part
        else:
            assert next_tier in part and SPEND_WORDS[lang] in part
            assert TOP_WORDS[lang] not in part
        if discount is None:
            assert ONLY_WHEN_USED[lang] not in part
            continue
        assert got.discount_code is not None and got.discount_code in part
        assert (ONLY_WHEN_USED[lang] in part) == (discount.points is not None), part
        if discount.points is not None:
            assert "500" in part.replace(discount.code_for("loyalty"), "")
