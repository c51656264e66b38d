"""`retain-tui export`: options, summaries, JSON and errors, as a script sees them."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.compose_support import build_shop
from tui.cli import build_app

app = build_app()

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "shop.db"
    build_shop(path).close()
    return str(path)


def export(db: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    base = ["export", "--db", db, "--templates", str(tmp_path / "mine"), "--as-of", "2026-11-05"]
    result = runner.invoke(app, [*base, *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_export_prints_a_summary_by_reason(db: str, tmp_path: Path) -> None:
    # As of 30 November, feedback's 7-60 days after the last order take 1 (41 days) and
    # 3 (33), not 2 (April).
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1,2,3", "-c", "6", "-c", "9",
                       "--as-of", "2026-11-30", "--out", str(tmp_path / "drafts"))  # fmt: skip
    assert code == 0, out
    assert "feedback drafts (eml):" in out
    assert "drafted             2   (de 1, nl 1)" in out
    assert "no marketing consent" in out and "no email address" in out
    assert "last order too long ago for this email" in out
    assert sorted(p.name for p in (tmp_path / "drafts").iterdir()) == [
        "0001-1.eml", "0002-3.eml"]  # fmt: skip


def test_format_follows_the_file_suffix(db: str, tmp_path: Path) -> None:
    # As of the latest order (31 October) 3, 5 and 6 ordered within thank-you's 7 days.
    code, out = export(db, tmp_path, "-t", "thank-you", "-c", "3,5,6", "--as-of", "2026-10-31",
                       "--out", str(tmp_path / "thanks.mbox"))  # fmt: skip
    assert code == 0, out
    assert len(mailbox.mbox(tmp_path / "thanks.mbox")) == 3
    # Another campaign: the same one again would draft only those not yet drafted in it.
    code, out = export(db, tmp_path, "-t", "thank-you", "-c", "3", "--as-of", "2026-10-31", "--out",
                       str(tmp_path / "thanks.csv"), "--campaign", "csv-copy")  # fmt: skip
    assert code == 0 and (tmp_path / "thanks.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_json_summary_with_discount_and_language(db: str, tmp_path: Path) -> None:
    code, out = export(db, tmp_path, "-t", "win-back", "-c", "2,4,6", "--discount", "15%",
                       "--valid-days", "10", "--lang", "en", "--dry-run", "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["drafted"] == 2 and data["languages"] == {"en": 2}
    assert data["skipped"] == {"no_consent": 1} and data["dry_run"] and data["path"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "feedback", "-c", "1"], "--out is required"),
        (["-t", "feedback", "--dry-run"], "choose recipients"),
        (["-t", "feedback", "-c", "x1", "--dry-run"], "customer ids are numbers"),
        (
            ["-t", "feedback", "-c", "1", "--dry-run", "--format", "pdf"],
            "Invalid value for '--format' / '-f': 'pdf' is not one of 'eml', 'mbox', 'csv'",
        ),
        (["-t", "nope", "-c", "1", "--dry-run"], "no template named 'nope'"),
        (["-t", "win-back", "-c", "1", "--dry-run"], "add --discount"),
        (["-t", "win-back", "-c", "1", "--dry-run", "--discount", "5USD"], "not USD"),
        (["-t", "feedback", "-c", "1", "--dry-run", "--code", "X10"], "--code needs --discount"),
        (["-t", "feedback", "-c", "1", "--dry-run", "--lang", "fr"], "has no 'fr' version"),
    ],
)
def test_bad_options_fail_cleanly(db: str, tmp_path: Path, args: list[str], message: str) -> None:
    code, out = export(db, tmp_path, *args)
    assert code == 2 and message in out.replace("\n", " ") and "Traceback" not in out


def test_unknown_segment_is_named(db: str, tmp_path: Path) -> None:
    code, out = export(db, tmp_path, "-t", "feedback", "--segment", "lapsd", "--dry-run")
    assert code == 2 and "Traceback" not in out
    assert "unknown segment 'lapsd'; did you mean 'lapsed'?" in out


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["-c", "4242"], "--customer: no customer has id 4242 (nothing was written)"),
        (["-c", "1,4242", "-c", "2", "-c", "77,4242"],
         "--customer: no customers have the ids 4242, 77 (nothing was written)"),
    ],
)  # fmt: skip
def test_unknown_customer_ids_are_refused_before_anything_is_written(
    db: str, tmp_path: Path, ids: list[str], message: str
) -> None:
    target = tmp_path / "drafts"
    code, out = export(db, tmp_path, "-t", "thank-you", *ids, "--out", str(target))
    assert code == 2 and message in out.replace("\n", " ") and "Traceback" not in out
    assert not target.exists()
    code, out = export(db, tmp_path, "-t", "thank-you", *ids, "--dry-run", "--json")
    assert code == 2 and message in out.replace("\n", " ")


def test_render_errors_exit_1_and_list_them(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "mine" / "oops"
    folder.mkdir(parents=True)
    (folder / "template.toml").write_text('kind = "transactional"\n')
    (folder / "en.subject.txt").write_text("Hi [red]{{ customer.fist_name }}")
    (folder / "en.txt").write_text("x")
    code, out = export(db, tmp_path, "-t", "oops", "-c", "1,2", "--out", str(tmp_path / "o"))
    assert code == 1
    assert "2 draft(s) failed to render: nothing was written" in out
    assert "oops/en.subject.txt, line 1: customer has no field 'fist_name'" in out
    assert not (tmp_path / "o").exists()


def test_marketing_without_unsubscribe_names_the_setting(db: str, tmp_path: Path) -> None:
    runner.invoke(app, ["config", "unset", "shop.unsubscribe_url", "--db", db])
    runner.invoke(app, ["config", "unset", "shop.unsubscribe_mailto", "--db", db])
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1", "--out", str(tmp_path / "o"))
    assert code == 2
    assert "shop.unsubscribe_url (or shop.unsubscribe_mailto)" in out.replace("\n", " ")
    assert not (tmp_path / "o").exists()


def test_export_to_a_segment(db: str, tmp_path: Path) -> None:
    code, out = export(db, tmp_path, "-t", "win-back", "--segment", "lapsed", "--discount", "10%",
                       "--dry-run", "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    from core.segments import segment_customer_ids
    from core.store import open_store

    with open_store(db) as store:
        members = segment_customer_ids(store, "lapsed", __import__("datetime").date(2026, 11, 5))
    assert data["recipients"] == len(members) > 0
    assert data["drafted"] + sum(data["skipped"].values()) == len(members)
