"""Shipped and owner templates: listing, `templates check`, and every template x language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.compose import list_templates
from core.compose.check import check_templates
from core.compose.context import worst_case_customer
from core.compose.templates import TemplateInfo
from tests.compose_support import (
    DATA,
    FOOTER_EN,
    TODAY,
    build_shop,
    composer_for,
    write_template,
)
from tui.cli import build_app

app = build_app()

SHIPPED = {"thank-you", "win-back", "come-back-bestsellers", "feedback", "loyalty",
           "detractor-follow-up", "promoter-ask"}  # fmt: skip
LANGUAGES = ("de", "en", "it", "nb", "nl")
runner = CliRunner()


def shipped(tmp_path: Path) -> dict[str, TemplateInfo]:
    return {info.name: info for info in list_templates(tmp_path / "none")}


def test_shipped_templates_kinds_and_languages(tmp_path: Path) -> None:
    infos = shipped(tmp_path)
    assert set(infos) == SHIPPED
    assert {name: info.kind for name, info in infos.items()} == {
        "thank-you": "transactional",
        "win-back": "marketing",
        "come-back-bestsellers": "marketing",
        "feedback": "marketing",
        "loyalty": "marketing",
        "detractor-follow-up": "transactional",
        "promoter-ask": "marketing",
    }
    for info in infos.values():
        assert info.languages == LANGUAGES, info.name
        assert info.html_languages == LANGUAGES, info.name
        assert info.source == "shipped" and not info.problems
    assert infos["loyalty"].available and infos["feedback"].available


def test_every_template_and_language_renders_for_shop_and_worst_case(tmp_path: Path) -> None:
    report = check_templates(build_shop(), tmp_path / "none", today=TODAY)
    assert report.ok, [str(p) for p in report.problems]
    assert report.renders == SHIPPED_RENDERS


# 5 languages x (2 shop customers + worst case) x the discounts each template takes:
# come-back-bestsellers and loyalty with a percentage, an amount, a points code and none;
# win-back with any of the three; the four that refuse a discount (thank-you, feedback,
# detractor-follow-up, promoter-ask) without; and de, it, nl again in the formal address.
SHIPPED_RENDERS = (5 + 3) * 3 * (4 + 4 + 3 + 1 + 1 + 1 + 1)


def test_worst_case_texts_have_no_holes(tmp_path: Path) -> None:
    """A customer with nothing known still gets a sensible greeting and no empty phrases."""
    composer = composer_for(build_shop(), tmp_path / "none")
    for name in ("thank-you", "feedback", "come-back-bestsellers", "detractor-follow-up",
                 "promoter-ask"):  # fmt: skip
        for lang in LANGUAGES:
            compiled = composer.compiled(composer.template(name), lang)
            draft = composer.render_data(compiled, worst_case_customer(), None)
            for text in (draft.subject, draft.text):
                assert "None" not in text and " ," not in text and "  ." not in text, text
            assert draft.subject[0].isupper(), draft.subject


def test_translations_are_not_english_copies(tmp_path: Path) -> None:
    composer = composer_for(build_shop(), tmp_path / "none")
    for name in ("thank-you", "feedback", "come-back-bestsellers", "detractor-follow-up",
                 "promoter-ask"):  # fmt: skip
        texts = {lang: composer.render(1, name, lang=lang).text for lang in LANGUAGES}
        assert len(set(texts.values())) == len(LANGUAGES), name


def test_owner_templates_are_listed_with_their_source(tmp_path: Path) -> None:
    write_template(tmp_path, "news", {"en.subject.txt": "Hi", "en.txt": "Hi" + FOOTER_EN})
    write_template(tmp_path, "feedback", {"de.subject.txt": "Hi", "de.txt": "Hi"})
    infos = {info.name: info for info in list_templates(tmp_path)}
    assert infos["news"].source == "user" and infos["news"].languages == ("en",)
    assert infos["feedback"].overrides_shipped and infos["feedback"].languages == ("de",)
    assert infos["thank-you"].source == "shipped"


def test_broken_template_folders_say_what_is_wrong(tmp_path: Path) -> None:
    write_template(tmp_path, "nokind", {"en.subject.txt": "Hi", "en.txt": "x"}, kind="promo")
    write_template(tmp_path, "half", {"de.subject.txt": "Hi"})
    (tmp_path / "notoml").mkdir()
    (tmp_path / "notoml" / "en.txt").write_text("x")
    write_template(tmp_path, "odd", {"en.subject.txt": "Hi", "en.txt": "x"}, extra="needs = [1]\n")
    infos = {info.name: info for info in list_templates(tmp_path)}
    assert "kind must be transactional or marketing, not 'promo'" in infos["nokind"].status
    assert "de: missing de.txt" in infos["half"].status
    assert "template.toml is missing" in infos["notoml"].status
    assert "needs must be a list of names" in infos["odd"].status
    assert not any(infos[name].available for name in ("nokind", "half", "notoml", "odd"))


def test_check_reports_each_error_with_file_and_line(tmp_path: Path) -> None:
    files = {"en.subject.txt": "Hi {{ customer.first_name }}",
             "en.txt": "Hi\n{{ last_order.number }}\n" + FOOTER_EN}  # fmt: skip
    write_template(tmp_path, "sloppy", files)
    report = check_templates(build_shop(), tmp_path, today=TODAY)
    problems = [str(p) for p in report.problems]
    assert len(problems) == 1, problems
    # Its files never use `discount`: it refuses one, so it is checked without.
    assert problems[0].startswith("sloppy [en] (worst-case customer, no discount): ")
    assert "sloppy/en.txt, line 2: cannot read 'number' of an empty value" in problems[0]


def test_templates_command_lists_kind_languages_and_status(tmp_path: Path) -> None:
    result = runner.invoke(app, ["templates", "--templates", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "thank-you" in result.output and "transactional" in result.output
    assert "de en it nb nl" in result.output
    assert "needs loyalty" not in result.output
    as_json = runner.invoke(app, ["templates", "--templates", str(tmp_path), "--json"])
    listed = {item["name"]: item for item in __import__("json").loads(as_json.output)}
    assert set(listed) == SHIPPED
    assert listed["thank-you"]["max_days_since_last_order"] == 7
    assert listed["feedback"]["discount"] == "refused"


@pytest.fixture
def demo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`templates check` loads the demo shop: here a small Shopify shop in the demo's layout."""
    folder = tmp_path / "sample_data"
    folder.mkdir()
    shutil.copy(DATA / "shopify_customers.csv", folder / "customers_export.csv")
    shutil.copy(DATA / "shopify_orders.csv", folder / "orders_export.csv")
    import core.demo

    real = core.demo.shipped_dir
    monkeypatch.setattr(
        core.demo, "shipped_dir", lambda name: folder if name == "sample_data" else real(name)
    )
    return folder


def test_templates_check_command_passes_for_shipped_templates(
    demo_folder: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["templates", "check", "--templates", str(tmp_path / "mine")])
    assert result.exit_code == 0, result.output
    assert "against the demo shop and a worst-case customer: all good" in result.output
    assert "✓ loyalty" in result.output and "needs loyalty" not in result.output


def test_templates_check_command_fails_on_an_owner_error(demo_folder: Path, tmp_path: Path) -> None:
    files = {"en.subject.txt": "Hi [bold]{{ customer.fist_name }}[/bold]", "en.txt": "x"}
    write_template(tmp_path / "mine", "oops", files)
    result = runner.invoke(app, ["templates", "check", "--templates", str(tmp_path / "mine")])
    assert result.exit_code == 1
    assert "✗ oops" in result.output
    assert "oops/en.subject.txt, line 1: customer has no field 'fist_name'" in result.output
    assert "1 problem(s)" in result.output


def test_check_reports_every_distinct_error(tmp_path: Path) -> None:
    files = {"en.subject.txt": "{{ customer.nick }}", "en.txt": "{{ last_order.number }}\n",
             "de.subject.txt": "Hallo", "de.txt": "{{ discount.code }}\n" + FOOTER_EN}  # fmt: skip
    write_template(tmp_path, "many", files)
    report = check_templates(build_shop(), tmp_path, today=TODAY)
    messages = sorted({p.message.split(": ", 1)[0] for p in report.problems})
    assert messages == ["many/de.txt, line 1", "many/en.subject.txt, line 1"]
    assert any("no discount" in p.case for p in report.problems)  # found by the third case


def test_every_template_and_language_renders_for_the_real_demo_shop(tmp_path: Path) -> None:
    from core.demo import load_demo
    from core.store import open_store

    store = open_store(":memory:")
    load_demo(store)
    report = check_templates(store, tmp_path / "none", today=TODAY)
    assert report.ok, [str(p) for p in report.problems]
    assert report.renders == SHIPPED_RENDERS
