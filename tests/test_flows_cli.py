"""`retain-tui flows` through Typer's CliRunner on a real shop file: listing, enable, disable,
add, rm and run (one line per flow, exit 1 when one failed), and bad input (one `error:`
line, exit 2, nothing changed)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.flows import SHIPPED_FLOWS
from tests.flows_support import NOTE, ORDERS, flow_shop, owner_templates
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
runner = CliRunner()
FLOW_TABLES = ("flows", "flow_runs", "flow_entries", "campaigns", "campaign_recipients")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    store, _ids = flow_shop(tmp_path, 6, ORDERS)
    store.close()
    owner_templates(tmp_path)
    return tmp_path / "shop.db"


def flows(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["flows", *args, "--db", str(db)], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def templates(db: Path) -> str:
    return str(db.parent / "mine")


def state(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {table: conn.execute(f"SELECT * FROM {table}").fetchall() for table in FLOW_TABLES}
    finally:
        conn.close()


def test_flows_lists_the_shipped_flows_one_line_each(db: Path) -> None:
    code, out, _ = flows(db, "--as-of", "2026-03-02")
    lines = out.splitlines()
    assert code == 0
    assert [line.split()[0] for line in lines[:7]] == sorted(SHIPPED_FLOWS)
    assert lines[6].startswith("win-back  off  last-order +120d  template win-back  discount 10%")
    assert "first-order-thanks  off  nth-order:1 +1d  template thank-you  never run  due 1" in out


def test_flows_json(db: Path) -> None:
    code, out, _ = flows(db, "--json", "--as-of", "2026-03-02")
    data = json.loads(out)
    assert code == 0 and data["as_of"] == "2026-03-02"
    first = next(f for f in data["flows"] if f["name"] == "second-order-thanks")
    assert first == {
        "name": "second-order-thanks", "trigger": "nth-order:2", "template": "thank-you",
        "delay_days": 1, "discount": None, "min_gap_days": None, "holdout_percent": "0",
        "enabled": False, "enabled_as_of": None, "shipped": True, "last_run_as_of": None,
        "last_run_at": None, "due_today": 2, "problem": None,
    }  # fmt: skip


def test_enable_disable_add_rm(db: Path) -> None:
    assert flows(db, "enable", "feedback", "--as-of", "2026-03-01")[:2] == (
        0, "feedback: on from 2026-03-01\n")  # fmt: skip
    assert flows(db, "disable", "feedback")[:2] == (0, "feedback: off\n")
    code, out, _ = flows(db, "add", "notes", "--trigger", "order", "--template", NOTE,
                         "--delay-days", "2", "--holdout", "10%",
                         "--templates", templates(db))  # fmt: skip
    assert code == 0 and out.startswith("notes: added, off (order +2d, template note)")
    listed = json.loads(flows(db, "--json", "--templates", templates(db))[1])["flows"]
    notes = next(f for f in listed if f["name"] == "notes")
    assert (notes["holdout_percent"], notes["shipped"], notes["enabled"]) == ("10", False, False)
    assert flows(db, "rm", "notes")[:2] == (0, "notes: removed\n")
    assert "notes" not in flows(db)[1]


BAD_INPUT = [
    (["enable", "nope"], "unknown flow 'nope'"),
    (["disable", "nope"], "unknown flow 'nope'"),
    (["rm", "nope"], "unknown flow 'nope'"),
    (["rm", "win-back"], "'win-back' is a shipped flow: disable it instead"),
    (["add", "x", "--trigger", "nth-order:x", "--template", NOTE], "--trigger 'nth-order:x'"),
    (["add", "x", "--trigger", "replenishment:3", "--template", NOTE], "use nth-order:N"),
    (["add", "x", "--trigger", "tier:Platinum", "--template", NOTE], "no tier named 'Platinum'"),
    (["add", "x", "--trigger", "order", "--template", "nope"], "template 'nope' does not exist"),
    (["add", "x", "--trigger", "segment:Nobody", "--template", NOTE], "segment 'Nobody' does"),
    (["add", "x", "--trigger", "order", "--template", NOTE, "--delay-days", "-1"],
     "--delay-days -1"),
    (["add", "feedback", "--trigger", "order", "--template", NOTE], "'feedback' already exists"),
    (["add", "x", "--trigger", "order", "--template", NOTE, "--holdout", "95%"], "--holdout"),
    (["add", "x", "--trigger", "order", "--template", NOTE, "--min-gap-days", "-3"],
     "--min-gap-days -3"),
    (["add", "x y", "--trigger", "order", "--template", NOTE], "flow name 'x y'"),
    (["add", "x", "--trigger", "order", "--template", "feedback", "--discount", "10%"],
     "takes no discount"),
    (["run", "--backfill-days", "-1"], "--backfill-days -1"),
    (["run", "--out", "DB"], "is a file; flows write a folder per campaign"),
    (["run", "--flow", "nope"], "unknown flow 'nope'"),
    (["run", "--flow", "win-back"], "flow 'win-back' is disabled"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=lambda v: " ".join(v)[:40])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    db: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    before = state(db)
    extra = ["--templates", templates(db)] if args[0] in ("add", "run") else []
    if args[0] == "run" and "--out" not in args:
        extra += ["--out", str(tmp_path / "drafts")]
    args = [str(db) if arg == "DB" else arg for arg in args]  # a file, not a folder
    code, out, err = flows(db, *args, *extra)
    assert code == ExitCode.REFUSED, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert "Traceback" not in out + err
    assert state(db) == before
    assert not (tmp_path / "drafts").exists()


def test_run_prints_one_line_per_flow_and_records(db: Path, tmp_path: Path) -> None:
    for name in ("first-order-thanks", "second-order-thanks", "win-back"):
        flows(db, "enable", name, "--as-of", "2026-03-01")
    out_dir = tmp_path / "drafts"
    code, out, err = flows(db, "run", "--as-of", "2026-03-02", "--out", str(out_dir))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "first-order-thanks: 1 due (fired after 2026-03-01 up to 2026-03-02), drafted 1, held "
        f"out 0, left out 0; campaign flow-first-order-thanks-2026-03-02 in "
        f"{out_dir / 'flow-first-order-thanks-2026-03-02'}",
        "second-order-thanks: 2 due (fired after 2026-03-01 up to 2026-03-02), drafted 2, held "
        f"out 0, left out 0; campaign flow-second-order-thanks-2026-03-02 in "
        f"{out_dir / 'flow-second-order-thanks-2026-03-02'}",
        "win-back: nobody due (fired after 2026-03-01 up to 2026-03-02)",
    ]
    again = flows(db, "run", "--as-of", "2026-03-02", "--out", str(out_dir), "--json")
    data = json.loads(again[1])
    assert again[0] == 0 and [f["due"] for f in data["flows"]] == [0, 0, 0]
    assert data["failed"] is False


def test_run_dry_run_json_records_nothing(db: Path, tmp_path: Path) -> None:
    flows(db, "enable", "second-order-thanks", "--as-of", "2026-03-01")
    before = state(db)
    code, out, _ = flows(db, "run", "--as-of", "2026-03-02", "--dry-run", "--json",
                         "--out", str(tmp_path / "drafts"))  # fmt: skip
    result = json.loads(out)["flows"][0]
    assert code == 0 and (result["due"], result["drafted"], result["path"]) == (2, 2, None)
    assert state(db) == before and not (tmp_path / "drafts").exists()


def test_a_failed_flow_is_one_line_the_others_run_exit_1(db: Path, tmp_path: Path) -> None:
    flows(db, "add", "notes", "--trigger", "nth-order:2", "--template", NOTE,
          "--delay-days", "1", "--templates", templates(db))  # fmt: skip
    for name in ("notes", "second-order-thanks"):
        flows(db, "enable", name, "--as-of", "2026-03-01")
    shutil.rmtree(Path(templates(db)) / NOTE)
    code, out, _ = flows(db, "run", "--as-of", "2026-03-02", "--out", str(tmp_path / "d"),
                         "--templates", templates(db))  # fmt: skip
    assert code == ExitCode.FAILED
    lines = out.splitlines()
    assert lines[0] == "notes: FAILED: template 'note' no longer exists"
    assert lines[1].startswith("second-order-thanks: 2 due")
    listed = flows(db, "--as-of", "2026-03-02", "--templates", templates(db))[1]
    assert "notes  on  nth-order:2 +1d  template note  never run  PROBLEM: template 'note' no " \
           "longer exists" in listed  # fmt: skip


def test_run_without_out_writes_into_the_data_folder(db: Path, own_home: Path) -> None:
    flows(db, "enable", "second-order-thanks", "--as-of", "2026-03-01")
    code, out, _ = flows(db, "run", "--as-of", "2026-03-02")
    drafts = own_home / ".local/share/retain-tui/drafts/flow-second-order-thanks-2026-03-02"
    assert code == 0 and str(drafts) in out
    assert len(list(drafts.iterdir())) == 2
    assert (drafts.parent.stat().st_mode & 0o777) == 0o700


def test_no_enabled_flow_says_so(db: Path, tmp_path: Path) -> None:
    code, out, _ = flows(db, "run", "--out", str(tmp_path / "d"))
    assert code == 0 and out.startswith("No flow is enabled")


def test_an_interrupted_run_keeps_finished_flows_and_a_rerun_completes(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.compose.draft_writers

    for name in ("first-order-thanks", "second-order-thanks"):
        flows(db, "enable", name, "--as-of", "2026-03-01")
    writer = core.compose.draft_writers._EmlWriter
    place = writer.place
    calls: list[Path] = []

    def interrupted_second_time(self, out: Path, overwrite: bool) -> None:  # type: ignore[no-untyped-def]
        calls.append(out)
        place(self, out, overwrite)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C or SIGTERM after the drafts are in place

    out_dir = tmp_path / "drafts"
    with monkeypatch.context() as crashing:
        crashing.setattr(writer, "place", interrupted_second_time)
        code, _, err = flows(db, "run", "--as-of", "2026-03-02", "--out", str(out_dir))
    assert code == ExitCode.INTERRUPTED
    assert err.startswith("error: interrupted: the flow being run recorded and wrote nothing")
    assert [row[1] for row in state(db)["campaigns"]] == ["flow-first-order-thanks-2026-03-02"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["flow-first-order-thanks-2026-03-02"]
    code, out, _ = flows(db, "run", "--as-of", "2026-03-02", "--out", str(out_dir))
    assert code == 0
    assert out.splitlines()[0].startswith("first-order-thanks: nobody due")
    assert out.splitlines()[1].startswith("second-order-thanks: 2 due")
    assert len(state(db)["flow_entries"]) == 3
