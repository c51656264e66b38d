"""The outbox's promise under faults: after re-runs every message reached the server at most
once, and every one not reported uncertain exactly once.

A crash is an exception injected right after one of the sender's state changes (the row
marked 'sending' and committed; the message handed over; the answer recorded and committed),
at every message; a property test picks the positions; a real SIGTERM stops a real process
while the server holds its reply.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.delivery.sender
import core.delivery.smtp
from core.delivery import queue_campaign, send_outbox
from core.store import open_store
from tests.delivery_shop import CAMPAIGN, campaign_shop, configure, rows, states
from tests.smtp_server import Recorder, Server, smtp_server

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 7
STEPS = ("marked", "handed_over", "recorded")
"""After which state change the crash strikes."""


class Crash(Exception):
    """The process dies here (an exception the sender does not handle)."""


@contextmanager
def crash_after(step: str, at_call: int) -> Iterator[None]:
    """Raise `Crash` right after the `at_call`-th time the sender did `step`."""
    target: Any
    if step == "marked":
        target, name = core.delivery.sender, "_mark_sending"
    elif step == "handed_over":
        target, name = core.delivery.smtp.Session, "transmit"
    else:
        target, name = core.delivery.sender, "record_state"
    real: Callable[..., Any] = getattr(target, name)
    calls = [0]

    def crashing(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        calls[0] += 1
        if calls[0] == at_call:
            raise Crash(f"after {step} #{at_call}")
        return result

    setattr(target, name, crashing)
    try:
        yield
    finally:
        setattr(target, name, real)


def run_until_done(db: Path, server: Server, crashes: list[tuple[str, int]]) -> None:
    """One run per crash, then a clean run. A crash whose position lies beyond what is left
    to send (fewer queued rows than `at`) cannot happen and is skipped."""
    with open_store(db) as store:
        queue_campaign(store, CAMPAIGN)
        for step, at in crashes:
            if at > list(states(db).values()).count("queued"):
                continue
            with crash_after(step, at), pytest.raises(Crash):
                send_outbox(store, CAMPAIGN, per_minute=0)
        send_outbox(store, CAMPAIGN, per_minute=0)


def check_exactly_once(db: Path, server: Server) -> None:
    received = [item.message_id for item in server.recorder.every_message()]
    assert len(received) == len(set(received)), "a message reached the server twice"
    final = dict(rows(db, "SELECT message_id, state FROM outbox"))
    assert set(final.values()) <= {"sent", "uncertain"}
    for message_id, state in final.items():
        if state == "sent":
            assert received.count(message_id) == 1
        assert received.count(message_id) <= 1


@pytest.fixture(scope="module")
def template_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return campaign_shop(tmp_path_factory.mktemp("shop"))


def fresh_copy(template_shop: Path, folder: Path) -> Path:
    """A copy of the campaign's shop (its templates folder is recorded in the campaign)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "shop.db"
    shutil.copyfile(template_shop, db)
    return db


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("at", range(1, MESSAGES + 1))
def test_a_crash_after_any_state_change_never_sends_twice(
    template_shop: Path, tmp_path: Path, step: str, at: int
) -> None:
    db = fresh_copy(template_shop, tmp_path)
    with smtp_server() as server:
        configure(db, server)
        run_until_done(db, server, [(step, at)])
    check_exactly_once(db, server)
    final = states(db)
    uncertain = [address for address, state in final.items() if state == "uncertain"]
    if step == "recorded":
        assert uncertain == [], "the answer was committed: nothing is in doubt"
    else:  # crashed between the 'sending' commit and the answer's
        assert len(uncertain) == 1
    assert len(server.recorder.received) == MESSAGES - (step == "marked")


@settings(max_examples=25)
@given(
    crashes=st.lists(
        st.tuples(st.sampled_from(STEPS), st.integers(min_value=1, max_value=MESSAGES)),
        max_size=4,
    ),
    drop_after=st.none() | st.integers(min_value=0, max_value=MESSAGES),
    drop_at=st.sampled_from(["rcpt", "data"]),
)
def test_property_at_most_once_whatever_the_faults(
    template_shop: Path,
    tmp_path_factory: pytest.TempPathFactory,
    crashes: list[tuple[str, int]],
    drop_after: int | None,
    drop_at: str,
) -> None:
    db = fresh_copy(template_shop, tmp_path_factory.mktemp("example"))
    recorder = Recorder(drop_after=drop_after, drop_at=drop_at)
    with smtp_server(recorder) as server:
        configure(db, server)
        with open_store(db) as store:
            queue_campaign(store, CAMPAIGN)
            first = send_outbox(store, CAMPAIGN, per_minute=0)  # the server may drop us
            assert (first.stopped is not None) == (drop_after is not None and drop_after < MESSAGES)
        recorder.drop_after = None
        run_until_done(db, server, crashes)
    check_exactly_once(db, server)
    assert len(server.recorder.every_message()) == MESSAGES - _never_handed_over(db, server)


def _never_handed_over(db: Path, server: Server) -> int:
    """Uncertain rows whose message the server never got (a crash after 'marked')."""
    got = {item.message_id for item in server.recorder.every_message()}
    return sum(
        1
        for (message_id,) in rows(db, "SELECT message_id FROM outbox WHERE state = 'uncertain'")
        if message_id not in got
    )


SEND = """
import sys
from tui.cli import main
main(sys.argv[1:])
"""


def test_sigterm_while_the_server_holds_its_reply_is_uncertain_not_resent(
    template_shop: Path, tmp_path: Path
) -> None:
    db = fresh_copy(template_shop, tmp_path)
    hold = threading.Event()
    recorder = Recorder(hold=hold)
    with smtp_server(recorder) as server:
        configure(db, server)
        child = subprocess.Popen(
            [sys.executable, "-c", SEND, "send", CAMPAIGN, "--db", str(db), "--per-minute", "0"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            recorder.wait_for(lambda r: r.in_data == 1)  # the first message is at the server
            child.send_signal(signal.SIGTERM)
            out, err = child.communicate(timeout=60)
        finally:
            child.kill()
        hold.set()  # aiosmtpd drops a message whose client left before the reply: a server
        # may as well keep it, which is why the row is uncertain
        assert child.returncode == 130, err
        assert "error: interrupted: every answer so far is recorded" in err
        [(address, state)] = [(a, s) for a, s in states(db).items() if s != "queued"]
        assert state == "uncertain"
        assert f"uncertain {address}: maybe sent, not sent again" in out
        with open_store(db) as store:
            report = send_outbox(store, CAMPAIGN, per_minute=0)
        assert (report.sent, report.uncertain) == (MESSAGES - 1, [address])
    check_exactly_once(db, server)
    assert MESSAGES - 1 <= len(server.recorder.received) <= MESSAGES
