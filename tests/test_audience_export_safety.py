"""Audience files with hostile customer data, interrupted or failing writes, and drafting in
helper processes: one physical line per record, formula-safe cells, names cut to what the
services keep, and never a half-written file or a recorded campaign without its file."""

from __future__ import annotations

import csv
import errno
import json
import re
import signal
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.campaigns import CampaignRequest, export_campaign
from core.compose import Composer, Discount
from core.compose.audience_export import MAX_BYTES, MAX_CHARS, AudienceWriter
from tests.clock import CampaignClock, campaign_clock
from tests.compose_support import build_shop, without_audience
from tests.conftest import committed_state
from tests.paused_child import run_until_ready, signalled
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
runner = CliRunner()
SERVICES = ("mailchimp", "klaviyo", "listmonk")
IDS = [1, 2, 3, 4, 5, 7, 8, 13, 14]
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
INVISIBLE = " \u00a0\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
HOSTILE = {
    2: ("-1+2", "\tTab"),
    3: ("Sanne\r\n=cmd|' /C calc'!A0", "de\u2028Vries\x85"),
    4: ('\u200b=HYPERLINK("http://evil.example","x")', "\u2060@SUM(1)"),
    5: ("Ä" * 1000, "😀" * 300),
}
"""Customer id -> (first name, last name) written over the fixture shop's names; the shop
already has formulas (7), CR/LF and U+2028 (8), ESC and markup (13), <script> (14)."""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    build_shop(path).close()
    without_audience(tmp_path / "mine", "win-back")
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "UPDATE customers SET first_name = ?, last_name = ? WHERE id = ?",
            [(first, last, cid) for cid, (first, last) in HOSTILE.items()],
        )
    conn.close()
    return path


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> CampaignClock:
    return campaign_clock(monkeypatch, "2026-11-06T09:00:00+00:00")


def handoff(db: Path, tmp_path: Path, service: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [
        "export", "--db", str(db), "--templates", str(tmp_path / "mine"), "--as-of",
        "2026-11-05", "-t", "win-back", "--format", "audience", "--for", service,
        "-c", ",".join(map(str, IDS)), "--discount", "10%", "--out", str(tmp_path / "a.csv"),
        *args,
    ], env={"COLUMNS": "200"})  # fmt: skip
    return result.exit_code, result.output


def safe_for_spreadsheets(cell: str) -> bool:
    return cell.startswith("'") or not cell.lstrip(INVISIBLE).startswith(("=", "+", "-", "@"))


def names_of(service: str, header: list[str], cells: list[str]) -> list[str]:
    row = dict(zip(header, cells, strict=True))
    if service == "listmonk":
        attributes = json.loads(row["attributes"])
        return [row["name"], attributes["first_name"], attributes["last_name"]]
    return [row["First Name"], row["Last Name"]]


@pytest.mark.parametrize("service", SERVICES)
def test_hostile_names_stay_on_one_line_formula_safe_and_cut_to_what_services_keep(
    db: Path, tmp_path: Path, clock: CampaignClock, service: str
) -> None:
    code, out = handoff(db, tmp_path, service)
    assert code == 0, out
    text = (tmp_path / "a.csv").read_bytes().decode("utf-8")
    with (tmp_path / "a.csv").open(encoding="utf-8", newline="") as file:
        header, *body = list(csv.reader(file, strict=True))
    assert len(body) == len(IDS)
    # One physical line per record: only the CSV's own CRLF ends a line.
    assert text.count("\r\n") == len(body) + 1 and "\r" not in text.replace("\r\n", "")
    assert "\n" not in text.replace("\r\n", "")
    for cells in body:
        for cell in cells:
            assert not CONTROL.search(cell), cell
            assert safe_for_spreadsheets(cell), cell
        for name in names_of(service, header, cells):
            assert len(name) <= MAX_CHARS and len(name.encode()) <= MAX_BYTES, name
    by_email = {cells[0]: names_of(service, header, cells) for cells in body}
    long_first, long_last = by_email["emily@example.co.uk"][-2:]
    assert long_first.startswith("ÄÄÄ") and long_first.endswith("…")
    assert long_last.startswith("😀") and long_last.endswith("…")
    assert "Vries" in " ".join(by_email["sanne@example.nl"])
    if service == "mailchimp":
        assert by_email["ola@example.no"][0] == '\'\u200b=HYPERLINK("http://evil.example","x")'
        assert by_email["giulia.rossi@example.it"] == ["'-1+2", "Tab"]
        assert by_email["formula@example.com"][1] == "'+SUM(A1)"


@pytest.mark.parametrize(
    ("fault", "code", "message"),
    [
        (KeyboardInterrupt(), ExitCode.INTERRUPTED, "error: interrupted: nothing was written"),
        (OSError(errno.ENOSPC, "No space left on device"), ExitCode.REFUSED,
         "error: could not write the export: [Errno 28] No space left on device (nothing was "
         "written)"),
    ],
)  # fmt: skip
def test_an_interrupted_or_failing_write_leaves_no_file_and_records_nothing(
    db: Path,
    tmp_path: Path,
    clock: CampaignClock,
    monkeypatch: pytest.MonkeyPatch,
    fault: BaseException,
    code: int,
    message: str,
) -> None:
    written = 0
    add = AudienceWriter.add

    def failing_add(self: AudienceWriter, number: int, customer_id: int, payload: object) -> None:
        nonlocal written
        written += 1
        if written == 3:
            raise fault
        add(self, number, customer_id, payload)

    monkeypatch.setattr(AudienceWriter, "add", failing_add)
    before = committed_state(db)
    exit_code, out = handoff(db, tmp_path, "klaviyo")
    assert exit_code == code, out
    assert out.splitlines()[-1] == message, out
    assert committed_state(db) == before
    left = [path.name for path in tmp_path.iterdir() if not path.name.startswith("shop.db")]
    assert left == ["mine"]  # neither the file nor a temporary copy of it


PAUSED = """
import sys

from core.compose.audience_export import AudienceWriter
from tui.cli import main

original = AudienceWriter.add


def add(self, *args):
    original(self, *args)
    print("READY", flush=True)  # the first row is in the hidden temporary file
    sys.stdin.readline()


AudienceWriter.add = add
main(sys.argv[1:])
"""


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_midway_leaves_no_file_and_records_nothing(
    db: Path, tmp_path: Path, number: signal.Signals
) -> None:
    before = committed_state(db)
    out = tmp_path / "a.csv"
    child = run_until_ready(PAUSED, [
        "export", "--db", str(db), "--templates", str(tmp_path / "mine"), "--as-of",
        "2026-11-05", "-t", "win-back", "--format", "audience", "--for", "listmonk",
        "-c", "1,2,3", "--discount", "10%", "--out", str(out),
    ])  # fmt: skip
    assert any(p.name.endswith(".partial") for p in tmp_path.iterdir())  # really midway
    err = signalled(child, number)
    assert child.returncode == ExitCode.INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "error: interrupted: nothing was written"
    assert not out.exists() and not any(p.name.startswith(".") for p in tmp_path.iterdir())
    assert committed_state(db) == before


def test_helper_processes_write_the_same_rows(tmp_path: Path, clock: CampaignClock) -> None:
    """A large export drafts in helper processes (core/compose/workers.py): each recipient's
    own code and names reach the file from there exactly as from this process."""
    without_audience(tmp_path / "mine", "win-back")
    files = {}
    for helpers in (0, 2):
        store = build_shop(tmp_path / f"shop{helpers}.db")
        composer = Composer(store, tmp_path / "mine", as_of=date(2026, 11, 5))
        out = tmp_path / f"helpers{helpers}.csv"
        request = CampaignRequest(audience="customers", audience_detail={"customers": IDS})
        result = export_campaign(
            composer, request, IDS, "win-back", out, fmt="audience", service="listmonk",
            discount=Discount(percent=Decimal(10)), helpers=helpers,
        )  # fmt: skip
        assert result.helpers == helpers and result.drafted == len(IDS)
        stored = dict(store.execute("SELECT customer_id, code FROM discount_codes"))
        store.close()
        with out.open(encoding="utf-8", newline="") as file:
            attributes = [json.loads(row["attributes"]) for row in csv.DictReader(file)]
        assert {a["customer_id"]: a["coupon"] for a in attributes} == stored
        files[helpers] = [{k: v for k, v in a.items() if k != "coupon"} for a in attributes]
    assert files[0] == files[2]
