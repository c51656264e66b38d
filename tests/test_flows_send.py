"""`retain-tui flows run --send`: each new flow campaign goes through the outbox to a real SMTP
server on 127.0.0.1, then whatever earlier flow runs left queued; one exit code for cron."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.delivery_shop import configure, rows, states
from tests.flows_support import ORDERS, flow_shop
from tests.smtp_server import Recorder, smtp_server
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
runner = CliRunner()
THANKED = {"c2@example.com", "c1@example.com", "c3@example.com"}
"""Who the two thank-you flows draft on 2 March: C2's first order, C1's and C3's second."""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    store, _ids = flow_shop(tmp_path, 6, ORDERS)
    store.close()
    db = tmp_path / "shop.db"
    for name in ("first-order-thanks", "second-order-thanks"):
        assert flows(db, "enable", name, "--as-of", "2026-03-01")[0] == 0
    return db


def flows(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["flows", *args, "--db", str(db)], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def run_and_send(db: Path, *extra: str) -> tuple[int, str, str]:
    return flows(db, "run", "--as-of", "2026-03-02", "--out", str(db.parent / "drafts"),
                 "--send", "--per-minute", "0", *extra)  # fmt: skip


def received(recorder: Recorder) -> list[str]:
    return sorted(address for item in recorder.received for address in item.recipients)


def test_each_new_campaign_is_sent_once_and_a_rerun_sends_nothing(db: Path) -> None:
    with smtp_server() as server:
        configure(db, server)
        code, out, err = run_and_send(db)
        assert (code, err) == (ExitCode.OK, ""), out
        assert received(server.recorder) == sorted(THANKED)
        assert set(states(db).values()) == {"sent"}
        assert "campaign flow-first-order-thanks-2026-03-02: queued now 0, sent now 1" in out
        assert "campaign flow-second-order-thanks-2026-03-02: queued now 0, sent now 2" in out
        code, out, _ = run_and_send(db)
        assert code == ExitCode.OK and "nothing to send" in out
        assert received(server.recorder) == sorted(THANKED)  # nobody twice


def test_a_deferred_message_is_sent_by_the_next_run(db: Path) -> None:
    with smtp_server(Recorder(defer={"c3@example.com"})) as server:
        configure(db, server)
        code, out, _ = run_and_send(db)
        assert code == ExitCode.PARTIAL, out
        assert "deferred  c3@example.com: 451 4.3.0 mailbox busy, try later" in out
        assert states(db)["c3@example.com"] == "queued"
        server.recorder.defer.clear()
        code, out, _ = run_and_send(db)  # the same day: no new campaign, the queued one left
        assert code == ExitCode.OK, out
        assert received(server.recorder) == sorted(THANKED)
        assert set(states(db).values()) == {"sent"}


def test_an_unreachable_server_keeps_the_flows_and_leaves_the_messages_queued(db: Path) -> None:
    with smtp_server() as gone:
        pass  # stopped: nothing listens on its port any more
    configure(db, gone)
    code, out, _ = run_and_send(db)
    assert code == ExitCode.FAILED, out
    assert "sending stopped: cannot reach the mail server" in out
    assert len(rows(db, "SELECT * FROM flow_runs")) == 2  # the flows ran and are recorded
    assert set(states(db).values()) == {"queued"}
    with smtp_server() as server:
        configure(db, server)
        code, out, _ = run_and_send(db)
        assert code == ExitCode.OK, out
        assert received(server.recorder) == sorted(THANKED)


def test_missing_mail_settings_are_refused_before_any_flow_runs(db: Path) -> None:
    code, _out, err = run_and_send(db)
    assert code == ExitCode.REFUSED
    assert err.startswith("error: --send: ") and "smtp.host" in err
    assert rows(db, "SELECT * FROM flow_runs") == [] and rows(db, "SELECT * FROM outbox") == []


def test_send_json_is_one_document(db: Path) -> None:
    with smtp_server() as server:
        configure(db, server)
        code, out, _ = run_and_send(db, "--json")
    data = json.loads(out)
    assert code == ExitCode.OK
    assert [flow["drafted"] for flow in data["flows"]] == [1, 2]
    assert [(item["campaign"], item["sent"]) for item in data["sent"]] == [
        ("flow-first-order-thanks-2026-03-02", 1),
        ("flow-second-order-thanks-2026-03-02", 2),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--dry-run",), "--send with --dry-run: a dry run records no campaign to send"),
        (("--per-minute", "-1"), "--per-minute -1: 0 (no limit) to 100,000"),
    ],
)
def test_bad_send_options_are_refused_before_any_flow_runs(
    db: Path, args: tuple[str, ...], message: str
) -> None:
    code, _out, err = run_and_send(db, *args)
    assert (code, err) == (ExitCode.REFUSED, f"error: {message}\n")
    assert rows(db, "SELECT * FROM flow_runs") == []
