"""One SMTP connection to the shop's server, and one message's transaction on it.

The DATA step is written out (smtplib's `data()` in two halves) so that the sender knows
where a lost connection struck: before the message's final dot the server must discard the
message (it stays queued); after it, the server may have accepted it (uncertain).
"""

from __future__ import annotations

import base64
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass

from core.delivery.settings import (
    SmtpAuthError,
    SmtpSettings,
    SmtpUnreachableError,
    redact,
)

TIMEOUT_SECONDS = 60.0
_DOT_LINE = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class Answer:
    """What became of one message: its new state, the server's reply, and whether the run
    must stop (the server closes, or refuses the sender for every message alike)."""

    state: str
    reply: str
    stop: str | None = None


def reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


class Session:
    """An open, logged-in connection (reused for every message of a run)."""

    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password
        self.smtp: smtplib.SMTP | None = None
        self.handing_over = False
        """True from the DATA command on: the server may hold the whole message."""

    def open(self) -> None:
        """Connect, secure and log in; `SmtpUnreachableError` or `SmtpAuthError` otherwise."""
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            context = ssl.create_default_context()
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=TIMEOUT_SECONDS, context=context
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
            self.smtp = smtp
            smtp.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SmtpUnreachableError(
                        f"the mail server {where} does not offer STARTTLS (smtp.security "
                        "starttls): nothing was sent"
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
        except SmtpUnreachableError:
            self.close()
            raise
        except ssl.SSLError as exc:
            self.close()
            raise SmtpUnreachableError(
                f"no secure connection to {where} ({exc.reason or exc}): nothing was sent"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SmtpUnreachableError(
                f"cannot reach the mail server {where} ({_why(exc)}): nothing was sent"
            ) from None
        self._login(where)

    def _login(self, where: str) -> None:
        s = self.settings
        assert self.smtp is not None
        if s.user is None:
            return
        if not self.password:
            self.close()
            raise SmtpAuthError(
                f"smtp.user is {s.user!r} but there is no password: set RETAIN_SMTP_PASSWORD "
                "or smtp.password_file (a file of mode 0600); nothing was sent"
            )
        try:
            if (s.user + self.password).isascii():
                self.smtp.login(s.user, self.password)
            else:
                _login_utf8(self.smtp, s.user, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            reply = redact(reply_text(exc.smtp_code, exc.smtp_error), self.password)
            raise SmtpAuthError(
                f"the mail server {where} refused the login of {s.user!r} ({reply}): check "
                "the password; nothing was sent"
            ) from None
        except smtplib.SMTPNotSupportedError:
            self.close()
            raise SmtpAuthError(
                f"the mail server {where} offers no login (AUTH) on this connection: unset "
                "smtp.user, or use starttls/tls; nothing was sent"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SmtpUnreachableError(
                f"the mail server {where} failed during the login "
                f"({redact(_why(exc), self.password)}): nothing was sent"
            ) from None

    def transmit(self, sender: str, recipient: str, message: bytes) -> Answer:
        """One transaction. A lost connection raises `Handover` when the message may have
        been accepted, `SmtpUnreachableError` when it cannot have been."""
        smtp = self.smtp
        assert smtp is not None
        where = f"{self.settings.host}:{self.settings.port}"
        self.handing_over = False
        try:
            options = ["BODY=8BITMIME"] if smtp.has_extn("8bitmime") else []
            code, text = smtp.mail(sender, options)
            if code != 250:
                return self._refused(code, text, "failed", sender_refused=True)
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                return self._refused(code, text, "refused")
            code, text = smtp.docmd("DATA")
            if code != 354:
                return self._refused(code, text, "failed")
            data = _DOT_LINE.sub(b"..", message)
            if not data.endswith(b"\r\n"):
                data += b"\r\n"
            self.handing_over = True
            smtp.send(data + b".\r\n")
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SmtpUnreachableError(
                f"the mail server {where} dropped the connection ({_why(exc)})"
            ) from None
        try:
            code, text = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise Handover(
                f"the connection to {where} was lost after the message was handed over "
                f"({_why(exc)}): the server may have accepted it"
            ) from None
        if code == 250:
            return Answer("sent", reply_text(code, text))
        return self._refused(code, text, "failed", after_data=True)

    def _refused(
        self,
        code: int,
        text: bytes,
        permanent_state: str,
        *,
        sender_refused: bool = False,
        after_data: bool = False,
    ) -> Answer:
        """A reply other than success: 5xx is final (`permanent_state`), 4xx leaves the
        message queued for the next run; 421 (closing) and a refused sender stop the run."""
        reply = redact(reply_text(code, text), self.password)
        if not after_data:
            self._reset()
        if code == 421 or not 400 <= code < 600:
            self.close()
            return Answer("queued", reply, stop=f"the mail server closes the connection ({reply})")
        if sender_refused and code >= 500:
            return Answer(
                "queued", reply, stop=f"the mail server refuses the sender address ({reply})"
            )
        return Answer(permanent_state if code >= 500 else "queued", reply)

    def _reset(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self, *, polite: bool = True) -> None:
        """QUIT and close; not `polite`: just close (an interrupted run must not wait for a
        server that is still busy with the message it was handed)."""
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        if not polite:
            smtp.close()
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    @property
    def is_open(self) -> bool:
        return self.smtp is not None


class Handover(SmtpUnreachableError):
    """The connection was lost after the message's final dot, before the server's reply."""


def _login_utf8(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN in UTF-8 (RFC 4616): smtplib's `login` encodes credentials as ASCII and
    fails on a password such as 'Pässwort'."""
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("AUTH")
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, text = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, text)


def _why(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return reply_text(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
