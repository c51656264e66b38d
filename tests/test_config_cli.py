"""`retain-tui config get|set|list|unset`: shop settings, validated on the way in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.compose import user_templates_dir
from core.shop_settings import load_shop_settings
from core.store import open_store
from tests.compose_support import build_shop
from tui.cli import build_app

app = build_app()

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "shop.db"
    build_shop(path).close()
    return str(path)


def run(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["config", *args, "--db", db], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_get_prints_the_value(db: str) -> None:
    assert run(db, "get", "shop.name") == (0, "Nordlicht Tee & Kaffee\n")
    code, out = run(db, "get", "shop.website", "--json")
    assert code == 0 and json.loads(out) == {"shop.website": "https://nordlicht.example"}


def test_get_unset_and_unknown_keys(db: str) -> None:
    run(db, "unset", "shop.website")
    code, out = run(db, "get", "shop.website")
    assert code == 1 and "shop.website is not set" in out
    code, out = run(db, "get", "shop.nme")
    assert code == 2 and "unknown setting 'shop.nme'" in out


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("shop.from", "Nordlicht, Hamburg <Hallo@Nordlicht.EXAMPLE>",
         '"Nordlicht, Hamburg" <Hallo@nordlicht.example>'),
        ("shop.reply_to", "mailto:antwort@nordlicht.example", "antwort@nordlicht.example"),
        ("shop.unsubscribe_url", "https://x.example/u?c={customer_id}",
         "https://x.example/u?c={customer_id}"),
        ("shop.default_language", "de-AT", "de"),
        ("shop.default_language", "no", "nb"),
        ("shop.currency", "nok", "NOK"),
        ("shop.postal_address", "  Laden  GmbH,\n Weg 1 ", "Laden GmbH, Weg 1"),  # one line
    ],
)  # fmt: skip
def test_set_normalises_valid_values(db: str, key: str, value: str, stored: str) -> None:
    code, out = run(db, "set", key, value)
    assert code == 0, out
    assert run(db, "get", key) == (0, stored + "\n")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("shop.from", "hallo@nordlicht", "not a usable email domain"),
        ("shop.from", "a@example.com, b@example.com", "not a usable email address"),
        ("shop.from", "Shop <a@example.com>\nBcc: b@example.com", "line breaks"),
        ("shop.reply_to", "nobody", "not an email address"),
        ("shop.unsubscribe_url", "javascript:alert(1)", "must start with https://"),
        ("shop.unsubscribe_url", "http://x.example/u?c={customer_id}", "must start with https://"),
        ("shop.website", "http://nordlicht.example", "must start with https://"),
        ("shop.feedback_url", "http://x.example/f?s={score}", "must start with https://"),
        ("shop.feedback_url", "https:///f", "must start with https:// and a host"),
        ("shop.default_language", "fr",
         "'fr': no template is written in it (they are in de, en, it, nb, nl)"),
        ("shop.unsubscribe_url", "https://x.example/u?e={email}", "unknown placeholder {email}"),
        ("shop.website", "https://x.example/{customer_id}", "unknown placeholder {customer_id}"),
        ("shop.feedback_url", "https://x.example/f?s={score", "unbalanced"),
        ("shop.default_language", "klingon", "not a language code"),
        ("shop.default_language", "xx", "not a language code"),
        ("shop.currency", "EURO", "not an ISO 4217 currency code"),
        ("shop.name", "   ", "must not be empty"),
        ("shop.colour", "red", "unknown setting 'shop.colour'"),
    ],
)  # fmt: skip
def test_set_refuses_bad_values_and_keeps_the_old(
    db: str, key: str, value: str, message: str
) -> None:
    before = run(db, "get", key)
    code, out = run(db, "set", key, value)
    assert code == 2 and message in out.replace("\n", " ")
    assert run(db, "get", key) == before


def test_list_shows_every_key_and_what_marketing_still_needs(db: str) -> None:
    code, out = run(db, "list")
    assert code == 0 and "shop.unsubscribe_mailto" in out and "Hafenstraße 12" in out
    run(db, "unset", "shop.unsubscribe_url")
    run(db, "unset", "shop.unsubscribe_mailto")
    code, out = run(db, "list", "--json")
    data = json.loads(out)
    assert data["missing_for_marketing"] == ["shop.unsubscribe_url (or shop.unsubscribe_mailto)"]
    assert data["settings"]["shop.currency"] == "EUR"


def test_values_set_here_reach_the_composer(db: str) -> None:
    run(db, "set", "shop.from", "Anna von Nordlicht <anna@nordlicht.example>")
    with open_store(db) as store:
        shop = load_shop_settings(store)
    assert (shop.from_name, shop.from_address) == ("Anna von Nordlicht", "anna@nordlicht.example")


def test_markup_in_values_is_printed_as_text(db: str) -> None:
    code, out = run(db, "set", "shop.name", "[bold]Laden[/bold] [@click=app.quit]")
    assert code == 0 and "[bold]Laden[/bold] [@click=app.quit]" in out


def test_a_default_language_of_your_own_templates_is_accepted(db: str) -> None:
    folder = user_templates_dir() / "merci"
    folder.mkdir(parents=True)
    (folder / "template.toml").write_text('kind = "transactional"\n', encoding="utf-8")
    (folder / "fr.subject.txt").write_text("Merci", encoding="utf-8")
    (folder / "fr.txt").write_text("Merci {{ customer.first_name }}", encoding="utf-8")
    assert run(db, "set", "shop.default_language", "fr-CA") == (0, "shop.default_language = fr\n")


def _store_unchecked(db: str, key: str, value: str) -> None:
    """What an older version (or a hand-edited database) may have stored."""
    with open_store(db) as store:
        store.set_setting(key, value)


def test_refused_stored_values_are_named_where_they_are_used(db: str, tmp_path: Path) -> None:
    _store_unchecked(db, "shop.unsubscribe_url", "http://nordlicht.example/u")
    _store_unchecked(db, "shop.website", "nordlicht.example")
    run(db, "unset", "shop.unsubscribe_mailto")
    with open_store(db) as store:
        shop = load_shop_settings(store)
    assert (shop.unsubscribe_url, shop.website) == ("", "")
    assert set(shop.invalid) == {"shop.unsubscribe_url", "shop.website"}

    code, out = run(db, "list", "--json")
    data = json.loads(out)
    assert code == 0 and data["invalid"]["shop.website"].endswith(
        "must start with https:// and a host"
    )
    assert data["missing_for_marketing"] == [
        "shop.unsubscribe_url (the stored value is refused: 'http://nordlicht.example/u': "
        "must start with https:// and a host) (or shop.unsubscribe_mailto)"
    ]
    code, out = run(db, "list")
    assert code == 0 and "refused, ignored" in out

    got = runner.invoke(app, ["config", "get", "shop.website", "--db", db])
    assert got.exit_code == 0 and got.stdout == "nordlicht.example\n"
    warning = " ".join(got.stderr.split())
    assert "warning: shop.website: 'nordlicht.example': must start with https://" in warning

    # A marketing export is refused, saying which value is wrong; a transactional one warns.
    base = ["export", "--db", db, "--templates", str(tmp_path / "mine"), "--as-of", "2026-11-05"]
    refused = runner.invoke(app, [*base, "-t", "feedback", "-c", "1", "--dry-run"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "the stored value is refused: 'http://nordlicht.example/u'" in refused.stderr
    done = runner.invoke(app, [*base, "-t", "thank-you", "-c", "1", "--dry-run"])
    assert done.exit_code == 0, done.output
    assert "warning: shop.website is ignored" in " ".join(done.stderr.split())
