"""Where and how to send: the `smtp.*` settings, and the password, which is never stored.

The settings live in the store like the shop's (`retain-tui config set smtp.host ...`); the
password comes only from the environment (`RETAIN_SMTP_PASSWORD`) or from a file readable by
its owner alone (`smtp.password_file`), so that a copy of the database, a backup or an
access request never holds it. Nothing here prints it, and every error message that could
carry a server's words passes through `redact` (docs/delivery.md).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

PASSWORD_ENV = "RETAIN_SMTP_PASSWORD"
SECURITY_CHOICES = ("starttls", "tls", "none")
DEFAULT_SECURITY = "starttls"
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
DEFAULT_PER_MINUTE = 30
MAX_PER_MINUTE = 100_000
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""The only hosts `smtp.security none` may send to: nothing crosses a network in clear."""
_HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")


class DeliveryError(RuntimeError):
    """Sending cannot go on: one line, never a secret in it."""


class SmtpAuthError(DeliveryError):
    """The server refused the login: nothing was sent."""


class SmtpUnreachableError(DeliveryError):
    """The server could not be reached, or it dropped the connection."""


class SmtpSettingError(DeliveryError, ValueError):
    """A `smtp.*` setting, or the password's source, that cannot be used (exit 2)."""


@dataclass(frozen=True)
class SmtpSettings:
    """The shop's mail server (never the password itself)."""

    host: str
    port: int
    security: str = DEFAULT_SECURITY
    user: str | None = None
    password_file: Path | None = None
    per_minute: int = DEFAULT_PER_MINUTE

    def __post_init__(self) -> None:
        if self.security not in SECURITY_CHOICES:
            raise SmtpSettingError(
                f"smtp.security {self.security!r}: choose {', '.join(SECURITY_CHOICES)}"
            )
        if self.security == "none" and self.host.strip("[]") not in LOCAL_HOSTS:
            raise SmtpSettingError(
                f"smtp.security none sends the password and every message in clear: only to "
                f"localhost, 127.0.0.1 or ::1, not to {self.host!r} (use starttls or tls)"
            )


def check_host(value: str) -> str:
    """A host name or IP address, lower case."""
    host = value.strip().lower()
    if not host or len(host) > 253 or not set(host) <= _HOST_CHARACTERS:
        raise SmtpSettingError(f"{value!r}: a host name or IP address (e.g. smtp.example.com)")
    return host


def check_port(value: str) -> str:
    try:
        port = int(value.strip())
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise SmtpSettingError(f"{value!r}: a port number from 1 to 65535 (587 for starttls)")
    return str(port)


def check_security(value: str) -> str:
    choice = value.strip().lower()
    if choice not in SECURITY_CHOICES:
        raise SmtpSettingError(f"{value!r}: choose {', '.join(SECURITY_CHOICES)}")
    return choice


def check_user(value: str) -> str:
    user = value.strip()
    if not user or len(user) > 256 or not user.isprintable():
        raise SmtpSettingError("a login name of 1 to 256 printable characters")
    return user


def check_password_file(value: str) -> str:
    """A path (checked for its mode when the password is read, not when the setting is set:
    the file may be made afterwards)."""
    text = value.strip()
    if not text or not text.isprintable():
        raise SmtpSettingError(f"{value!r}: the path of a file holding the password")
    return str(Path(text).expanduser())


def check_per_minute(value: str) -> str:
    try:
        rate = int(value.strip())
    except ValueError:
        rate = -1
    if not 0 <= rate <= MAX_PER_MINUTE:
        raise SmtpSettingError(
            f"{value!r}: messages per minute, 0 (no limit) to {MAX_PER_MINUTE:,}"
        )
    return str(rate)


def smtp_settings(values: dict[str, str | None]) -> SmtpSettings:
    """The settings from the stored `smtp.*` values, or `SmtpSettingError` saying what to set."""
    host = values.get("smtp.host")
    if not host:
        raise SmtpSettingError(
            "no mail server: retain-tui config set smtp.host smtp.example.com "
            "(and smtp.user, smtp.password_file; see docs/delivery.md)"
        )
    try:
        security = check_security(values.get("smtp.security") or DEFAULT_SECURITY)
        port = int(check_port(values.get("smtp.port") or str(DEFAULT_PORTS[security])))
        per_minute = int(check_per_minute(values.get("smtp.per_minute") or "30"))
        user = values.get("smtp.user") or None
        password_file = values.get("smtp.password_file") or None
        return SmtpSettings(
            host=check_host(host), port=port, security=security,
            user=None if user is None else check_user(user),
            password_file=None if password_file is None else Path(password_file),
            per_minute=per_minute,
        )  # fmt: skip
    except SmtpSettingError as exc:
        raise SmtpSettingError(f"{exc} (fix it with retain-tui config set)") from None


def read_password(settings: SmtpSettings, environ: dict[str, str] | None = None) -> str | None:
    """`RETAIN_SMTP_PASSWORD`, else the first line of `smtp.password_file`; None for neither.

    The file must be a regular file that only its owner can read or write (0600 or 0400):
    anything else is refused with its name and mode, never read.
    """
    env = os.environ if environ is None else environ
    given = env.get(PASSWORD_ENV)
    if given:
        return given
    path = settings.password_file
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SmtpSettingError(
            f"smtp.password_file {path}: {exc.strerror or exc} (make it, mode 0600)"
        ) from None
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISREG(info.st_mode):
        raise SmtpSettingError(f"smtp.password_file {path}: not a regular file")
    if mode & 0o077:
        raise SmtpSettingError(
            f"smtp.password_file {path} has mode {mode:04o}: others could read the password; "
            f"make it private with chmod 600 {path}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise SmtpSettingError(f"smtp.password_file {path}: cannot be read ({exc})") from None
    password = text.splitlines()[0] if text else ""
    if not password:
        raise SmtpSettingError(f"smtp.password_file {path}: the file is empty")
    return password


def redact(text: str, password: str | None) -> str:
    """`text` with the password (if any) replaced: a server may echo what it was sent."""
    if password:
        text = text.replace(password, "********")
    return text
