"""Formal or informal address (`shop.address_form`): the setting, the `<lang>.formal.*`
files, greetings per form, and `templates check` rendering both forms."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import Static
from typer.testing import CliRunner

from core.compose import Composer, list_templates
from core.compose.check import check_templates
from core.compose.context import worst_case_customer
from core.compose.discount import Discount
from core.importers import import_file
from core.shop_settings import SettingError, load_shop_settings, set_setting
from core.store import Store, open_store
from tests.compose_support import FOOTER_EN, TODAY, build_shop, composer_for, write_template
from tests.tui_email_fixtures import (  # noqa: F401
    choose,
    compose_for_segment,
    email_app_fixture,
    home_fixture,
)
from tests.tui_fixtures import pilot_test, shop_db_fixture  # noqa: F401
from tui.app import RetainApp
from tui.cli import build_app

app = build_app()
runner = CliRunner()

SHIPPED = ("come-back-bestsellers", "detractor-follow-up", "feedback", "loyalty",
           "promoter-ask", "thank-you", "win-back")  # fmt: skip
FORMAL_LANGUAGES = ("de", "it", "nl")
# Words only one form uses, per language: a formal draft must contain none of the informal
# ones and the other way round (whole words; `Sie`/`Ihnen`/`Ihr-` are capitalised only as
# the polite form, `u`/`uw` and `lei`/`suo` are never informal).
INFORMAL_WORDS = {
    "de": re.compile(r"\b(du|dich|dir|dein|deine[nmrs]?)\b", re.IGNORECASE),
    "it": re.compile(r"\b(tu|ti|tuo|tua|tuoi|tue|hai|sei)\b", re.IGNORECASE),
    "nl": re.compile(r"\b(je|jij|jou|jouw)\b", re.IGNORECASE),
}
FORMAL_WORDS = {
    "de": re.compile(r"\b(Sie|Ihnen|Ihre?[nmrs]?)\b"),
    "it": re.compile(r"\b(lei|la ringraziamo|suo|sua|suoi|sue|le)\b", re.IGNORECASE),
    "nl": re.compile(r"\b(u|uw)\b", re.IGNORECASE),
}


def _shop(form: str) -> Store:
    store = build_shop()
    set_setting(store, "shop.address_form", form)
    return store


def _visible(text: str) -> str:
    """Text a reader sees: tags, URLs and the shop's (German) name and address removed."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"(https?|mailto):\S+", " ", text)
    return text.replace("Nordlicht Tee & Kaffee", " ").replace("Nordlicht Tee &amp; Kaffee", " ")


# -- the setting ---------------------------------------------------------------------------


def test_the_setting_round_trips_through_config(tmp_path: Path) -> None:
    db = str(tmp_path / "shop.db")
    build_shop(db).close()

    def config(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["config", *args, "--db", db], env={"COLUMNS": "200"})
        return result.exit_code, result.output

    assert config("get", "shop.address_form") == (0, "informal\n")  # the default
    assert config("set", "shop.address_form", " Formal ") == (0, "shop.address_form = formal\n")
    assert config("get", "shop.address_form") == (0, "formal\n")
    code, out = config("list")
    assert code == 0 and re.search(r"shop\.address_form\s+│?\s*formal", out), out
    code, out = config("set", "shop.address_form", "Sie")
    assert code == 2
    assert "shop.address_form: 'Sie': choose informal or formal" in out
    assert config("get", "shop.address_form") == (0, "formal\n")  # the old value is kept
    assert config("unset", "shop.address_form")[0] == 0
    assert config("get", "shop.address_form") == (0, "informal\n")


def test_a_stored_value_that_no_longer_passes_counts_as_informal() -> None:
    store = build_shop()
    with pytest.raises(SettingError, match="choose informal or formal"):
        set_setting(store, "shop.address_form", "du")
    store.set_setting("shop.address_form", "du")  # by hand, or by an older version
    shop = load_shop_settings(store)
    assert shop.address_form == "informal"
    assert "choose informal or formal" in shop.invalid["shop.address_form"]


# -- shipped templates ---------------------------------------------------------------------


def test_every_shipped_template_has_formal_de_it_nl_and_nothing_else(tmp_path: Path) -> None:
    for info in list_templates(tmp_path / "none"):
        assert info.formal_languages == FORMAL_LANGUAGES, info.name
        assert not info.problems, info.name


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("lang", ("de", "en", "it", "nb", "nl"))
@pytest.mark.parametrize("form", ("informal", "formal"))
def test_every_template_language_and_form_renders_in_that_form(
    name: str, lang: str, form: str, tmp_path: Path
) -> None:
    """On a demo customer (in that language) and the worst-case customer: subject, text and
    HTML are written in one form, with the greeting of that form."""
    store = _shop(form)
    composer = composer_for(store, tmp_path / "none")
    info = next(info for info in composer.templates() if info.name == name)
    compiled = composer.compiled(info, lang)
    written_in = form if lang in FORMAL_LANGUAGES else "informal"
    assert compiled.form == written_in
    assert compiled.text.name == f"{name}/{lang}{'.formal' if written_in == 'formal' else ''}.txt"
    demo = {"de": 1, "it": 2, "nl": 3, "nb": 4, "en": 5}[lang]
    record = composer.loader.records([demo])[demo]
    cases = [composer.loader.load([record], compiled.needs)[demo], worst_case_customer()]
    discount = Discount(percent=Decimal(10), valid_days=30)
    for data in cases:
        draft = composer.render_data(compiled, data, discount)
        assert draft.html is not None
        if lang in FORMAL_LANGUAGES:
            wrong = (INFORMAL_WORDS if written_in == "formal" else FORMAL_WORDS)[lang]
            for part in (draft.subject, draft.text, draft.html):
                found = wrong.findall(_visible(part))
                assert not found, f"{written_in} {name}/{lang} says {found}:\n{part}"


GREETINGS = {
    # lang: (demo customer id, informal, formal, worst case informal, worst case formal)
    "de": (1, "Hallo Jürgen,", "Guten Tag Jürgen Müller,", "Hallo,", "Guten Tag,"),
    "it": (2, "Ciao Giulia,", "Gentile Giulia Rossi,", "Ciao,", "Buongiorno,"),
    "nl": (3, "Hoi Sanne,", "Beste Sanne de Vries,", "Hallo,", "Beste klant,"),
    "nb": (4, "Hei Ola,", "Hei Ola,", "Hei,", "Hei,"),  # nb stays informal
    "en": (5, "Hi Emily,", "Hi Emily,", "Hello,", "Hello,"),  # en has one form
}


@pytest.mark.parametrize("lang", sorted(GREETINGS))
@pytest.mark.parametrize("form", ("informal", "formal"))
def test_the_greeting_with_and_without_a_name_matches_the_form(
    lang: str, form: str, tmp_path: Path
) -> None:
    customer, informal, formal, nameless_informal, nameless_formal = GREETINGS[lang]
    composer = composer_for(_shop(form), tmp_path / "none")
    draft = composer.render(customer, "feedback", lang=lang)
    assert draft.text.splitlines()[0] == (formal if form == "formal" else informal)
    compiled = composer.compiled(composer.template("feedback"), lang)
    nameless = composer.render_data(compiled, worst_case_customer(), None)
    expected = nameless_formal if form == "formal" else nameless_informal
    assert nameless.text.splitlines()[0] == expected
    assert f'<p style="margin:0 0 16px;">{expected}</p>' in (nameless.html or "")


def test_check_renders_both_forms_of_every_shipped_template(tmp_path: Path) -> None:
    report = check_templates(build_shop(), tmp_path / "none", today=TODAY)
    assert report.ok, [str(p) for p in report.problems]
    # per language and form: 3 customers x discount cases (come-back-bestsellers and loyalty
    # 4: a percentage, an amount, a points code, none; win-back 3; thank-you, feedback,
    # detractor-follow-up and promoter-ask refuse one: 1), in 5 languages informal and 3
    # (de, it, nl) formal
    per_language = 3 * (4 + 4 + 3 + 1 + 1 + 1 + 1)
    assert report.renders == per_language * 5 + per_language * 3


def test_export_writes_formal_drafts_when_the_shop_says_so(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    build_shop(db).close()
    out = tmp_path / "drafts.csv"
    args = ["--db", str(db)]
    assert (
        runner.invoke(app, ["config", "set", "shop.address_form", "formal", *args]).exit_code == 0
    )
    for lang, greeting, subject in (
        ("de", "Guten Tag Jürgen Müller,", "Wie zufrieden sind Sie mit uns?"),
        ("it", "Gentile Jürgen Müller,", "Come valuta la sua esperienza con noi?"),
    ):
        result = runner.invoke(
            app, ["export", "--customer", "1", "--template", "feedback", "--lang", lang,
                  "--out", str(out), "--overwrite", "--as-of", "2026-11-05", *args,
                  "--campaign", f"formal-{lang}", "--min-gap-days", "0"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8-sig")
        assert greeting in text and subject in text, text


# -- owners' templates ---------------------------------------------------------------------

GREET = "{{ customer|greeting }} {{ address_form }}\n" + FOOTER_EN


def test_an_owner_template_without_formal_files_is_written_informally(tmp_path: Path) -> None:
    write_template(tmp_path, "news", {"de.subject.txt": "Neu", "de.txt": GREET})
    composer = Composer(_shop("formal"), tmp_path, today=TODAY)
    info = composer.template("news")
    assert info.formal_languages == () and not info.problems
    draft = composer.render(1, "news", lang="de")
    assert draft.text.startswith("Hallo Jürgen, informal\n")


def test_an_owner_template_with_formal_files_uses_them_when_the_shop_is_formal(
    tmp_path: Path,
) -> None:
    files = {
        "de.subject.txt": "Neu", "de.txt": GREET,
        "de.formal.subject.txt": "Neu für Sie", "de.formal.txt": "Formell: " + GREET,
        "en.subject.txt": "New", "en.txt": GREET,
    }  # fmt: skip
    write_template(tmp_path, "news", files)
    formal = Composer(_shop("formal"), tmp_path, today=TODAY)
    draft = formal.render(1, "news", lang="de")
    assert draft.subject == "Neu für Sie"
    assert draft.text.startswith("Formell: Guten Tag Jürgen Müller, formal\n")
    assert formal.render(1, "news", lang="en").text.startswith("Hi Jürgen, informal\n")
    informal = Composer(_shop("informal"), tmp_path, today=TODAY)
    assert informal.render(1, "news", lang="de").text.startswith("Hallo Jürgen, informal\n")


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"de.formal.subject.txt": "x"}, "de: the formal variant lacks de.formal.txt"),
        ({"de.formal.subject.txt": "x", "de.formal.txt": "x", "de.html": "<p>x</p>"},
         "de: the formal variant lacks de.formal.html"),
        ({"de.formal.subject.txt": "x", "de.formal.txt": "x", "de.formal.html": "x"},
         "de: de.formal.html has no informal de.html beside it"),
        ({"it.formal.subject.txt": "x", "it.formal.txt": "x"},
         "it: formal files without the informal ones (it.subject.txt, it.txt)"),
    ],
)  # fmt: skip
def test_partial_formal_files_are_a_check_problem(
    files: dict[str, str], problem: str, tmp_path: Path
) -> None:
    write_template(tmp_path, "half", {"de.subject.txt": "x", "de.txt": GREET, **files})
    info = {i.name: i for i in list_templates(tmp_path)}["half"]
    assert problem in info.problems and not info.available
    report = check_templates(build_shop(), tmp_path, today=TODAY)
    assert [str(p) for p in report.problems if p.template == "half"] == [
        f"half (template folder): {problem}"
    ]


def test_check_reports_a_mistake_in_the_formal_files_per_form(tmp_path: Path) -> None:
    files = {"de.subject.txt": "x", "de.txt": GREET, "de.formal.subject.txt": "x",
             "de.formal.txt": "{{ customer.nachname }}\n" + GREET}  # fmt: skip
    write_template(tmp_path, "oops", files)
    report = check_templates(build_shop(), tmp_path, today=TODAY)
    problems = [str(p) for p in report.problems if p.template == "oops"]
    assert len(problems) == 1, problems
    assert problems[0].startswith("oops [de, formal] (demo customer 1, ")
    assert "oops/de.formal.txt, line 1: customer has no field 'nachname'" in problems[0]
    as_dict = next(p for p in report.problems if p.template == "oops").to_dict()
    assert as_dict["form"] == "formal" and as_dict["language"] == "de"


def test_templates_lists_and_checks_the_formal_languages(tmp_path: Path) -> None:
    result = runner.invoke(app, ["templates", "--templates", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "de it nl" in result.output, result.output
    listed = runner.invoke(app, ["templates", "--templates", str(tmp_path), "--json"])
    assert {tuple(t["formal_languages"]) for t in json.loads(listed.output)} == {FORMAL_LANGUAGES}


# -- Norwegian -----------------------------------------------------------------------------


def test_nynorsk_customers_get_bokmal_drafts(tmp_path: Path) -> None:
    """`nn` (and `no`) are read as `nb` on import: with no country to go by, a Nynorsk
    customer still gets the Bokmål draft, not the shop's default language (de here)."""
    store = build_shop()
    customers = tmp_path / "nn.csv"
    customers.write_text(
        "customer_id,email,first_name,last_name,country,language,accepts_marketing,tags\n"
        "N1,ingrid@example.no,Ingrid,Haugen,,nn,yes,\n"
        "N2,per@example.no,Per,Lie,,no,yes,\n",
        encoding="utf-8",
    )
    assert import_file(store, customers, "customers").rows_rejected == 0
    ids = [row[0] for row in store.execute("SELECT id FROM customers WHERE email LIKE '%.no'")]
    assert [row[0] for row in store.execute("SELECT DISTINCT language FROM customers "
                                            "WHERE email LIKE '%.no'")] == ["nb"]  # fmt: skip
    composer = composer_for(store, tmp_path / "none")
    assert load_shop_settings(store).default_language == "de"
    recipients = composer.recipients(ids, "come-back-bestsellers")
    assert {r.language for r in recipients} == {"nb"}


# -- the app -------------------------------------------------------------------------------


@pilot_test
async def test_the_compose_screen_previews_drafts_in_the_shops_form(
    email_app: RetainApp, shop_db: Path
) -> None:
    """The app has no settings editor: `config set` changes the form, and the compose
    screen's preview (exactly what is exported) follows it."""
    with open_store(shop_db) as store:
        set_setting(store, "shop.address_form", "formal")
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "come-back-bestsellers", lang="de")
        body = str(screen.query_one("#preview-body", Static).visual)
        assert body.startswith("Guten Tag") and "Ihre letzte Bestellung" in body, body
        assert not INFORMAL_WORDS["de"].search(_visible(body)), body
