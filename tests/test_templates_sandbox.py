"""Templates run sandboxed and strict: escapes are refused and typos are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.compose import Composer, TemplateError
from core.store import Store
from tests.compose_support import FOOTER_EN, build_shop, composer_for, write_template


@pytest.fixture(scope="module")
def shop() -> Store:
    return build_shop()


def render_text(shop: Store, folder: Path, body: str) -> str:
    """Render `body` as an owner's English text template for customer 1."""
    write_template(folder, "probe", {"en.subject.txt": "Probe", "en.txt": body + FOOTER_EN})
    composer: Composer = composer_for(shop, folder)
    return composer.render(1, "probe", lang="en").text


ESCAPES = [
    ("{{ ''.__class__ }}", "not allowed in templates"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "not allowed in templates"),
    ("{{ customer.__class__ }}", "not allowed in templates"),
    ("{{ customer._label }}", "not allowed in templates"),
    ("{{ cycler.__init__.__globals__ }}", "not allowed in templates"),
    ("{{ (customer|attr('__class__')) }}", "No filter named 'attr'"),
    ("{{ '{0.__class__}'.format(customer) }}", "not allowed in templates"),
    ("{{ customer.update({'first_name': 'x'}) }}", "not allowed in templates"),
    ("{{ orders.append(1) }}", "not allowed in templates"),
    ("{% for i in range(10**9) %}{% endfor %}", "OverflowError: Range too big"),
    ("{{ lipsum.__globals__['os'] }}", "not allowed in templates"),
]


@pytest.mark.parametrize(("source", "message"), ESCAPES)
def test_sandbox_escapes_are_refused_with_a_clear_error(
    shop: Store, tmp_path: Path, source: str, message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        render_text(shop, tmp_path, source)
    assert message in str(caught.value)
    assert caught.value.template == "probe/en.txt" and caught.value.line == 1


TYPOS = [
    ("{{ customer.fist_name }}", "customer has no field 'fist_name' (did you mean 'first_name'?)"),
    ("{{ custmer.first_name }}", "unknown variable 'custmer' (did you mean 'customer'?)"),
    ("{{ last_order.totl }}", "order has no field 'totl' (did you mean 'total'?)"),
    ("{{ shop.adress }}", "shop has no field 'adress'"),
    ("{{ customer.first_name|monay }}", "No filter named 'monay'"),
    ("{{ customer.first_name|money }}", "money: money expects a number, got str"),
    ("{{ customer.first_name|date }}", "date: date expects a date, got str"),
    ("{% if customer.nickname %}x{% endif %}", "customer has no field 'nickname'"),
    ("{{ customer.nickname|first_name_or('x') }}", "customer has no field 'nickname'"),
    ("{{ discount.code }}", "cannot read 'code' of an empty value"),
    ("{% for x in customer.fist_name %}{% endfor %}", "customer has no field 'fist_name'"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ("{% include '../../etc/passwd' %}", "template file not found"),
    ("{% if %}", "Expected an expression"),
]


@pytest.mark.parametrize(("source", "message"), TYPOS)
def test_mistakes_are_errors_naming_what_and_where(
    shop: Store, tmp_path: Path, source: str, message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        render_text(shop, tmp_path, "Hello\n" + source)
    assert message in caught.value.message
    assert caught.value.template == "probe/en.txt"
    assert caught.value.line == 2


def test_defaults_and_filters_keep_owner_logic_small(shop: Store, tmp_path: Path) -> None:
    body = (
        "{{ customer|greeting }}|{{ customer|first_name_or('there') }}|"
        "{{ customer|name_or('friend') }}|{{ customer.nickname|default('pal') }}|"
        "{{ customer.spent|money }}|{{ customer.spent }}|{{ last_order.date|date('short') }}|"
        "{{ 12.5|percent }}|{{ 1234567|number }}|{{ customer.spent|money('NOK') }}"
    )
    line = render_text(shop, tmp_path, body).splitlines()[0]
    # An English template for a customer in Germany: English words, German number formats.
    assert line == (
        "Hi Jürgen,|Jürgen|Jürgen Müller|pal|83,50\xa0€|83,50\xa0€|20/10/2026|12,5\xa0%|"
        "1.234.567|83,50\xa0NOK"
    )


def test_html_is_escaped_but_text_is_not(shop: Store, tmp_path: Path) -> None:
    files = {"en.subject.txt": "x", "en.txt": "{{ last_order.lines[1].product }}" + FOOTER_EN,
             "en.html": "<p>{{ last_order.lines[1].product }}</p>{% include "
                        "'_shared/footer.en.html' %}"}  # fmt: skip
    write_template(tmp_path, "esc", files)
    draft = composer_for(shop, tmp_path).render(1, "esc")
    assert draft.text.startswith('Mug "Nordlicht"')
    assert draft.html is not None and draft.html.startswith("<p>Mug &#34;Nordlicht&#34;</p>")
