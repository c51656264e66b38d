"""Real SMTP servers on 127.0.0.1 for the delivery tests (aiosmtpd, in a thread).

`smtp_server(...)` starts one on a free port and always stops it. The handler keeps every
message it received (whole, as bytes) and can refuse chosen recipients (550), defer them
(451), drop the connection after k messages (at RCPT, or after the message's final dot
before replying: the server then holds a message its client never heard about), and demand
a login. Tests wait for what they need (`Recorder.wait_for`), never for time.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
USER = "shop"
PASSWORD = "s3cr3t-Pa55-üñí"
WAIT_SECONDS = 60


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Recorder:
    """The handler: what arrived, and the faults it was told to play."""

    refuse: set[str] = field(default_factory=set)
    refuse_reply: str = "550 5.1.1 <{address}>: no such user"
    defer: set[str] = field(default_factory=set)
    reject_data: set[str] = field(default_factory=set)
    """Recipients whose message the server refuses after its DATA (554)."""
    drop_after: int | None = None
    """Accept this many messages, then drop the connection on the next one."""
    drop_at: str = "rcpt"
    """'rcpt': before the message; 'data': after its final dot, without a reply."""
    hold: threading.Event | None = None
    """While set to an unset event, each DATA waits for it (a server slow to answer)."""
    received: list[Received] = field(default_factory=list)
    unanswered: list[Received] = field(default_factory=list)
    """Messages taken whole whose reply was never sent (drop_at 'data')."""
    changed: threading.Condition = field(default_factory=threading.Condition)
    in_data: int = 0

    def _dropping(self) -> bool:
        return self.drop_after is not None and len(self.received) >= self.drop_after

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:  # fmt: skip
        if self._dropping() and self.drop_at == "rcpt":
            server.transport.abort()
            return "421 4.3.0 going away"
        if address in self.refuse:
            return self.refuse_reply.format(address=address)
        if address in self.defer:
            return "451 4.3.0 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        item = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        if self._dropping() and self.drop_at == "data":
            with self.changed:
                self.unanswered.append(item)
                self.changed.notify_all()
            server.transport.abort()
            return "250 never heard"
        if set(envelope.rcpt_tos) & self.reject_data:
            return "554 5.7.1 message refused as spam"
        with self.changed:
            self.in_data += 1
            self.changed.notify_all()
        if self.hold is not None:  # waits in a worker thread: the server's loop runs on
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait)
        with self.changed:
            self.received.append(item)
            self.changed.notify_all()
        return "250 2.0.0 queued"

    def wait_for(self, condition: Any) -> None:
        """Until `condition(self)` holds (the server runs in its own thread)."""
        with self.changed:
            if not self.changed.wait_for(lambda: condition(self), timeout=WAIT_SECONDS):
                raise AssertionError("the SMTP server never got there")

    def every_message(self) -> list[Received]:
        return self.received + self.unanswered


class _Authenticator:
    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:  # fmt: skip
        good = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        )
        return AuthResult(success=good, handled=False)


class _FreePortController(Controller):
    """Binds port 0 (a free one) and learns which it got before the readiness check."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Server:
    host: str
    port: int
    recorder: Recorder

    def settings(self, **extra: str) -> dict[str, str]:
        """The `smtp.*` settings that reach it (plain SMTP to localhost unless `extra`)."""
        return {"smtp.host": self.host, "smtp.port": str(self.port), "smtp.security": "none",
                **extra}  # fmt: skip


@contextmanager
def smtp_server(
    recorder: Recorder | None = None,
    *,
    auth: bool = False,
    starttls_cert: tuple[Path, Path] | None = None,
    tls_cert: tuple[Path, Path] | None = None,
) -> Iterator[Server]:
    """A server on 127.0.0.1 and a free port; stopped whatever happens in the block."""
    recorder = recorder or Recorder()
    kwargs: dict[str, Any] = {"enable_SMTPUTF8": False}
    if auth:
        kwargs.update(auth_required=True, auth_require_tls=False,
                      authenticator=_Authenticator())  # fmt: skip
    if starttls_cert is not None:
        kwargs["tls_context"] = _server_context(*starttls_cert)
        kwargs["require_starttls"] = True
    ssl_context = _server_context(*tls_cert) if tls_cert is not None else None
    controller = _FreePortController(
        recorder, hostname=HOST, port=0, ssl_context=ssl_context, **kwargs
    )
    controller.start()
    try:
        yield Server(HOST, controller.port, recorder)
    finally:
        with recorder.changed:  # a held DATA must not keep the loop from stopping
            if recorder.hold is not None:
                recorder.hold.set()
        controller.stop()


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def self_signed_cert(folder: Path) -> tuple[Path, Path] | None:
    """A certificate for 127.0.0.1 and localhost made with the system's openssl (None
    without one: the TLS tests are then skipped, and say so)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", str(key), "-out",
             str(cert), "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return cert, key
