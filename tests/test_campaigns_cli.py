"""`retain-tui export` as a campaign (issue 13): the record, re-runs, the frequency cap,
unique codes in the drafts, the control group and bad input, with real files and a real store."""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.campaigns import CODE_PATTERN
from tests.clock import CampaignClock, campaign_clock
from tests.compose_support import build_shop, without_audience
from tests.conftest import committed_state
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
runner = CliRunner()
REACHABLE = [1, 2, 3, 4, 5, 7, 8]
"""The fixture shop's customers with an address and marketing consent (6: no, 9: no email)."""
EVERYONE = "1,2,3,4,5,6,7,8,9"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    build_shop(path).close()
    # Without their recency rules every customer with an order is in the templates' audience.
    without_audience(tmp_path / "mine", "win-back", "feedback", "thank-you")
    return path


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> CampaignClock:
    return campaign_clock(monkeypatch, "2026-11-06T09:00:00+00:00")


def export(db: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    base = ["export", "--db", str(db), "--templates", str(tmp_path / "mine"),
            "--as-of", "2026-11-05"]  # fmt: skip
    result = runner.invoke(app, [*base, *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def rows(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def outcomes(db: Path, campaign: str) -> dict[int, tuple[str, str | None]]:
    found = rows(
        db,
        "SELECT r.customer_id, r.outcome, r.reason FROM campaign_recipients r "
        "JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = ?",
        (campaign,),
    )
    return {cid: (outcome, reason) for cid, outcome, reason in found}  # type: ignore[misc]


def drafted_ids(path: Path) -> list[int]:
    """Customer ids of a csv export, in file order."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        return [int(row["customer_id"]) for row in csv.DictReader(file)]


def test_a_writing_export_is_recorded_with_every_selected_customer(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    code, out = export(db, tmp_path, "-t", "feedback", "-c", EVERYONE, "--out",
                       str(tmp_path / "a.csv"))  # fmt: skip
    assert code == 0, out
    assert "campaign     feedback-customers-2026-11-06 (recorded)" in out
    [(name, template, kind, audience, lang_rule, created, as_of)] = rows(
        db, "SELECT name, template, kind, audience, language_rule, created_at, as_of "
        "FROM campaigns")  # fmt: skip
    assert (name, template, kind, audience, lang_rule) == (
        "feedback-customers-2026-11-06",
        "feedback",
        "marketing",
        "customers",
        "customer",
    )
    assert (created, as_of) == ("2026-11-06T09:00:00+00:00", "2026-11-05")
    assert outcomes(db, name) == {
        **{cid: ("drafted", None) for cid in REACHABLE},
        6: ("left_out", "no_consent"),
        9: ("left_out", "no_email"),
    }
    assert drafted_ids(tmp_path / "a.csv") == REACHABLE


def test_a_dry_run_records_nothing(db: Path, tmp_path: Path, clock: CampaignClock) -> None:
    before = committed_state(db)
    code, out = export(db, tmp_path, "-t", "win-back", "-c", EVERYONE, "--discount", "10%",
                       "--holdout", "30%", "--dry-run")  # fmt: skip
    assert code == 0, out
    assert "not recorded (dry run)" in out and "placeholder codes shown" in out
    assert "held out            2" in out  # round(7 * 0.3) = 2
    assert committed_state(db) == before
    assert rows(db, "SELECT count(*) FROM campaigns") == [(0,)]


def test_a_rerun_drafts_only_those_not_yet_drafted(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1,2,3", "--campaign", "spring",
                       "--out", str(tmp_path / "first.csv"))  # fmt: skip
    assert code == 0, out
    clock.advance(hours=1)
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1,2,3,4,5", "--campaign",
                       "spring", "--out", str(tmp_path / "second.csv"))  # fmt: skip
    assert code == 0, out
    assert "already drafted in this campaign        3" in out
    assert drafted_ids(tmp_path / "second.csv") == [4, 5]
    clock.advance(hours=1)
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1,2,3,4,5", "--campaign",
                       "spring", "--out", str(tmp_path / "third.csv"))  # fmt: skip
    assert code == 0, out
    assert (
        "nothing written (no drafts)" in out and "already drafted in this campaign        5" in out
    )
    assert not (tmp_path / "third.csv").exists()
    assert rows(db, "SELECT count(*) FROM campaigns") == [(1,)]
    assert [cid for cid, (o, _r) in outcomes(db, "spring").items() if o == "drafted"] == [
        1, 2, 3, 4, 5]  # fmt: skip


def test_a_rerun_with_another_template_or_audience_is_refused(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1,2", "--campaign", "spring",
                       "--out", str(tmp_path / "first.csv"))  # fmt: skip
    assert code == 0, out
    before = committed_state(db)
    for args in (["-t", "win-back", "-c", "3", "--discount", "10%"],
                 ["-t", "feedback", "-s", "vip"],
                 ["-t", "feedback", "-c", "3", "--holdout", "10%"]):  # fmt: skip
        code, out = export(db, tmp_path, *args, "--campaign", "spring", "--out",
                           str(tmp_path / "again.csv"))  # fmt: skip
        assert code == ExitCode.REFUSED, (args, out)
        assert "campaign 'spring' exists with" in out and "a re-run must match it" in out
        assert committed_state(db) == before
        assert not (tmp_path / "again.csv").exists()


def test_the_frequency_cap_leaves_out_who_had_a_marketing_email_recently(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1,2", "--out",
                       str(tmp_path / "a.csv"))  # fmt: skip
    assert code == 0, out
    clock.advance(days=6, hours=23)
    code, out = export(db, tmp_path, "-t", "win-back", "-c", "1,2,3", "--discount", "10%",
                       "--out", str(tmp_path / "b.csv"))  # fmt: skip
    assert code == 0, out
    assert "had a marketing email too recently (frequency cap)       2" in out
    assert drafted_ids(tmp_path / "b.csv") == [3]
    name = "win-back-customers-2026-11-13"
    assert outcomes(db, name)[1] == ("left_out", "contacted_recently")
    # Seven days after the first campaign's run the cap no longer holds 1 and 2.
    clock.advance(hours=1, seconds=1)
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1,2", "--campaign", "later",
                       "--out", str(tmp_path / "c.csv"))  # fmt: skip
    assert code == 0, out
    assert drafted_ids(tmp_path / "c.csv") == [1, 2]


def test_the_cap_follows_the_option_and_the_shop_setting(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    assert export(db, tmp_path, "-t", "win-back", "-c", "1", "--discount", "10%", "--out",
                  str(tmp_path / "a.csv"))[0] == 0  # fmt: skip
    clock.advance(days=3)
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1", "--min-gap-days", "0",
                       "--campaign", "uncapped", "--out", str(tmp_path / "b.csv"))  # fmt: skip
    assert code == 0 and drafted_ids(tmp_path / "b.csv") == [1], out
    config = ["config", "set", "campaigns.min_gap_days"]
    assert runner.invoke(app, [*config, "2", "--db", str(db)]).exit_code == 0
    clock.advance(days=2, seconds=1)  # 2 days after "uncapped", 5 after the first
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1", "--campaign", "setting",
                       "--out", str(tmp_path / "c.csv"))  # fmt: skip
    assert code == 0 and drafted_ids(tmp_path / "c.csv") == [1], out
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1", "--campaign", "capped",
                       "--min-gap-days", "9", "--out", str(tmp_path / "d.csv"))  # fmt: skip
    assert code == 0 and "nothing written" in out, out
    for bad in ("-1", "seven", "366"):
        result = runner.invoke(app, ["--db", str(db), *config, "--", bad])
        assert result.exit_code == ExitCode.REFUSED, result.output
        assert result.output.startswith("error: campaigns.min_gap_days: "), result.output
    assert rows(db, "SELECT value FROM settings WHERE key = 'campaigns.min_gap_days'") == [("2",)]


def test_transactional_mail_is_neither_capped_nor_counted(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    assert export(db, tmp_path, "-t", "feedback", "-c", "1,2", "--out",
                  str(tmp_path / "a.csv"))[0] == 0  # fmt: skip
    code, out = export(db, tmp_path, "-t", "thank-you", "-c", "1,2,3", "--out",
                       str(tmp_path / "b.csv"))  # fmt: skip
    assert code == 0 and drafted_ids(tmp_path / "b.csv") == [1, 2, 3], out
    # The thank-you drafted 3, yet a marketing email to 3 is not capped.
    code, out = export(db, tmp_path, "-t", "win-back", "-c", "3", "--discount", "10%", "--out",
                       str(tmp_path / "c.csv"))  # fmt: skip
    assert code == 0 and drafted_ids(tmp_path / "c.csv") == [3], out


def test_each_recipient_gets_their_own_stored_code_in_the_draft(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    code, out = export(db, tmp_path, "-t", "win-back", "-c", EVERYONE, "--discount", "5EUR",
                       "--code-prefix", "spring26", "--min-order", "40", "--valid-days", "14",
                       "--out", str(tmp_path / "a.csv"))  # fmt: skip
    assert code == 0, out
    assert "codes               7   (unique discount codes)" in out
    with (tmp_path / "a.csv").open(encoding="utf-8-sig", newline="") as file:
        drafts = list(csv.DictReader(file))
    codes = {int(row["customer_id"]): row["discount_code"] for row in drafts}
    assert all(CODE_PATTERN.fullmatch(c) and c.startswith("SPRING26-") for c in codes.values())
    assert len(set(codes.values())) == len(codes) == 7
    for row in drafts:  # the text shows the recipient's own code, and the minimum order
        assert row["discount_code"] in row["text"]
        assert re.search(r"\b40\s?(\xa0€|€)|€\xa0?40\b", row["text"]), row["text"]
    stored = rows(db, "SELECT code, customer_id, kind, value, currency, min_order, expires "
                  "FROM discount_codes")  # fmt: skip
    assert {c: cid for c, cid, *_ in stored} == {c: cid for cid, c in codes.items()}
    assert {tuple(r[2:6]) for r in stored} == {("amount", 500, "EUR", 4000)}
    [(discount,)] = rows(db, "SELECT discount FROM campaigns")
    assert '"prefix": "SPRING26"' in str(discount)


def test_the_holdout_is_recorded_and_stable_across_runs(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    args = ["-t", "win-back", "-c", EVERYONE, "--holdout", "30%", "--discount", "10%"]
    code, out = export(db, tmp_path, *args, "--campaign", "held", "--out",
                       str(tmp_path / "a.csv"))  # fmt: skip
    assert code == 0, out
    first = outcomes(db, "held")
    held = {cid for cid, (outcome, _) in first.items() if outcome == "held_out"}
    assert len(held) == 2  # round(7 eligible * 30 %)
    assert set(drafted_ids(tmp_path / "a.csv")) == set(REACHABLE) - held
    coded = {cid for (cid,) in rows(db, "SELECT customer_id FROM discount_codes")}
    assert coded == set(REACHABLE) - held
    # A dry run under the same name on a fresh copy holds out the same two people.
    copy = tmp_path / "copy.db"
    build_shop(copy).close()
    code, out = export(copy, tmp_path, *args, "--campaign", "held", "--out",
                       str(tmp_path / "b.csv"))  # fmt: skip
    assert code == 0, out
    assert {cid for cid, (o, _) in outcomes(copy, "held").items() if o == "held_out"} == held
    # A re-run keeps everyone's outcome: nobody is drafted, nobody newly held out.
    code, out = export(db, tmp_path, *args, "--campaign", "held", "--out",
                       str(tmp_path / "c.csv"))  # fmt: skip
    assert code == 0 and "held out" not in out and outcomes(db, "held") == first, out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--holdout", "95%"], "--holdout '95%': a percentage from 0 to 90"),
        (["--holdout", "-5"], "--holdout '-5': a percentage from 0 to 90"),
        (["--holdout", "ten"], "--holdout 'ten': a percentage from 0 to 90"),
        (["--discount", "10%", "--code-prefix", "WIN-BACK"], "--code-prefix 'WIN-BACK': use 1"),
        (["--discount", "10%", "--code-prefix", "ÄRGER"], "--code-prefix 'ÄRGER': use 1"),
        (["--code-prefix", "WIN"], "--code-prefix and --min-order need --discount"),
        (["--min-gap-days", "-1"], "--min-gap-days -1: a number of days from 0"),
        (["--discount", "10%", "--min-order", "0"], "--min-order '0': an amount more than zero"),
        (["--campaign", " "], "--campaign ' ': 1 to 100 characters"),
    ],
)
def test_bad_campaign_options_are_refused_before_anything_is_written(
    db: Path, tmp_path: Path, clock: CampaignClock, args: list[str], message: str
) -> None:
    before = committed_state(db)
    code, out = export(db, tmp_path, "-t", "feedback", "-c", "1,2", *args, "--out",
                       str(tmp_path / "a.csv"))  # fmt: skip
    assert code == ExitCode.REFUSED, out
    assert out.startswith(f"error: {message}"), out
    assert len(out.strip().splitlines()) == 1, out
    assert committed_state(db) == before
    assert not (tmp_path / "a.csv").exists()


def test_the_json_summary_names_the_campaign_and_its_counts(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    import json

    args = ["-t", "win-back", "-c", EVERYONE, "--discount", "10%", "--holdout", "30%",
            "--campaign", "json", "--json", "--out", str(tmp_path / "a.csv")]  # fmt: skip
    code, out = export(db, tmp_path, *args)
    assert code == 0, out
    summary = json.loads(out)
    assert summary["campaign"] == "json" and summary["dry_run"] is False
    assert (summary["drafted"], summary["held_out"], summary["codes"]) == (5, 2, 5)
    assert summary["already_drafted"] == 0
    assert summary["skipped"] == {"no_consent": 1, "no_email": 1}
    code, out = export(db, tmp_path, *args[:-1], str(tmp_path / "b.csv"))
    assert code == 0 and json.loads(out)["already_drafted"] == 5, out
