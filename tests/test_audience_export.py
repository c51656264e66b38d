"""`retain-tui export --format audience --for SERVICE` (issue 14, hand-off to a mail service):
each service's header and rows, the campaign record and codes behind them, who is left out,
re-runs, bad options and a hand-checked file, with real files and a real store."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.campaigns import CODE_PATTERN
from core.compose.audience_export import KLAVIYO_COLUMNS, LISTMONK_COLUMNS, MAILCHIMP_COLUMNS
from core.consent import address_hash, suppress
from core.store import open_store
from tests.clock import CampaignClock, campaign_clock
from tests.compose_support import build_shop, without_audience
from tests.conftest import committed_state
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
runner = CliRunner()
SERVICES = ("mailchimp", "klaviyo", "listmonk")
EVERYONE = "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15"
REACHABLE = [1, 2, 3, 4, 5, 7, 8, 10, 13, 14, 15]
"""The fixture shop's customers a win-back (without its recency rules) reaches: an address
and marketing consent (6: no consent, 9: no email, 11: a bad one, 12: consent unknown)."""
HEADERS = {"mailchimp": MAILCHIMP_COLUMNS, "klaviyo": KLAVIYO_COLUMNS,
           "listmonk": LISTMONK_COLUMNS}  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    build_shop(path).close()
    without_audience(tmp_path / "mine", "win-back", "feedback")
    return path


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> CampaignClock:
    return campaign_clock(monkeypatch, "2026-11-06T09:00:00+00:00")


def export(db: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    base = ["export", "--db", str(db), "--templates", str(tmp_path / "mine"),
            "--as-of", "2026-11-05"]  # fmt: skip
    result = runner.invoke(app, [*base, *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def handoff(db: Path, tmp_path: Path, service: str, out: str, *args: str) -> tuple[int, str]:
    return export(db, tmp_path, "-t", "win-back", "--format", "audience", "--for", service,
                  "--out", str(tmp_path / out), *args)  # fmt: skip


def rows(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def outcomes(db: Path, campaign: str) -> dict[int, tuple[str, str | None]]:
    found = rows(db, "SELECT r.customer_id, r.outcome, r.reason FROM campaign_recipients r "
                 "JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = ?",
                 (campaign,))  # fmt: skip
    return {cid: (outcome, reason) for cid, outcome, reason in found}  # type: ignore[misc]


def stored_codes(db: Path, campaign: str) -> dict[int, tuple[object, ...]]:
    """customer id -> (code, expires, min_order) as discount_codes holds them."""
    found = rows(db, "SELECT d.customer_id, d.code, d.expires, d.min_order "
                 "FROM discount_codes d JOIN campaigns c ON c.id = d.campaign_id "
                 "WHERE c.name = ?", (campaign,))  # fmt: skip
    return {int(cid): tuple(rest) for cid, *rest in found}  # type: ignore[call-overload]


def read_file(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows, parsed as the services parse them (plain UTF-8, strict quoting)."""
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM: the first header must be the email"
    with path.open(encoding="utf-8", newline="") as file:
        header, *body = list(csv.reader(file, strict=True))
    return header, body


def contacts(service: str, path: Path) -> dict[int, dict[str, str]]:
    """Each row in one shape, by customer id, whatever the service's columns."""
    header, body = read_file(path)
    assert tuple(header) == HEADERS[service]
    found: dict[int, dict[str, str]] = {}
    for cells in body:
        assert len(cells) == len(header), cells
        row = dict(zip(header, cells, strict=True))
        if service == "mailchimp":
            campaign, run = row["Tags"].split(",")  # every run's and this run's tag
            assert run.startswith(campaign + " run "), row["Tags"]
            one = {"email": row["Email Address"], "first": row["First Name"],
                   "last": row["Last Name"], "code": row["COUPON"], "value": row["DISCOUNT"],
                   "expires": row["COUPONEXP"], "min_order": row["MINORDER"],
                   "language": row["LANGUAGE"], "id": row["CUSTID"], "run": run}  # fmt: skip
        elif service == "klaviyo":
            one = {"email": row["Email"], "first": row["First Name"], "last": row["Last Name"],
                   "code": row["Coupon Code"], "value": row["Coupon Value"],
                   "expires": row["Coupon Expires"], "min_order": row["Coupon Minimum Order"],
                   "language": row["Language"], "id": row["Retain Customer ID"],
                   "run": row["Retain Campaign"]}  # fmt: skip
        else:
            attributes = json.loads(row["attributes"])
            full = f"{attributes['first_name']} {attributes['last_name']}".strip()
            assert row["name"] in (full, "'" + full)  # formula-safe: see the hostile names
            one = {"email": row["email"], "first": attributes["first_name"],
                   "last": attributes["last_name"], "code": attributes["coupon"] or "",
                   "value": attributes["coupon_value"] or "",
                   "expires": attributes["coupon_expires"] or "",
                   "min_order": attributes["min_order"] or "", "language": attributes["language"],
                   "id": str(attributes["customer_id"]),
                   "run": f"{attributes['campaign']} run {attributes['run']}"}  # fmt: skip
        assert int(one["id"]) not in found, "one row per customer"
        found[int(one["id"])] = one
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_gets_its_header_and_one_row_per_drafted_customer_with_their_code(
    db: Path, tmp_path: Path, clock: CampaignClock, service: str
) -> None:
    code, out = handoff(db, tmp_path, service, "a.csv", "-c", EVERYONE, "--discount", "10%",
                        "--min-order", "40", "--valid-days", "14",
                        "--campaign", "spring")  # fmt: skip
    assert code == 0, out
    assert f"win-back audience file for {service} (audience)" in out
    assert re.search(r"\n  rows +11   \(in the file: one per recipient\)\n", out), out
    assert "retain-tui codes export spring --format shopify|woocommerce" in out
    path = tmp_path / "a.csv"
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    found = contacts(service, path)
    assert sorted(found) == REACHABLE
    assert outcomes(db, "spring") == {
        **{cid: ("drafted", None) for cid in REACHABLE},
        6: ("left_out", "no_consent"), 9: ("left_out", "no_email"),
        11: ("left_out", "bad_email"), 12: ("left_out", "no_consent"),
    }  # fmt: skip
    codes = stored_codes(db, "spring")
    assert sorted(codes) == REACHABLE
    emails = dict(rows(db, "SELECT id, email FROM customers"))
    for cid, row in found.items():
        stored_code, expires, min_order = codes[cid]
        assert row["code"] == stored_code and CODE_PATTERN.fullmatch(row["code"])
        assert row["email"] == emails[cid]
        assert (row["value"], row["expires"], row["min_order"]) == ("10%", expires, "40.00")
        assert min_order == 4000
        assert row["run"] == "spring run 1"
    assert len({row["code"] for row in found.values()}) == len(found)
    assert {found[1]["first"], found[1]["last"], found[1]["language"]} == {"Jürgen", "Müller", "de"}


def test_the_same_customers_are_left_out_as_from_drafts_suppressed_capped_held_out(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    """Opted out (2: withdrew, the real path), suppressed despite a stored yes (3), capped (4:
    a feedback email two days ago) and held out: the audience file and a draft export of the
    same request on a copy of the same shop leave out exactly the same people."""
    with open_store(db) as store, store.write() as conn:
        suppress(conn, "giulia.rossi@example.it", "withdrawn")
        conn.execute("INSERT INTO suppressions VALUES (?, 'erased', '2026-01-01')",
                     (address_hash("sanne@example.nl"),))  # fmt: skip
    assert export(db, tmp_path, "-t", "feedback", "-c", "4", "--out",
                  str(tmp_path / "earlier.csv"))[0] == 0  # fmt: skip
    clock.advance(days=2)
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    args = ("-c", EVERYONE, "--discount", "10%", "--holdout", "30%", "--campaign", "autumn")
    code, out = handoff(db, tmp_path, "klaviyo", "a.csv", *args)
    assert code == 0, out
    code, out = export(copy, tmp_path, "-t", "win-back", *args, "--out", str(tmp_path / "d.csv"))
    assert code == 0, out
    decided = outcomes(db, "autumn")
    assert decided == outcomes(copy, "autumn")
    assert decided[2] == ("left_out", "no_consent")
    assert decided[3] == ("left_out", "suppressed")
    assert decided[4] == ("left_out", "contacted_recently")
    held = {cid for cid, (outcome, _) in decided.items() if outcome == "held_out"}
    drafted = {cid for cid, (outcome, _) in decided.items() if outcome == "drafted"}
    assert len(held) == 2  # round(8 eligible * 30 %)
    assert set(contacts("klaviyo", tmp_path / "a.csv")) == drafted
    assert drafted == set(REACHABLE) - {2, 3, 4} - held
    assert set(stored_codes(db, "autumn")) == drafted  # the held-out get no code


def test_a_rerun_of_the_campaign_adds_only_the_newcomers_with_their_own_run_tag(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    args = ("--discount", "5EUR", "--campaign", "winter")
    code, out = handoff(db, tmp_path, "mailchimp", "first.csv", "-c", "1,2,3", *args)
    assert code == 0, out
    clock.advance(hours=1)
    code, out = handoff(db, tmp_path, "mailchimp", "second.csv", "-c", "1,2,3,4,5", *args)
    assert code == 0, out
    assert "already drafted in this campaign        3" in out
    first = contacts("mailchimp", tmp_path / "first.csv")
    second = contacts("mailchimp", tmp_path / "second.csv")
    assert (sorted(first), sorted(second)) == ([1, 2, 3], [4, 5])
    assert {row["run"] for row in first.values()} == {"winter run 1"}
    assert {row["run"] for row in second.values()} == {"winter run 2"}
    codes = stored_codes(db, "winter")
    assert {cid: c[0] for cid, c in codes.items()} == {
        cid: row["code"] for cid, row in (first | second).items()
    }
    clock.advance(hours=1)
    code, out = handoff(db, tmp_path, "mailchimp", "third.csv", "-c", "1,2,3,4,5", *args)
    assert code == 0 and "nothing written (no drafts)" in out, out
    assert not (tmp_path / "third.csv").exists()
    assert len(stored_codes(db, "winter")) == 5


def test_a_dry_run_counts_and_writes_nothing(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    before = committed_state(db)
    code, out = export(db, tmp_path, "-t", "win-back", "--format", "audience", "--for",
                       "listmonk", "-c", EVERYONE, "--discount", "10%", "--dry-run")  # fmt: skip
    assert code == 0, out
    assert re.search(r"\n  rows +11   \(counted, dry run: one per recipient\)\n", out), out
    assert "not recorded (dry run)" in out and "codes export" not in out
    assert committed_state(db) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--for", "mailchimp", "--out", "x.csv"], "error: --for needs --format audience"),
        (["--format", "csv", "--for", "klaviyo", "--out", "x.csv"],
         "error: --for needs --format audience"),
        (["--format", "audience", "--out", "x.csv"],
         "error: --format audience needs --for mailchimp|klaviyo|listmonk"),
        (["--format", "audience", "--for", "sendgrid", "--out", "x.csv"],
         "error: --for 'sendgrid': choose one of mailchimp, klaviyo, listmonk"),
        (["--format", "audience", "--for", "MailChimp", "--dry-run"],
         "error: --for 'MailChimp': choose one of mailchimp, klaviyo, listmonk"),
    ],
)  # fmt: skip
def test_for_and_format_audience_go_together(
    db: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    before = committed_state(db)
    out_args = [str(tmp_path / a) if a.endswith(".csv") else a for a in args]
    code, out = export(db, tmp_path, "-t", "win-back", "-c", "1", *out_args)
    assert code == ExitCode.REFUSED, out
    assert out.startswith(message) and out.count("\n") == 1, out
    assert committed_state(db) == before
    assert not (tmp_path / "x.csv").exists()


def test_a_hand_checked_file_for_each_service(
    db: Path, tmp_path: Path, clock: CampaignClock
) -> None:
    """Customers 1 (Jürgen Müller, German) and 3 (Sanne de Vries, Dutch) with one shared code:
    the whole file, byte for byte."""
    before = date.today()
    files = {}
    for service in SERVICES:
        code, out = handoff(db, tmp_path, service, f"{service}.csv", "-c", "1,3", "--discount",
                            "10%", "--code", "AUTUMN10", "--campaign", f"hand {service}",
                            "--min-gap-days", "0")  # fmt: skip
        assert code == 0, out
        files[service] = (tmp_path / f"{service}.csv").read_bytes().decode("utf-8")
    expires = {
        (before + timedelta(days=30)).isoformat(),
        (date.today() + timedelta(days=30)).isoformat(),
    }
    [(expiry,)] = rows(db, "SELECT DISTINCT json_extract(discount, '$.expires') FROM campaigns")
    assert expiry in expires
    assert files["mailchimp"] == (
        "Email Address,First Name,Last Name,COUPON,DISCOUNT,COUPONEXP,MINORDER,LANGUAGE,CUSTID,"
        "Tags\r\n"
        f"juergen.mueller@example.org,Jürgen,Müller,AUTUMN10,10%,{expiry},,de,1,"
        '"hand mailchimp,hand mailchimp run 1"\r\n'
        f"sanne@example.nl,Sanne,de Vries,AUTUMN10,10%,{expiry},,nl,3,"
        '"hand mailchimp,hand mailchimp run 1"\r\n'
    )
    assert files["klaviyo"] == (
        "Email,First Name,Last Name,Coupon Code,Coupon Value,Coupon Expires,"
        "Coupon Minimum Order,Language,Retain Customer ID,Retain Campaign\r\n"
        f"juergen.mueller@example.org,Jürgen,Müller,AUTUMN10,10%,{expiry},,de,1,"
        "hand klaviyo run 1\r\n"
        f"sanne@example.nl,Sanne,de Vries,AUTUMN10,10%,{expiry},,nl,3,hand klaviyo run 1\r\n"
    )
    attributes = (
        '"{{""customer_id"":{cid},""first_name"":""{first}"",""last_name"":""{last}"",'
        '""language"":""{lang}"",""coupon"":""AUTUMN10"",""coupon_value"":""10%"",'
        '""coupon_expires"":""{expiry}"",""min_order"":null,""campaign"":""hand listmonk"",'
        '""run"":1}}"'
    )
    assert files["listmonk"] == (
        "email,name,attributes\r\n"
        "juergen.mueller@example.org,Jürgen Müller,"
        + attributes.format(cid=1, first="Jürgen", last="Müller", lang="de", expiry=expiry)
        + "\r\nsanne@example.nl,Sanne de Vries,"
        + attributes.format(cid=3, first="Sanne", last="de Vries", lang="nl", expiry=expiry)
        + "\r\n"
    )
    # A shared code is no unique code: nothing in discount_codes, no hint to create them.
    assert rows(db, "SELECT count(*) FROM discount_codes") == [(0,)]
