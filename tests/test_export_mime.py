"""The hand-written MIME: any name, subject or body parses back exactly, and stays in place."""

from __future__ import annotations

import email
import mailbox
from email import policy
from email.message import EmailMessage
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.addresses import MAX_DISPLAY_NAME, ellipsized, header_text
from core.compose import Draft
from core.compose.draft_writers import mboxrd_quote
from core.compose.mime import body_bytes, message_bytes

TRICKY = st.sampled_from([
    "Jürgen Müller", "Zoë \"Z\" van der Berg", "=?utf-8?q?evil?=", "a\r\nBcc: x@example.com",
    "Line\u2028Sep", "NEL\x85here", "[bold]x[/bold]", "=HYPERLINK(1)", "<b>&amp;</b>", "",
    "Søren, Ærø; (x) <y> @z", "x" * 120, "ÆØÅ" * 40, "From me", " spaced  out ", "\\back\\",
])  # fmt: skip
NAMES = st.one_of(TRICKY, st.text(max_size=80))
BODIES = st.one_of(
    st.sampled_from(["From here\n>From there\n", "a" * 1500 + "\n", "tab\tend \n", "x\x00y",
                     "--=_rt_1_2_3\n", "ends without newline", "\r\nmixed\rbreaks\n", ""]),
    st.text(max_size=300),
)  # fmt: skip


def draft(name: str, subject: str, text: str, html: str | None) -> Draft:
    return Draft(
        customer_id=7, template="t", kind="marketing", language="de", locale="de_DE",
        to_name=name, to_address="to@example.com", subject=subject, text=text, html=html,
        from_name="Nordlicht Tee & Kaffee", from_address="hallo@nordlicht.example",
        reply_to="antwort@nordlicht.example",
        unsubscribe_url="https://nordlicht.example/u?c=7",
        unsubscribe_mailto="mailto:unsubscribe@nordlicht.example?subject=unsubscribe",
    )  # fmt: skip


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def content(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def normal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=60, deadline=None)
@given(name=NAMES, subject=NAMES, text=BODIES, html=BODIES)
def test_any_values_round_trip_and_never_add_headers(
    name: str, subject: str, text: str, html: str
) -> None:
    subject = subject or "x"
    data = message_bytes(draft(name, subject, text, html), date="Thu, 05 Nov 2026 10:00:00 +0100",
                         message_id="<1.2.3@nordlicht.example>")  # fmt: skip
    message = parse(data)
    assert not message.defects
    head = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    fields = list(message)
    assert fields == ["From", "To", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version",
                      "Content-Language", "X-Unsent", "List-Unsubscribe",
                      "List-Unsubscribe-Post", "Content-Type"]  # fmt: skip
    to = message["To"].addresses[0]
    assert to.addr_spec == "to@example.com"
    assert to.display_name == ellipsized(header_text(name), MAX_DISPLAY_NAME)
    assert str(message["Subject"]) == header_text(subject)
    assert content(message, "plain") == normal(text)
    assert content(message, "html") == normal(html)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(BODIES, min_size=1, max_size=4))
def test_mbox_holds_every_message_and_body(tmp_path: Path, texts: list[str]) -> None:
    path = tmp_path / "box.mbox"
    with path.open("wb") as out:
        for index, text in enumerate(texts):
            data = message_bytes(draft("N", f"s{index}", text, None), date="x",
                                 message_id=f"<{index}.1.1@x.example>", linesep=b"\n")  # fmt: skip
            out.write(b"From MAILER-DAEMON Thu Nov  5 10:00:00 2026\n" + mboxrd_quote(data) + b"\n")
    box = mailbox.mbox(path)
    assert len(box) == len(texts)
    for key, text in zip(box.keys(), texts, strict=True):
        got = parse(box.get_bytes(key)).get_content()
        expected = normal(text)
        assert got == (expected if expected.endswith("\n") else expected + "\n")


LONG_NAMES = st.one_of(
    st.text(min_size=1, max_size=2000),
    st.text(alphabet='\U0001f600\u4e2d\r\n x"\\', min_size=500, max_size=2000),
    st.sampled_from(["A" * 1200, "Ä" * 1200, "ab " * 600, '"' * 1000, "\U0001f600" * 1000]),
)


@settings(max_examples=60, deadline=None)
@given(name=LONG_NAMES)
def test_long_names_keep_every_header_line_within_998_bytes(name: str) -> None:
    """A 1,200-character name made a 1,632-byte To: line; names are cut with an ellipsis."""
    for linesep in (b"\r\n", b"\n"):  # eml, mbox
        data = message_bytes(draft(name, "Hallo", "text\n", None), date="x",
                             message_id="<1.2.3@x.example>", linesep=linesep)  # fmt: skip
        assert max(len(line) for line in data.split(linesep)) <= 998
        message = parse(data)
        assert not message.defects
        to = message["To"].addresses[0]
        assert to.addr_spec == "to@example.com"
        shown = header_text(name)
        assert to.display_name == ellipsized(shown, MAX_DISPLAY_NAME)
        if len(shown) > MAX_DISPLAY_NAME:
            assert to.display_name.endswith("…") and len(to.display_name) <= MAX_DISPLAY_NAME


def test_bodies_go_8bit_when_safe_and_quoted_printable_otherwise() -> None:
    assert body_bytes("Grüße\n", b"\r\n", boundary=b"=_b")[0] == "8bit"
    assert body_bytes("plain\n", b"\r\n", boundary=b"=_b")[0] == "7bit"
    for risky in ("From the start\n", "ok\n>From quoted\n", "x" * 999, "a=_b\n", "nul\x00"):
        encoding, data = body_bytes(risky, b"\n", boundary=b"=_b")
        assert encoding == "quoted-printable"
        assert not data.startswith(b"From ") and b"\nFrom " not in data and b"\n>From " not in data


def test_mboxrd_quoting_adds_one_level() -> None:
    assert mboxrd_quote(b"a\nFrom x\n>From y\n>>From z\nFromage\n") == (
        b"a\n>From x\n>>From y\n>>>From z\nFromage\n"
    )
