"""Email addresses and header-safe text: what may go into a From, To or Subject line.

Customer data is untrusted. A name holding CR/LF (or U+2028, NEL, ...) must never start a new
header, so every value bound for a header passes through `header_text` first.
"""

from __future__ import annotations

import re

# Every character that some consumer treats as a line break or that is invisible control:
# C0 controls, DEL, C1 controls (NEL is \x85), and the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s{2,}")  # any Unicode spaces: mail readers collapse runs
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_NAMED = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<address>[^<>\s]+)>")


MAX_ADDRESS = 254
"""The longest address SMTP carries (RFC 5321's path limit, less the angle brackets)."""
MAX_DISPLAY_NAME = 78
"""The longest display name a draft's From or To carries: a longer one (a 1,200-character
"name" from an import) is cut with an ellipsis, so every header line stays far inside RFC
5322's 998 bytes even as one encoded word of 4-byte characters."""


class AddressError(ValueError):
    """Not an email address a mail client will accept."""


def header_text(value: object) -> str:
    """One line of plain text: control characters and line separators become single spaces."""
    text = str(value)
    if text.isprintable() and "  " not in text and text.strip() == text:
        return text  # the common case, without two regex passes
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def ellipsized(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the last one an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def inline_text(value: str | None) -> str:
    """Customer text for bodies and the app: no control codes (e.g. ESC), no line breaks."""
    return header_text(value) if value else ""


def check_address(text: str) -> str:
    """A bare address `local@domain`, ASCII, with an internationalised domain as IDNA.

    Raises `AddressError` saying what is wrong. Non-ASCII local parts need SMTPUTF8, which
    draft files cannot promise, so they are refused rather than mangled.
    """
    value = text.strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise AddressError(f"not an email address: {text!r}")
    if not _LOCAL_PART.fullmatch(local) or local.startswith(".") or local.endswith("."):
        raise AddressError(f"not a usable email address: {text!r}")
    if ".." in local:
        raise AddressError(f"not a usable email address: {text!r}")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressError(f"not a usable email domain: {text!r}") from None
    labels = ascii_domain.rstrip(".").split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise AddressError(f"not a usable email domain: {text!r}")
    address = f"{local}@{ascii_domain.lower().rstrip('.')}"
    if len(address) > MAX_ADDRESS:
        shown = ellipsized(value, 40)
        raise AddressError(f"email address longer than {MAX_ADDRESS} characters: {shown!r}")
    return address


def parse_mailbox(text: str) -> tuple[str, str]:
    """'Shop Name <hallo@shop.example>' or a bare address -> (display name, address)."""
    if _CONTROL.search(text):
        raise AddressError(f"line breaks or control characters in {text!r}")
    value = text.strip()
    match = _NAMED.fullmatch(value)
    if match is None:
        return "", check_address(value)
    name = match["name"].strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return header_text(name), check_address(match["address"])


def address_domain(address: str) -> str:
    return address.rpartition("@")[2]
