"""Exports: eml, mbox and csv files that mail tools read back, written all or nothing."""

from __future__ import annotations

import csv
import email
import mailbox
import os
import stat
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from core.compose import (
    ComposeError,
    Composer,
    Discount,
    ExportError,
    TemplateError,
    export_drafts,
)
from core.store import Store
from tests.compose_support import (
    FOOTER_EN,
    TODAY,
    add_collector,
    build_shop,
    composer_for,
    without_audience,
    write_template,
)

EVERYONE = list(range(1, 16))
TEN = Discount(percent=Decimal(10), valid_days=30)


@pytest.fixture
def shop() -> Store:
    return build_shop()


@pytest.fixture
def composer(shop: Store, tmp_path: Path) -> Composer:
    return composer_for(shop, tmp_path / "templates")


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# -- eml -----------------------------------------------------------------------------------


def test_eml_files_parse_back_as_unsent_drafts(composer: Composer, tmp_path: Path) -> None:
    without_audience(tmp_path / "templates", "win-back")
    composer.refresh()
    out = tmp_path / "drafts"
    result = export_drafts(composer, EVERYONE, "win-back", out, discount=TEN)
    files = sorted(out.iterdir())
    assert [f.name for f in files][:3] == ["0001-1.eml", "0002-2.eml", "0003-3.eml"]
    assert len(files) == result.drafted == 11  # win-back does not need a past order
    assert result.skipped == {"no_consent": 2, "no_email": 1, "bad_email": 1}
    ids = set()
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        message = parse(file.read_bytes())
        assert message["X-Unsent"] == "1"
        assert message["From"] == "Nordlicht Tee & Kaffee <hallo@nordlicht.example>"
        assert message.get_content_type() == "multipart/alternative"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Date"] and message["Message-ID"].endswith("@nordlicht.example>")
        ids.add(message["Message-ID"])
        assert "WINBACK10" in body(message, "plain") and "WINBACK10" in body(message, "html")
        assert not message.defects
    assert len(ids) == len(files)  # unique Message-IDs
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert leftovers(tmp_path) == []


def test_eml_headers_and_bodies_match_the_draft(composer: Composer, tmp_path: Path) -> None:
    export_drafts(composer, [1], "feedback", tmp_path / "one")
    message = parse((tmp_path / "one" / "0001-1.eml").read_bytes())
    draft = composer.render(1, "feedback")
    to = message["To"].addresses[0]
    assert (to.display_name, to.addr_spec) == ("Jürgen Müller", "juergen.mueller@example.org")
    assert message["Subject"] == draft.subject == "Jürgen, wie zufrieden bist du mit uns?"
    assert message["Reply-To"] is None  # same as the sender
    assert message["List-Unsubscribe"] == draft.headers["List-Unsubscribe"]
    assert message["Content-Language"] == "de"
    assert body(message, "plain") == draft.text
    assert body(message, "html") == draft.html
    raw = (tmp_path / "one" / "0001-1.eml").read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF throughout


def test_transactional_drafts_have_no_list_unsubscribe(composer: Composer, tmp_path: Path) -> None:
    export_drafts(composer, [3], "thank-you", tmp_path / "t")
    message = parse((tmp_path / "t" / "0001-3.eml").read_bytes())
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


def test_mailto_only_unsubscribe_has_no_one_click(shop: Store, tmp_path: Path) -> None:
    shop.execute("DELETE FROM settings WHERE key = 'shop.unsubscribe_url'")
    composer = composer_for(shop, tmp_path / "templates")
    export_drafts(composer, [1], "feedback", tmp_path / "m")
    message = parse((tmp_path / "m" / "0001-1.eml").read_bytes())
    assert (
        message["List-Unsubscribe"] == "<mailto:unsubscribe@nordlicht.example?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] is None
    assert "unsubscribe@nordlicht.example" in body(message, "plain")


def test_names_with_line_breaks_never_make_headers(composer: Composer, tmp_path: Path) -> None:
    export_drafts(composer, [8, 13, 14, 7], "thank-you", tmp_path / "evil")
    for file in sorted((tmp_path / "evil").iterdir()):
        raw = file.read_bytes()
        message = parse(raw)
        assert message["Bcc"] is None and message["X-Injected"] is None
        assert not message.defects
        head = raw.split(b"\r\n\r\n", 1)[0]
        names = [line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] not in b" \t"]
        assert names == [b"From", b"To", b"Subject", b"Date", b"Message-ID", b"MIME-Version",
                         b"Content-Language", b"X-Unsent", b"Content-Type"]  # fmt: skip
    eve = parse((tmp_path / "evil" / "0001-8.eml").read_bytes())
    assert eve["To"].addresses[0].display_name == "Eve Bcc: victim@example.com Evil X-Injected: 1"
    bjorn = parse((tmp_path / "evil" / "0003-14.eml").read_bytes())
    assert bjorn["To"].addresses[0].display_name == "Björn <script>alert(1)</script> Ødegård & Søn"


def test_existing_output_is_not_overwritten_unless_asked(
    composer: Composer, tmp_path: Path
) -> None:
    out = tmp_path / "drafts"
    export_drafts(composer, [6], "thank-you", out)
    with pytest.raises(ComposeError, match="not empty"):
        export_drafts(composer, [3], "thank-you", out)
    export_drafts(composer, [3], "thank-you", out, overwrite=True)
    assert [f.name for f in out.iterdir()] == ["0001-3.eml"]
    assert leftovers(tmp_path) == []
    (tmp_path / "file.mbox").write_text("keep me")
    with pytest.raises(ComposeError, match="already exists"):
        export_drafts(composer, [1], "thank-you", tmp_path / "file.mbox", fmt="mbox")
    assert (tmp_path / "file.mbox").read_text() == "keep me"
    with pytest.raises(ComposeError, match="no such folder"):
        export_drafts(composer, [1], "thank-you", tmp_path / "missing" / "x.mbox", fmt="mbox")


# -- mbox ----------------------------------------------------------------------------------


def test_mbox_reads_back_every_draft(composer: Composer, tmp_path: Path) -> None:
    without_audience(tmp_path / "templates", "feedback")
    composer.refresh()
    out = tmp_path / "all.mbox"
    result = export_drafts(composer, EVERYONE, "feedback", out, fmt="mbox")
    drafts = [composer.render(r.customer_id, "feedback")
              for r in composer.recipients(EVERYONE, "feedback") if r.included]  # fmt: skip
    box = mailbox.mbox(out)
    assert len(box) == result.drafted == len(drafts) == 10
    for key, draft in zip(box.keys(), drafts, strict=True):
        message = parse(box.get_bytes(key))
        assert message["Subject"] == draft.subject
        assert body(message, "plain") == draft.text
        assert body(message, "html") == draft.html
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


def test_mbox_keeps_from_lines_in_bodies_intact(shop: Store, tmp_path: Path) -> None:
    text = "From the team:\n>From earlier\n>>From long ago\nFrom here on.\n" + FOOTER_EN
    write_template(tmp_path / "t", "fromy", {"en.subject.txt": "From us", "en.txt": text})
    composer = composer_for(shop, tmp_path / "t")
    out = tmp_path / "f.mbox"
    export_drafts(composer, [1, 2, 3], "fromy", out, fmt="mbox")
    box = mailbox.mbox(out)
    assert len(box) == 3
    for key in box.iterkeys():
        got = body(parse(box.get_bytes(key)), "plain")
        assert got.startswith("From the team:\n>From earlier\n>>From long ago\nFrom here on.\n")
    raw = out.read_bytes()
    assert raw.count(b"\nFrom ") + raw.startswith(b"From ") == 3  # only the separators


# -- csv -----------------------------------------------------------------------------------


def test_csv_rows_for_mail_merge_are_formula_safe(composer: Composer, tmp_path: Path) -> None:
    without_audience(tmp_path / "templates", "win-back")
    composer.refresh()
    out = tmp_path / "merge.csv"
    export_drafts(composer, EVERYONE, "win-back", out, fmt="csv", discount=TEN)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert list(rows[0]) == ["customer_id", "email", "name", "language", "subject", "text",
                             "discount_code"]  # fmt: skip
    assert len(rows) == 11
    by_id = {row["customer_id"]: row for row in rows}
    assert by_id["1"]["name"] == "Jürgen Müller" and by_id["1"]["discount_code"] == "WINBACK10"
    assert by_id["7"]["name"] == '\'=HYPERLINK("http://evil.example","x") +SUM(A1)'
    assert by_id["7"]["subject"].startswith("'=HYPERLINK")
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "\n" in by_id["1"]["text"]  # the body keeps its lines inside one quoted cell
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


# -- all or nothing ------------------------------------------------------------------------


def test_a_failing_draft_leaves_no_export(shop: Store, tmp_path: Path) -> None:
    # Breaks only for customers without a first name (customer 6 is one of them).
    files = {"en.subject.txt": "Hi", "en.txt": "{{ customer.first_name[0] }}\n" + FOOTER_EN}
    write_template(tmp_path / "t", "fragile", files, kind="transactional")
    composer = composer_for(shop, tmp_path / "t")
    for fmt, out in (("eml", tmp_path / "e"), ("mbox", tmp_path / "m.mbox"),
                     ("csv", tmp_path / "c.csv")):  # fmt: skip
        with pytest.raises(ExportError) as caught:
            export_drafts(composer, [1, 2, 6, 3], "fragile", out, fmt=fmt)
        assert not out.exists()
        result = caught.value.result
        assert result.error_count == 1 and result.drafted == 2  # counted up to the failure
        assert "fragile/en.txt, line 1" in result.errors[0] and "(customer 6)" in result.errors[0]
    assert leftovers(tmp_path) == []


def test_interruption_while_writing_leaves_nothing(
    composer: Composer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.compose.export as export

    calls = {"n": 0}
    real = export._payload

    def flaky(*args: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(export, "_payload", flaky)
    with pytest.raises(KeyboardInterrupt):
        export_drafts(composer, EVERYONE, "thank-you", tmp_path / "out")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


def test_disk_errors_leave_nothing(
    composer: Composer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.replace

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        export_drafts(composer, [1, 3], "thank-you", tmp_path / "x.mbox", fmt="mbox")
    monkeypatch.setattr(os, "replace", real)
    assert list(tmp_path.iterdir()) == []


def test_dry_run_counts_without_writing(composer: Composer, tmp_path: Path) -> None:
    without_audience(tmp_path / "templates", "thank-you")
    composer.refresh()
    seen: list[tuple[int, int]] = []
    result = export_drafts(
        composer, EVERYONE, "thank-you", tmp_path / "dry", dry_run=True,
        progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert not (tmp_path / "dry").exists()
    assert result.dry_run and result.path is None
    assert result.drafted == 12 and sum(result.skipped.values()) == 3
    assert result.languages == {"de": 5, "en": 3, "nb": 2, "it": 1, "nl": 1}
    assert seen[-1] == (15, 15)
    assert result.to_dict()["skipped_reasons"]["no_email"] == "no email address"


@pytest.mark.parametrize("helpers", [0, 2])
def test_nothing_to_recommend_is_left_out_and_counted(tmp_path: Path, helpers: int) -> None:
    """Found while drafting (the list does not read order lines), in helpers as well."""
    shop = build_shop(tmp_path / "shop.db")
    add_collector(shop)  # Ola (4) has bought every bestseller
    composer = composer_for(shop, tmp_path / "templates")
    seen: list[tuple[int, int]] = []
    out = tmp_path / "back"
    result = export_drafts(
        composer, EVERYONE, "come-back-bestsellers", out, helpers=helpers,
        progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert result.helpers == helpers
    assert result.drafted == 1 and sorted(p.name for p in out.iterdir()) == ["0001-2.eml"]
    assert result.skipped["no_recommendations"] == 1
    assert sum(result.skipped.values()) == len(EVERYONE) - 1 and seen[-1] == (15, 15)
    assert result.to_dict()["skipped_reasons"]["no_recommendations"] == (
        "already bought every bestseller"
    )


def test_no_drafts_writes_nothing(composer: Composer, tmp_path: Path) -> None:
    result = export_drafts(composer, [9, 15], "thank-you", tmp_path / "none.mbox", fmt="mbox")
    assert result.drafted == 0 and result.path is None
    assert not (tmp_path / "none.mbox").exists() and leftovers(tmp_path) == []


def test_marketing_export_refuses_without_unsubscribe(tmp_path: Path) -> None:
    shop = build_shop(settings={"shop.name": "Laden", "shop.from": "laden@example.de",
                                "shop.postal_address": "Weg 1, 12345 Stadt"})  # fmt: skip
    composer = composer_for(shop, tmp_path / "templates")
    with pytest.raises(ComposeError) as caught:
        export_drafts(composer, [1], "feedback", tmp_path / "x")
    assert "shop.unsubscribe_url (or shop.unsubscribe_mailto)" in str(caught.value)
    assert not (tmp_path / "x").exists()


def test_template_errors_are_template_errors(shop: Store, tmp_path: Path) -> None:
    write_template(tmp_path / "t", "bad", {"en.subject.txt": "{% if %}", "en.txt": "x"})
    composer = composer_for(shop, tmp_path / "t")
    with pytest.raises(ExportError) as caught:
        export_drafts(composer, [1, 2], "bad", tmp_path / "o.mbox", fmt="mbox")
    assert caught.value.result.error_count == 2
    assert caught.value.result.errors == [
        "bad/en.subject.txt, line 1: Expected an expression, got 'end of statement block' "
        "(customer 1)"
    ]
    assert issubclass(TemplateError, ComposeError)


# -- helper processes ----------------------------------------------------------------------


def test_helper_processes_write_the_same_export(tmp_path: Path) -> None:
    shop = build_shop(tmp_path / "shop.db")
    composer = composer_for(shop, tmp_path / "templates")
    here = export_drafts(composer, EVERYONE, "win-back", tmp_path / "here.csv", fmt="csv",
                         discount=TEN, helpers=0)  # fmt: skip
    there = export_drafts(composer, EVERYONE, "win-back", tmp_path / "there.csv", fmt="csv",
                          discount=TEN, helpers=2)  # fmt: skip
    assert (here.helpers, there.helpers) == (0, 2)
    assert (tmp_path / "here.csv").read_bytes() == (tmp_path / "there.csv").read_bytes()
    export_drafts(composer, EVERYONE, "feedback", tmp_path / "box.mbox", fmt="mbox", helpers=2)
    box = mailbox.mbox(tmp_path / "box.mbox")
    subjects = [parse(box.get_bytes(key))["Subject"] for key in box.iterkeys()]
    expected = [composer.render(r.customer_id, "feedback").subject
                for r in composer.recipients(EVERYONE, "feedback") if r.included]  # fmt: skip
    assert subjects == expected


def test_helper_render_errors_leave_nothing(tmp_path: Path) -> None:
    shop = build_shop(tmp_path / "shop.db")
    files = {"en.subject.txt": "Hi", "en.txt": "{{ customer.first_name[0] }}\n" + FOOTER_EN}
    write_template(tmp_path / "t", "fragile", files, kind="transactional")
    composer = composer_for(shop, tmp_path / "t")
    with pytest.raises(ExportError) as caught:
        export_drafts(composer, [1, 6, 2], "fragile", tmp_path / "e", helpers=2)
    assert caught.value.result.error_count == 1 and "(customer 6)" in caught.value.result.errors[0]
    assert not (tmp_path / "e").exists() and leftovers(tmp_path) == []


def test_a_helper_that_dies_stops_the_export(tmp_path: Path) -> None:
    from core.compose.workers import HelperPool, Setup

    garbage = tmp_path / "not-a-database.db"
    garbage.write_bytes(b"this is not SQLite" * 100)
    setup = Setup(str(garbage), None, TODAY, None, "feedback", None, "mbox", "x")
    pool = HelperPool(1, setup)
    try:
        with pytest.raises(ComposeError, match="stopped unexpectedly"):
            list(pool.run([[(1, "de")]]))
    finally:
        pool.close()
