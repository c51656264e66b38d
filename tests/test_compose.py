"""The composer: languages, who is left out and why, and what a rendered draft says."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core import recommend
from core.compose import ComposeError, Composer, Discount, Draft, Recipient, TemplateError
from core.recommend.precompute import rebuild, refresh_customers
from core.store import Store
from tests.compose_support import (
    FOOTER_EN,
    add_collector,
    build_shop,
    composer_for,
    decided_by_drafting,
    traced,
    write_picks,
    write_template,
)


@pytest.fixture
def shop() -> Store:
    return build_shop()


@pytest.fixture
def composer(shop: Store, tmp_path: Path) -> Composer:
    return composer_for(shop, tmp_path / "templates")


def reasons(recipients: list[Recipient]) -> dict[int, str | None]:
    return {r.customer_id: r.reason for r in recipients}


# -- language ------------------------------------------------------------------------------


def test_language_is_the_customers_own_when_the_template_has_it(composer: Composer) -> None:
    languages = {
        r.customer_id: r.language for r in composer.recipients([1, 2, 3, 4, 5], "feedback")
    }
    assert languages == {1: "de", 2: "it", 3: "nl", 4: "nb", 5: "en"}


def test_language_falls_back_to_country_then_shop_default(shop: Store, composer: Composer) -> None:
    # Marie speaks French (no template) in France (no mapping): the shop's default, German.
    assert composer.recipients([10], "feedback")[0].language == "de"
    shop.execute("UPDATE customers SET country = 'BE' WHERE id = 10")
    assert composer.recipients([10], "feedback")[0].language == "nl"  # Belgium -> Dutch
    shop.execute("UPDATE customers SET country = NULL WHERE id = 10")
    shop.set_setting("shop.default_language", "it")
    composer.refresh()
    assert composer.recipients([10], "feedback")[0].language == "it"


def test_lang_option_overrides_and_must_exist(composer: Composer) -> None:
    assert {r.language for r in composer.recipients([1, 2, 3], "feedback", lang="en")} == {"en"}
    with pytest.raises(ComposeError, match="has no 'fr' version"):
        composer.render(1, "feedback", lang="fr")


# -- recipients ----------------------------------------------------------------------------


def test_thank_you_goes_to_recent_buyers_even_without_consent(composer: Composer) -> None:
    got = reasons(composer.recipients([1, 2, 3, 4, 6, 9, 11, 15, 999], "thank-you"))
    assert got == {
        1: "order_too_old",  # 20 October, 11 days before the as-of date: past thank-you's 7
        2: "order_too_old",  # April: no thank-you half a year later
        3: None,
        4: "order_too_old",
        6: None,  # transactional: consent is not needed
        9: "no_email",
        11: "bad_email",
        15: "no_order",
        999: "unknown",
    }


def test_marketing_needs_consent(composer: Composer) -> None:
    discount = Discount(percent=Decimal(10))
    got = reasons(composer.recipients([2, 6, 12, 9], "win-back", discount=discount))
    assert got == {2: None, 6: "no_consent", 12: "no_consent", 9: "no_email"}


def test_come_back_waits_six_months_and_needs_something_to_recommend(composer: Composer) -> None:
    got = reasons(composer.recipients([1, 2, 4, 15], "come-back-bestsellers"))
    assert got == {1: "ordered_recently", 2: None, 4: None, 15: "no_order"}


def test_the_list_never_reads_anyones_order_lines(shop: Store, composer: Composer) -> None:
    """Who gets a draft comes from customer rows and figures, for every template: a segment
    of 200,000 used to wait for everybody's recommendations before its first preview."""
    statements = traced(shop)
    got = reasons(composer.recipients(list(range(1, 16)), "come-back-bestsellers"))
    assert got[2] is None and got[1] == "ordered_recently"
    assert statements and [s for s in statements if "order_lines" in s] == []


def test_a_preview_reads_recommendations_for_its_customer_only(
    shop: Store, composer: Composer
) -> None:
    composer.warm("come-back-bestsellers")  # the shop-wide evidence, read once
    statements = traced(shop)
    composer.render(2, "come-back-bestsellers")
    # What customers bought comes from `customer_products` (kept by every import), read for
    # this customer alone; no order line is read at all (names came with the evidence).
    products_read = [s for s in statements if "customer_products" in s]
    assert len(products_read) == 1 and "json_each('[2]')" in products_read[0]
    assert [s for s in statements if "order_lines" in s] == []


def test_nothing_to_recommend_is_found_when_the_draft_is_made(
    shop: Store, composer: Composer
) -> None:
    add_collector(shop)  # Ola (4) has bought every bestseller
    assert reasons(composer.recipients([2, 4], "come-back-bestsellers")) == {2: None, 4: None}
    assert composer.render(4, "come-back-bestsellers").excluded == "no_recommendations"
    assert composer.render(2, "come-back-bestsellers").excluded is None
    items = list(composer.drafts([4, 2, 4], "come-back-bestsellers"))
    assert [type(item) for item in items] == [Recipient, Draft, Recipient]
    reasons_found = [getattr(item, "reason", None) for item in items]
    assert reasons_found == ["no_recommendations", None, "duplicate"]


@pytest.mark.parametrize("template", ["come-back-bestsellers", "picks"])
@pytest.mark.parametrize("whole_shop_from", [0, 10_000], ids=["whole-shop", "few-customers"])
def test_exact_recipients_agree_with_what_drafting_decides(
    shop: Store,
    composer: Composer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    template: str,
    whole_shop_from: int,
) -> None:
    """Both ways (a pass over every customer's products, or looking up a few customers)
    decide as render() and drafts()."""
    monkeypatch.setattr(recommend, "WHOLE_SHOP_FROM", whole_shop_from)
    add_collector(shop)  # Ola (4) has bought every bestseller
    write_picks(tmp_path / "templates")
    composer.refresh()
    ids = [*range(1, 16), 4, 999]
    exact = composer.exact_recipients(composer.recipients(ids, template), template)
    assert [r.reason for r in exact] == decided_by_drafting(composer, ids, template)
    assert exact[3].reason == "no_recommendations"
    for recipient in exact[:15]:
        if recipient.reason in (None, "no_recommendations"):
            assert composer.render(recipient.customer_id, template).excluded == recipient.reason
    assert composer.nothing_to_recommend(range(1, 16)) == {4}
    assert composer.nothing_to_recommend([]) == set()


def test_without_bestsellers_nobody_has_anything_to_recommend(
    shop: Store, composer: Composer, tmp_path: Path
) -> None:
    with shop.write() as conn:  # orders without lines: no products at all
        conn.execute("DELETE FROM order_lines")
        rebuild(conn)  # written behind the import's back: the recommendations' tables too
    template = write_picks(tmp_path / "templates")
    composer.refresh()
    assert composer.nothing_to_recommend([2, 4, 15]) == {2, 4, 15}
    ids = list(range(1, 16))
    exact = composer.exact_recipients(composer.recipients(ids, template), template)
    assert [r.reason for r in exact] == decided_by_drafting(composer, ids, template)
    assert {r.reason for r in exact} == {"no_recommendations", "no_email", "bad_email"}


def test_refresh_reads_the_bestsellers_again(shop: Store, composer: Composer) -> None:
    add_collector(shop)
    assert composer.render(4, "come-back-bestsellers").excluded == "no_recommendations"
    with shop.write() as conn:  # Giulia buys a product Ola has never bought
        conn.execute(
            "INSERT INTO order_lines(order_id, position, sku, product, quantity, unit_price) "
            "SELECT id, 9, 'TEA-NEW', 'New tea', 1, 500 FROM orders WHERE customer_id = 2"
        )
        refresh_customers(conn, [2])  # as an import would
    composer.refresh()
    assert composer.nothing_to_recommend([4]) == set()
    assert composer.render(4, "come-back-bestsellers").excluded is None


def test_the_same_customer_twice_is_drafted_once(composer: Composer) -> None:
    got = [r.reason for r in composer.recipients([1, 1], "feedback")]
    assert got == [None, "duplicate"]


def test_reasons_have_words_for_the_app(composer: Composer) -> None:
    excluded = composer.recipients([9], "feedback")[0]
    assert not excluded.included
    assert excluded.reason_text == "no email address"
    assert excluded.to_dict()["reason"] == "no_email"


def test_drafts_keep_the_order_of_the_list(composer: Composer) -> None:
    items = list(composer.drafts([15, 3, 9], "thank-you"))
    assert [type(item) for item in items] == [Recipient, Draft, Recipient]
    assert [item.customer_id for item in items] == [15, 3, 9]


# -- rendering -----------------------------------------------------------------------------


def test_preview_is_personal_and_localised(composer: Composer) -> None:
    draft = composer.render(1, "thank-you")
    assert draft.language == "de" and draft.locale == "de_DE"
    assert draft.subject == "Danke für deine Bestellung, Jürgen!"
    assert draft.text.startswith("Hallo Jürgen,\n")
    assert "1003 vom 20. Oktober 2026" in draft.text  # the last order that counts
    assert "3 × Earl Grey 100 g  (20,70\xa0€)" in draft.text
    # No shipping column in the fixture: shipping is what the lines leave of the total.
    assert "Zwischensumme: 35,20\xa0€\n  Versand: 4,90\xa0€\n  Gesamt: 40,10\xa0€" in draft.text
    assert "3-mal bei uns bestellt" in draft.text
    assert draft.html is not None and "Mug &#34;Nordlicht&#34;" in draft.html
    assert draft.to_name == "Jürgen Müller" and draft.to_address == "juergen.mueller@example.org"
    assert draft.headers["From"] == "Nordlicht Tee & Kaffee <hallo@nordlicht.example>"
    assert "List-Unsubscribe" not in draft.headers  # transactional
    assert draft.excluded == "order_too_old"  # the preview still shows who is left out


def test_money_follows_the_customers_locale(composer: Composer) -> None:
    assert "Totaal: €\xa010,40" in composer.render(3, "thank-you").text
    assert "(5,50\xa0€)" not in composer.render(3, "thank-you").text
    assert "Total: €33.90" in composer.render(5, "thank-you").text


def test_greeting_and_subject_without_a_first_name(composer: Composer) -> None:
    draft = composer.render(6, "thank-you")
    assert draft.subject == "Danke für deine Bestellung!"
    assert draft.text.startswith("Hallo,\n")


def test_first_time_and_repeat_customers_read_different_lines(composer: Composer) -> None:
    assert "zum ersten Mal" in composer.render(6, "thank-you").text
    assert "zum ersten Mal" not in composer.render(1, "thank-you").text


def test_marketing_drafts_carry_unsubscribe(composer: Composer) -> None:
    draft = composer.render(1, "feedback")
    assert draft.unsubscribe_url == "https://nordlicht.example/unsubscribe?c=1"
    assert draft.headers["List-Unsubscribe"] == (
        "<https://nordlicht.example/unsubscribe?c=1>, "
        "<mailto:unsubscribe@nordlicht.example?subject=unsubscribe>"
    )
    assert draft.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://nordlicht.example/unsubscribe?c=1" in draft.text
    assert "https://nordlicht.example/feedback?c=1&amp;score=10" in (draft.html or "")
    assert "Hafenstraße 12" in draft.text


def test_discount_code_value_and_expiry(composer: Composer) -> None:
    draft = composer.render(2, "win-back", discount=Discount(percent=Decimal(10), valid_days=30))
    assert draft.discount_code == "WINBACK10"
    assert "sconto del 10%" in draft.text
    assert "valido fino al 5 dicembre 2026" in draft.text
    fixed = Discount(amount_cents=500, currency="EUR", valid_days=14, code="KOMMZURUECK")
    draft = composer.render(1, "win-back", discount=fixed)
    assert draft.discount_code == "KOMMZURUECK"
    assert "5\xa0€ Rabatt" in draft.subject  # a whole amount reads without ",00"
    assert "Der Code gilt bis zum 19. November 2026." in draft.text


def test_recommendations_are_bestsellers_not_yet_bought(composer: Composer) -> None:
    draft = composer.render(2, "come-back-bestsellers")  # Giulia bought espresso only
    assert "• Earl Grey 100 g – 6,90\xa0€" in draft.text
    assert "Espresso" not in draft.text


def test_customer_data_never_becomes_markup_headers_or_control_codes(composer: Composer) -> None:
    html = composer.render(14, "feedback").html or ""
    assert "<script>" not in html and "Björn &lt;script&gt;" in html
    assert "Hei Björn <script>alert(1)</script>," in composer.render(14, "feedback").text
    escaped = composer.render(13, "thank-you")
    assert "\x1b" not in escaped.text + escaped.subject + escaped.to_name
    injected = composer.render(8, "thank-you")
    for value in (injected.subject, injected.to_name):
        assert not any(ch in value for ch in "\r\n\u2028")
    assert injected.to_name == "Eve Bcc: victim@example.com Evil X-Injected: 1"


def test_excluded_customers_can_still_be_previewed(composer: Composer) -> None:
    draft = composer.render(6, "feedback")
    assert draft.excluded == "no_consent"


# -- refusals ------------------------------------------------------------------------------


def test_marketing_refuses_without_unsubscribe_setting(tmp_path: Path) -> None:
    settings = {"shop.name": "Laden", "shop.from": "laden@example.de",
                "shop.postal_address": "Weg 1, 12345 Stadt"}  # fmt: skip
    composer = composer_for(build_shop(settings=settings), tmp_path)
    with pytest.raises(
        ComposeError, match=r"shop\.unsubscribe_url \(or shop\.unsubscribe_mailto\)"
    ):
        composer.drafts([1], "feedback")
    assert list(composer.drafts([1], "thank-you"))  # transactional drafts need no unsubscribe


def test_win_back_needs_a_discount(composer: Composer) -> None:
    with pytest.raises(ComposeError, match="--discount"):
        composer.drafts([1], "win-back")


def test_loyalty_is_offered_and_shows_the_balance(composer: Composer) -> None:
    from core.loyalty import balances

    offered = [info.name for info in composer.templates(available_only=True)]
    assert "loyalty" in offered and "thank-you" in offered
    status = balances(composer.store, composer.as_of, [1])[1]
    draft = composer.render(1, "loyalty")
    assert f"{status.points:,}".replace(",", "") in draft.text.replace(",", "").replace(".", "")


def test_unknown_template_lists_the_available_ones(composer: Composer) -> None:
    with pytest.raises(
        ComposeError, match="available: come-back-bestsellers, detractor-follow-up, feedback"
    ):
        composer.render(1, "thanks")


# -- owner templates -----------------------------------------------------------------------


def test_owner_template_replaces_the_shipped_one(shop: Store, tmp_path: Path) -> None:
    files = {"en.subject.txt": "Cheers, {{ customer|first_name_or('friend') }}",
             "en.txt": "Thanks!\n{{ shop.postal_address }}"}  # fmt: skip
    write_template(tmp_path, "thank-you", files, kind="transactional")
    composer = composer_for(shop, tmp_path)
    info = composer.template("thank-you")
    assert info.source == "user" and info.overrides_shipped and info.languages == ("en",)
    draft = composer.render(6, "thank-you")
    assert draft.subject == "Cheers, friend" and draft.html is None


def test_typo_names_field_template_and_line(shop: Store, tmp_path: Path) -> None:
    files = {"en.subject.txt": "Hello", "en.txt": "Hi\n\n{{ customer.fist_name }}\n" + FOOTER_EN}
    write_template(tmp_path, "typo", files)
    with pytest.raises(TemplateError) as caught:
        composer_for(shop, tmp_path).render(1, "typo")
    error = caught.value
    assert (error.template, error.line) == ("typo/en.txt", 3)
    assert "customer has no field 'fist_name' (did you mean 'first_name'?)" in str(error)
    assert str(error).startswith("typo/en.txt, line 3: ")


def test_errors_inside_shared_files_point_there(shop: Store, tmp_path: Path) -> None:
    shared = tmp_path / "_shared"
    shared.mkdir(parents=True)
    (shared / "footer.en.txt").write_text("{{ shop.postal_address }}\n{{ shop.nope }}\n")
    write_template(tmp_path, "news", {"en.subject.txt": "Hi", "en.txt": "Hi\n" + FOOTER_EN})
    with pytest.raises(TemplateError) as caught:
        composer_for(shop, tmp_path).render(1, "news")
    assert (caught.value.template, caught.value.line) == ("_shared/footer.en.txt", 2)


def test_marketing_text_without_unsubscribe_is_refused(shop: Store, tmp_path: Path) -> None:
    write_template(
        tmp_path, "bare", {"en.subject.txt": "Hi", "en.txt": "{{ shop.postal_address }}"}
    )
    with pytest.raises(TemplateError, match="a way to unsubscribe") as caught:
        composer_for(shop, tmp_path).render(1, "bare")
    assert caught.value.template == "bare/en.txt"


def test_every_email_shows_the_postal_address(shop: Store, tmp_path: Path) -> None:
    files = {"en.subject.txt": "Hi", "en.txt": "Thanks"}
    write_template(tmp_path, "short", files, kind="transactional")
    with pytest.raises(TemplateError, match="postal address"):
        composer_for(shop, tmp_path).render(1, "short")


def test_edited_sources_preview_live_and_report_syntax_errors(composer: Composer) -> None:
    draft = composer.render(
        3, "thank-you", sources={"subject": "Dank je, {{ customer.first_name }}"}
    )
    assert draft.subject == "Dank je, Sanne"
    with pytest.raises(TemplateError) as caught:
        composer.render(3, "thank-you", sources={"text": "Hoi\n{% if %}\n"})
    assert caught.value.template == "thank-you/nl.txt" and caught.value.line == 2


def test_empty_subject_is_an_error(composer: Composer) -> None:
    with pytest.raises(TemplateError, match="subject is empty"):
        composer.render(1, "thank-you", sources={"subject": "{{ '' }}\n"})


# -- segments ------------------------------------------------------------------------------


def test_rfm_and_segments_reach_templates(shop: Store, tmp_path: Path) -> None:
    text = "{{ customer.rfm_segment }}|{{ customer.segments|join(', ') }}|{{ customer.r }}\n"
    write_template(tmp_path, "seg", {"en.subject.txt": "x", "en.txt": text + FOOTER_EN})
    composer = composer_for(shop, tmp_path)
    assert composer.compiled(composer.template("seg"), "en").needs.segments
    first = composer.render(1, "seg").text.splitlines()[0]
    assert first.startswith("Can't Lose Them|") and "vip" in first.split("|")[1]
    assert composer.render(15, "seg").text.splitlines()[0] == "None||None"  # never ordered


def test_segment_fields_load_even_when_reached_indirectly(shop: Store, tmp_path: Path) -> None:
    text = "{% set someone = customer %}{{ someone.segments|length > 0 }}\n"
    write_template(tmp_path, "alias", {"en.subject.txt": "x", "en.txt": text + FOOTER_EN})
    composer = composer_for(shop, tmp_path)
    assert not composer.compiled(composer.template("alias"), "en").needs.segments
    assert composer.render(1, "alias").text.startswith("True")
    drafts = list(composer.drafts([1, 2], "alias"))
    assert [d.text.splitlines()[0] for d in drafts if isinstance(d, Draft)] == ["True", "True"]


def test_warm_compiles_every_available_template(composer: Composer) -> None:
    composer.warm()
    assert set(composer._compiled) == {
        (name, lang, "informal")  # the shop's address form (the default)
        for name in (
            "thank-you",
            "win-back",
            "come-back-bestsellers",
            "feedback",
            "loyalty",
            "detractor-follow-up",
            "promoter-ask",
        )
        for lang in ("de", "en", "it", "nb", "nl")
    }
    recommender = composer.loader._recommender  # read once, for come-back-bestsellers
    assert recommender is not None and recommender._evidence is not None
