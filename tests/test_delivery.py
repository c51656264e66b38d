"""Sending a campaign through a real SMTP server on 127.0.0.1 (aiosmtpd): the messages are
the campaign's drafts, each arrives once, and refusals, deferrals, a dropped connection and a
crash between DATA and the commit end as docs/delivery.md says."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from core.consent import set_marketing_consent
from core.delivery import Pacer, queue_campaign, send_campaign, send_outbox
from core.store import open_store
from tests.delivery_shop import (
    CAMPAIGN,
    campaign_shop,
    codes,
    configure,
    invoke,
    rows,
    states,
)
from tests.smtp_server import Recorder, smtp_server
from tui.commands.common import ExitCode


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return campaign_shop(tmp_path)


def send(db: Path, *args: str) -> tuple[int, str]:
    return invoke("send", CAMPAIGN, "--db", str(db), "--per-minute", "0", *args)


def test_each_drafted_customer_gets_their_message_once(db: Path, tmp_path: Path) -> None:
    with smtp_server() as server:
        configure(db, server)
        code, out = send(db)
        assert code == ExitCode.OK, out
        assert "sent now 7" in out
        again, out = send(db)  # a second run: nothing left to send
        assert again == ExitCode.OK, out
        assert "queued now 0, sent now 0" in out
    received = server.recorder.received
    assert len(received) == 7
    stored = {
        str(address): (str(mid), int(cid))
        for address, mid, cid in rows(db, "SELECT address, message_id, customer_id FROM outbox")
    }
    own_codes = codes(db)
    for item in received:
        [to] = item.recipients
        message = item.message
        assert message["To"].addresses[0].addr_spec == to
        assert message["Message-ID"] == stored[to][0]
        assert message["List-Unsubscribe"].startswith("<https://")
        assert message["X-Unsent"] is None, "a sent message is no draft"
        assert own_codes[stored[to][1]] in message.get_body(("plain",)).get_content()
        assert item.mail_from == "hallo@nordlicht.example"
    assert set(states(db).values()) == {"sent"}
    assert rows(db, "SELECT DISTINCT attempts FROM outbox") == [(1,)]


def test_the_sent_messages_are_the_campaigns_drafts(db: Path, tmp_path: Path) -> None:
    drafts = {}
    for path in (tmp_path / f"drafts-{CAMPAIGN}").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        drafts[message["To"].addresses[0].addr_spec] = message
    with smtp_server() as server:
        configure(db, server)
        assert send(db)[0] == ExitCode.OK
    assert len(drafts) == len(server.recorder.received) == 7
    for item in server.recorder.received:
        sent, draft = item.message, drafts[item.recipients[0]]
        for header in ("From", "To", "Subject", "List-Unsubscribe", "Content-Language"):
            assert sent[header] == draft[header], header
        for part in ("plain", "html"):
            assert sent.get_body((part,)).get_content() == draft.get_body((part,)).get_content()


@pytest.mark.parametrize("fmt", ["mbox", "csv"])
def test_a_campaign_exported_as_mbox_or_csv_sends_the_same_messages(
    tmp_path: Path, fmt: str
) -> None:
    db = campaign_shop(tmp_path, fmt=fmt)
    with smtp_server() as server:
        configure(db, server)
        assert send(db)[0] == ExitCode.OK
    own_codes = codes(db)
    assert len(own_codes) == len(server.recorder.received) == 7
    bodies = [item.message.get_body(("plain",)).get_content() for item in server.recorder.received]
    assert all(sum(code in body for body in bodies) == 1 for code in own_codes.values())


def test_queueing_twice_queues_nothing_new(db: Path) -> None:
    with open_store(db) as store:
        first = queue_campaign(store, CAMPAIGN)
        second = queue_campaign(store, CAMPAIGN)
    assert (first.queued, first.already) == (7, 0)
    assert (second.queued, second.already) == (0, 7)
    assert rows(db, "SELECT count(*), count(DISTINCT message_id) FROM outbox") == [(7, 7)]


def test_a_refused_recipient_is_reported_and_a_deferred_one_tried_next_run(db: Path) -> None:
    recorder = Recorder(refuse={"sanne@example.nl"}, defer={"ola@example.no"})
    with smtp_server(recorder) as server:
        configure(db, server)
        code, out = send(db)
        assert code == ExitCode.PARTIAL, out
        assert "refused   sanne@example.nl: 550 5.1.1 <sanne@example.nl>: no such user" in out
        assert "deferred  ola@example.no: 451 4.3.0 mailbox busy" in out
        assert states(db)["ola@example.no"] == "queued"
        recorder.defer.clear()
        code, out = send(db)
        assert code == ExitCode.OK, out
        assert "sent now 1" in out
    assert states(db)["sanne@example.nl"] == "refused"
    assert rows(db, "SELECT attempts, reply FROM outbox WHERE address = 'ola@example.no'") == [
        (2, "250 2.0.0 queued")
    ]
    assert len(recorder.received) == 6


def test_a_server_dropping_the_connection_mid_batch_leaves_the_rest_queued(db: Path) -> None:
    recorder = Recorder(drop_after=3, drop_at="rcpt")
    with smtp_server(recorder) as server:
        configure(db, server)
        code, out = send(db)
        assert code == ExitCode.PARTIAL, out
        assert "dropped the connection" in out and "the rest stays queued" in out
        assert sorted(states(db).values()) == ["queued"] * 4 + ["sent"] * 3
        recorder.drop_after = None
        assert send(db)[0] == ExitCode.OK
    ids = [item.message_id for item in recorder.received]
    assert len(ids) == len(set(ids)) == 7


def test_a_connection_lost_after_the_data_is_uncertain_and_never_sent_again(db: Path) -> None:
    recorder = Recorder(drop_after=2, drop_at="data")
    with smtp_server(recorder) as server:
        configure(db, server)
        code, out = send(db)
        assert code == ExitCode.PARTIAL, out
        [lost] = recorder.unanswered
        [address] = lost.recipients
        assert f"uncertain {address}: maybe sent, not sent again" in out
        assert "--retry-uncertain" in out
        recorder.drop_after = None
        code, out = send(db)
        assert code == ExitCode.PARTIAL, out  # still uncertain: the owner must decide
        assert f"uncertain {address}" in out
        assert states(db)[address] == "uncertain"
        every = [item.message_id for item in recorder.every_message()]
        assert len(every) == len(set(every)) == 7, "each message reached the server once"
        code, out = send(db, "--retry-uncertain")
        assert code == ExitCode.OK, out
    assert states(db)[address] == "sent"
    assert [item.message_id for item in recorder.received].count(lost.message_id) == 1


def test_someone_who_opted_out_since_the_export_is_not_sent_to(db: Path) -> None:
    with open_store(db) as store:
        queue_campaign(store, CAMPAIGN)
        set_marketing_consent(store, 2, False, source="cli")  # Giulia unsubscribes
    with smtp_server() as server:
        configure(db, server)
        code, out = send(db)
    assert code == ExitCode.OK, out  # the app's own rule, not a server's refusal
    assert "refused   giulia.rossi@example.it: suppressed" in out
    assert states(db)["giulia.rossi@example.it"] == "refused"
    assert rows(db, "SELECT reason FROM outbox WHERE customer_id = 2") == [("suppressed",)]
    assert "giulia.rossi@example.it" not in {r.recipients[0] for r in server.recorder.received}


def test_an_unreachable_server_leaves_everything_queued(db: Path) -> None:
    with smtp_server() as server:
        pass  # stopped: nothing listens on its port any more
    configure(db, server)
    code, out = send(db)
    assert code == ExitCode.FAILED, out
    assert f"cannot reach the mail server 127.0.0.1:{server.port}" in out
    assert set(states(db).values()) == {"queued"}


def test_the_rate_limit_spaces_messages_without_sleeping_in_tests(db: Path) -> None:
    waits: list[float] = []
    now = [1000.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with smtp_server() as server, open_store(db) as store:
        configure(db, server)
        queue_campaign(store, CAMPAIGN)
        report = send_outbox(store, CAMPAIGN, pacer=Pacer(30, lambda: now[0], sleep))
        assert report.sent == 7
        assert waits == [2.0] * 6, "30 a minute: one every 2 s, the first at once"
        unlimited: list[float] = []
        Pacer(0, lambda: 0.0, unlimited.append).wait()
        assert unlimited == []


def test_limit_sends_only_so_many_and_the_next_run_the_rest(db: Path) -> None:
    with smtp_server() as server:
        configure(db, server)
        code, out = send(db, "--limit", "3")
        assert code == ExitCode.OK, out
        assert "sent now 3" in out and "queued 4" in out
        assert send(db)[0] == ExitCode.OK
    assert len(server.recorder.received) == 7


def test_dry_run_queues_and_sends_nothing(db: Path) -> None:
    with smtp_server() as server:
        configure(db, server)
        code, out = send(db, "--dry-run")
    assert code == ExitCode.OK, out
    assert "dry run: nothing queued or sent; 7 message(s) would be sent" in out
    assert rows(db, "SELECT count(*) FROM outbox") == [(0,)]
    assert server.recorder.received == []


def test_send_campaign_is_queue_then_send(db: Path) -> None:
    with smtp_server() as server, open_store(db) as store:
        configure(db, server)
        report = send_campaign(store, CAMPAIGN, per_minute=0)
    assert (report.queued_now, report.sent, report.still_queued) == (7, 7, 0)


def test_an_unknown_campaign_is_refused(db: Path) -> None:
    code, out = invoke("send", "nope", "--db", str(db))
    assert code == ExitCode.REFUSED
    assert "error: no campaign named 'nope'" in out


def test_forgetting_a_customer_deletes_their_outbox_rows_and_access_lists_them(
    db: Path, tmp_path: Path
) -> None:
    from core.access_request import access_record
    from core.erasure import forget_customers

    with smtp_server() as server:
        configure(db, server)
        assert send(db)[0] == ExitCode.OK
    with open_store(db) as store:
        [entry] = access_record(store, 3)["outbox"]  # type: ignore[index]
        assert (entry["campaign"], entry["address"], entry["state"]) == (
            CAMPAIGN, "sanne@example.nl", "sent"
        )  # fmt: skip
        assert "Sanne" in entry["message"] and entry["message_id"].startswith("<")
        report = forget_customers(store, [3])
    assert report.cleared["outbox"] == 1
    assert rows(db, "SELECT count(*) FROM outbox WHERE customer_id = 3") == [(0,)]
    assert b"sanne@example.nl" not in db.read_bytes()
    with open_store(db) as store:
        assert access_record(store, 3)["outbox"] == []


def test_a_servers_reply_is_shown_as_text_never_as_markup_or_terminal_codes(db: Path) -> None:
    recorder = Recorder(refuse={"ola@example.no"}, refuse_reply="550 [bold red]no\x1b[2J\x07")
    with smtp_server(recorder) as server:
        configure(db, server)
        code, out = send(db)
    assert code == ExitCode.PARTIAL
    assert "refused   ola@example.no: 550 [bold red]no\\x1b[2J\\x07" in out
    assert "\x1b" not in out and "\x07" not in out


def test_a_second_send_while_one_runs_is_refused_and_sends_nothing(db: Path) -> None:
    from core.delivery.sender import send_lock

    with smtp_server() as server, open_store(db) as store, send_lock(store):
        configure(db, server)
        code, out = send(db)
        assert code == ExitCode.REFUSED
        assert "another retain-tui send is at work on" in out
        assert server.recorder.received == []
    assert rows(db, "SELECT count(*) FROM outbox WHERE state != 'queued'") == [(0,)]


@pytest.mark.parametrize(
    ("option", "says"),
    [(("--limit", "0"), "--limit 0: at least 1 message"),
     (("--per-minute", "100001"), "--per-minute 100001: 0 (no limit) to 100,000")],
)  # fmt: skip
def test_bad_options_are_refused_before_anything_is_queued(
    db: Path, option: tuple[str, str], says: str
) -> None:
    code, out = invoke("send", CAMPAIGN, "--db", str(db), *option)
    assert code == ExitCode.REFUSED
    assert f"error: {says}" in out
    assert rows(db, "SELECT count(*) FROM outbox") == [(0,)]


def test_a_message_the_server_refuses_after_its_data_is_failed_and_not_retried(
    db: Path,
) -> None:
    recorder = Recorder(reject_data={"emily@example.co.uk"})
    with smtp_server(recorder) as server:
        configure(db, server)
        code, out = send(db)
        assert code == ExitCode.PARTIAL, out
        assert "failed    emily@example.co.uk: 554 5.7.1 message refused as spam" in out
        recorder.reject_data.clear()
        code, out = send(db)
    assert "sent now 0" in out
    assert states(db)["emily@example.co.uk"] == "failed"
    assert len(recorder.received) == 6


def test_on_a_terminal_a_bar_counts_the_messages_and_goes_away(db: Path) -> None:
    import os
    import sys

    import pexpect

    root = Path(__file__).resolve().parent.parent
    with smtp_server() as server:
        configure(db, server)
        child = pexpect.spawn(
            sys.executable, ["-m", "tui", "send", CAMPAIGN, "--db", str(db), "--per-minute", "0"],
            cwd=str(root), env={**os.environ, "PYTHONPATH": str(root), "TERM": "xterm"},
            dimensions=(24, 120), timeout=60, encoding="utf-8", codec_errors="replace",
        )  # fmt: skip
        try:
            child.expect("Sending")
            child.expect("7/7")
            child.expect("campaign wb: queued now 7, sent now 7")
            child.expect(pexpect.EOF)
        finally:
            child.close()
    assert child.exitstatus == 0, child.before
    assert len(server.recorder.received) == 7


def test_a_campaign_handed_to_a_mail_service_is_not_sent_here_too(tmp_path: Path) -> None:
    db = campaign_shop(tmp_path)  # the shop, with campaign "wb" as drafts
    code, output = invoke(
        "export", "--db", str(db), "--templates", str(tmp_path / "mine"), "--as-of",
        "2026-11-05", "-t", "win-back", "-c", "1,2", "--campaign", "to-mailchimp",
        "--discount", "10%", "--format", "audience", "--for", "mailchimp", "--out",
        str(tmp_path / "a.csv"),
        "--min-gap-days", "0",
    )  # fmt: skip
    assert code == 0, output
    with smtp_server() as server:
        configure(db, server)
        code, out = invoke("send", "to-mailchimp", "--db", str(db))
    assert code == ExitCode.REFUSED
    assert "written as an audience file for mailchimp: send it from mailchimp" in out
    assert rows(db, "SELECT * FROM outbox") == [] and server.recorder.received == []
