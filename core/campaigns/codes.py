"""Unique discount codes: `WINBACK-7KQ2M9XD`, one per recipient, unique across the store.

The 8 characters after the prefix come from `secrets` over 31 letters and digits that cannot
be mistaken for one another when read aloud or typed from paper: no 0/O, no 1/I/L. That is
31^8 (about 8.5 * 10^11) codes per prefix, so at 100,000 codes issued a fresh code collides
with one of them with a chance of about 1 in 8.5 million; a collision is still caught (with the
codes already in the store and within the batch) and that code is drawn again.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""A-Z and 2-9 without the look-alikes 0, O, 1, I and L."""

CODE_LENGTH = 8
MAX_PREFIX = 16
PREFIX_PATTERN = re.compile(r"[A-Z0-9]{1,16}")
CODE_PATTERN = re.compile(rf"[A-Z0-9]{{1,{MAX_PREFIX}}}-[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
"""Every code this module issues matches this (docs/campaigns.md, "Discount codes")."""

PLACEHOLDER = "#" * CODE_LENGTH
"""What a dry run shows instead of the random part: '#' is never in a real code."""

_LIMIT = 256 - 256 % len(CODE_ALPHABET)  # bytes at or above it are dropped: no modulo bias

TokenSource = Callable[[int], bytes]
Taken = Callable[[Sequence[str]], Iterable[str]]


class CodePrefixError(ValueError):
    """A code prefix with characters other than A-Z and 0-9, or too long."""


def check_prefix(prefix: str) -> str:
    """The prefix in capitals, or `CodePrefixError` saying what is allowed."""
    text = prefix.strip().upper()
    if not PREFIX_PATTERN.fullmatch(text):
        raise CodePrefixError(
            f"--code-prefix {prefix!r}: use 1 to {MAX_PREFIX} letters A-Z and digits 0-9 "
            "(the code adds '-' and 8 characters)"
        )
    return text


def placeholder_code(prefix: str) -> str:
    return f"{prefix}-{PLACEHOLDER}"


def _random_parts(count: int, token: TokenSource) -> list[str]:
    """`count` random 8-character strings over CODE_ALPHABET (rejection sampling of bytes)."""
    wanted = count * CODE_LENGTH
    chars: list[str] = []
    alphabet = CODE_ALPHABET
    size = len(alphabet)
    while len(chars) < wanted:
        need = wanted - len(chars)
        for byte in token(need + need // 8 + 16):
            if byte < _LIMIT:
                chars.append(alphabet[byte % size])
    joined = "".join(chars[:wanted])
    return [joined[i : i + CODE_LENGTH] for i in range(0, wanted, CODE_LENGTH)]


def new_codes(
    prefix: str,
    count: int,
    taken: Taken,
    *,
    token: TokenSource = secrets.token_bytes,
    max_rounds: int = 20,
) -> list[str]:
    """`count` distinct codes `PREFIX-XXXXXXXX`, none of which `taken` reports as already in
    use (it gets a batch, returns the ones that exist). Drawn again until all are free."""
    codes: list[str] = []
    seen: set[str] = set()
    missing = count
    for _ in range(max_rounds):
        if not missing:
            return codes
        fresh = [f"{prefix}-{part}" for part in _random_parts(missing, token)]
        unique = [code for code in dict.fromkeys(fresh) if code not in seen]
        used = set(taken(unique))
        for code in unique:
            if code not in used:
                seen.add(code)
                codes.append(code)
        missing = count - len(codes)
    if missing:
        raise RuntimeError("could not draw unique discount codes (is the random source broken?)")
    return codes
