"""The smtp.* settings, the password's two sources, login and TLS against a real server on
127.0.0.1, and the password never shown: not in output, --json, errors, nor the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.delivery import PASSWORD_ENV, SmtpSettingError, SmtpSettings, read_password
from tests.delivery_shop import CAMPAIGN, campaign_shop, configure, invoke, states
from tests.smtp_server import PASSWORD, USER, self_signed_cert, smtp_server
from tui.commands.common import ExitCode

# The test server takes a login without TLS on 127.0.0.1 (the TLS tests are below).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return campaign_shop(tmp_path)


def send(db: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    return invoke("send", CAMPAIGN, "--db", str(db), "--per-minute", "0", *args, env=env)


def password_file(folder: Path, mode: int, text: str = PASSWORD + "\n") -> Path:
    path = folder / "smtp-password"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_config_set_checks_every_smtp_setting(db: Path) -> None:
    for key, value in (("smtp.host", "Mail.Example.COM"), ("smtp.port", "2525"),
                       ("smtp.security", "TLS"), ("smtp.user", "shop"),
                       ("smtp.per_minute", "0")):  # fmt: skip
        code, out = invoke("config", "set", key, value, "--db", str(db))
        assert code == 0, out
    code, out = invoke("config", "get", "smtp.host", "--db", str(db))
    assert out.strip() == "mail.example.com"
    for key, value, says in (("smtp.port", "70000", "a port number from 1 to 65535"),
                             ("smtp.security", "ssl", "choose starttls, tls, none"),
                             ("smtp.host", "mail example", "a host name or IP address"),
                             ("smtp.per_minute", "100001", "0 (no limit)")):  # fmt: skip
        code, out = invoke("config", "set", key, value, "--db", str(db))
        assert code == ExitCode.REFUSED, out
        assert says in out and "Traceback" not in out


def test_security_none_is_refused_for_a_host_that_is_not_this_machine(db: Path) -> None:
    for host in ("localhost", "127.0.0.1", "::1"):
        SmtpSettings(host=host, port=25, security="none")
    with pytest.raises(SmtpSettingError, match="only to localhost"):
        SmtpSettings(host="mail.example.com", port=25, security="none")
    invoke("config", "set", "smtp.host", "mail.example.com", "--db", str(db))
    invoke("config", "set", "smtp.security", "none", "--db", str(db))
    code, out = send(db)
    assert code == ExitCode.REFUSED
    assert "smtp.security none sends the password and every message in clear" in out
    assert set(states(db).values()) == {"queued"}, "queued, not sent"


def test_no_mail_server_is_a_one_line_refusal(db: Path) -> None:
    code, out = send(db)
    assert code == ExitCode.REFUSED
    assert out.count("\n") <= 2 and "error: no mail server: retain-tui config set smtp.host" in out


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_password_file_others_can_read_is_refused_naming_file_and_mode(
    db: Path, tmp_path: Path, mode: int
) -> None:
    path = password_file(tmp_path, mode)
    with smtp_server(auth=True) as server:
        configure(db, server, **{"smtp.user": USER, "smtp.password_file": str(path)})
        code, out = send(db)
    assert code == ExitCode.REFUSED
    assert f"smtp.password_file {path} has mode {mode:04o}" in out
    assert f"chmod 600 {path}" in out
    assert server.recorder.received == []


def test_the_password_file_must_be_a_regular_file(tmp_path: Path) -> None:
    settings = SmtpSettings("localhost", 25, "none", USER, tmp_path)
    with pytest.raises(SmtpSettingError, match="not a regular file"):
        read_password(settings, {})
    missing = SmtpSettings("localhost", 25, "none", USER, tmp_path / "nope")
    with pytest.raises(SmtpSettingError, match="No such file"):
        read_password(missing, {})


def test_the_environment_comes_before_the_file(tmp_path: Path) -> None:
    settings = SmtpSettings("localhost", 25, "none", USER, password_file(tmp_path, 0o600, "f\n"))
    assert read_password(settings, {PASSWORD_ENV: "from-env"}) == "from-env"
    assert read_password(settings, {}) == "f"
    assert read_password(SmtpSettings("localhost", 25, "none"), {}) is None


def test_a_wrong_password_stops_at_once_with_nothing_sent(db: Path) -> None:
    with smtp_server(auth=True) as server:
        configure(db, server, **{"smtp.user": USER})
        code, out = send(db, env={PASSWORD_ENV: "not-" + PASSWORD})
    assert code == ExitCode.FAILED
    assert f"refused the login of '{USER}' (535 5.7.8 Authentication credentials invalid)" in out
    assert "nothing was sent" in out and "not-" + PASSWORD not in out
    assert set(states(db).values()) == {"queued"}
    assert server.recorder.received == []


def test_a_login_without_password_says_where_to_put_it(db: Path) -> None:
    with smtp_server(auth=True) as server:
        configure(db, server, **{"smtp.user": USER})
        code, out = send(db)
    assert code == ExitCode.FAILED
    assert "no password: set RETAIN_SMTP_PASSWORD or smtp.password_file" in out


def test_the_password_is_never_shown_nor_stored(db: Path, tmp_path: Path) -> None:
    """Every output of a run with the right password, a wrong one, the file and --json."""
    path = password_file(tmp_path, 0o600)
    outputs: list[str] = []
    with smtp_server(auth=True) as server:
        configure(db, server, **{"smtp.user": USER})
        outputs.append(send(db, "--json", env={PASSWORD_ENV: PASSWORD + "x"})[1])
        outputs.append(send(db, "--dry-run", env={PASSWORD_ENV: PASSWORD})[1])
        outputs.append(send(db, "--limit", "2", env={PASSWORD_ENV: PASSWORD})[1])
        configure(db, server, **{"smtp.user": USER, "smtp.password_file": str(path)})
        outputs.append(send(db, "--json")[1])
        outputs.append(invoke("config", "list", "--db", str(db))[1])
        outputs.append(invoke("config", "list", "--json", "--db", str(db))[1])
        path.chmod(0o644)
        outputs.append(send(db)[1])
    assert len(server.recorder.received) == 7
    secrets = (PASSWORD, PASSWORD.encode(), PASSWORD.encode("utf-16-le"))
    for text in outputs:
        assert PASSWORD not in text and PASSWORD[:8] not in text
    stored = b"".join(
        p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("shop.db") and p.is_file()
    )
    assert not any(secret in stored for secret in secrets[1:]), (
        "not in the database, its WAL or lock file"
    )


def test_a_password_file_of_mode_0600_logs_in(db: Path, tmp_path: Path) -> None:
    path = password_file(tmp_path, 0o600)
    with smtp_server(auth=True) as server:
        configure(db, server, **{"smtp.user": USER, "smtp.password_file": str(path)})
        code, out = send(db)
    assert code == ExitCode.OK, out
    assert len(server.recorder.received) == 7


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    made = self_signed_cert(tmp_path)
    if made is None:
        pytest.skip("no openssl command to make a test certificate")
    monkeypatch.setenv("SSL_CERT_FILE", str(made[0]))  # trusted as the system's CAs would be
    return made


def test_starttls_with_a_trusted_certificate(db: Path, certificate: tuple[Path, Path]) -> None:
    with smtp_server(auth=True, starttls_cert=certificate) as server:
        configure(db, server, **{"smtp.security": "starttls", "smtp.user": USER})
        code, out = send(db, env={PASSWORD_ENV: PASSWORD, "SSL_CERT_FILE": str(certificate[0])})
    assert code == ExitCode.OK, out
    assert len(server.recorder.received) == 7


def test_implicit_tls_with_a_trusted_certificate(db: Path, certificate: tuple[Path, Path]) -> None:
    with smtp_server(tls_cert=certificate) as server:
        configure(db, server, **{"smtp.security": "tls"})
        code, out = send(db)
    assert code == ExitCode.OK, out
    assert len(server.recorder.received) == 7


def test_an_untrusted_certificate_is_refused_with_nothing_sent(
    db: Path, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other = self_signed_cert(tmp_path / "other")
    assert other is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(other[0]))  # trusts another certificate only
    with smtp_server(starttls_cert=certificate) as server:
        configure(db, server, **{"smtp.security": "starttls"})
        code, out = send(db)
    assert code == ExitCode.FAILED
    assert "no secure connection to 127.0.0.1" in out and "CERTIFICATE_VERIFY_FAILED" in out
    assert set(states(db).values()) == {"queued"}


def test_starttls_asked_of_a_server_without_it_sends_nothing(db: Path) -> None:
    with smtp_server() as server:
        configure(db, server, **{"smtp.security": "starttls"})
        code, out = send(db)
    assert code == ExitCode.FAILED
    assert "does not offer STARTTLS (smtp.security starttls): nothing was sent" in out
    assert server.recorder.received == []
