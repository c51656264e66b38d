"""Unique discount codes (core/campaigns/codes.py): format, uniqueness across the store,
collisions drawn again, prefixes refused."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from core.campaigns import CODE_ALPHABET, CODE_PATTERN, CodePrefixError, check_prefix
from core.campaigns.codes import new_codes, placeholder_code
from core.campaigns.records import codes_in_use
from core.store import open_store

DOCUMENTED = re.compile(r"[A-Z0-9]{1,16}-[2-9A-HJKMNP-Z]{8}")
"""The format docs/campaigns.md gives, written out independently of the module."""


def test_the_alphabet_has_no_look_alikes() -> None:
    assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 31
    assert not set("01OIL") & set(CODE_ALPHABET)
    assert set(CODE_ALPHABET) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789") - set("OIL")


def test_100000_codes_are_unique_match_the_format_and_avoid_stored_ones(tmp_path: Path) -> None:
    store = open_store(tmp_path / "shop.db", create=True)
    with store.write() as conn:
        conn.execute(
            "INSERT INTO campaigns (name, template, kind, audience, created_at, as_of) "
            "VALUES ('old', 'win-back', 'marketing', 'lapsed', '2026-01-01', '2026-01-01')"
        )
        existing = new_codes("WINBACK", 1000, lambda batch: [])
        conn.executemany(
            "INSERT INTO discount_codes (code, campaign_id, customer_id, kind, value, created_at)"
            " VALUES (?, 1, ?, 'percent', 1000, '2026-01-01')",
            [(code, n) for n, code in enumerate(existing)],
        )
    codes = new_codes("WINBACK", 100_000, lambda batch: codes_in_use(store.conn, batch))
    assert len(codes) == len(set(codes)) == 100_000
    assert all(DOCUMENTED.fullmatch(code) and CODE_PATTERN.fullmatch(code) for code in codes)
    assert not set(codes) & set(existing)
    # Every character of the alphabet turns up, about equally often (no modulo bias).
    counts = {char: 0 for char in CODE_ALPHABET}
    for code in codes:
        for char in code[-8:]:
            counts[char] += 1
    expected = 800_000 / 31
    assert all(abs(n - expected) < 0.05 * expected for n in counts.values()), counts
    store.close()


def repeating(chunks: Iterable[bytes]):
    """A random source that returns the given byte strings in turn, then real randomness."""
    source = iter(chunks)

    def token(size: int) -> bytes:
        chunk = next(source, None)
        if chunk is None:
            import secrets

            return secrets.token_bytes(size)
        return (chunk * (size // len(chunk) + 1))[:size]

    return token


def test_collisions_within_a_batch_are_drawn_again() -> None:
    # The first draw repeats one byte: every code in it is the same.
    codes = new_codes("X", 50, lambda batch: [], token=repeating([b"\x05"]))
    assert len(set(codes)) == 50
    assert codes[0] == "X-" + CODE_ALPHABET[5] * 8


def test_collisions_with_stored_codes_are_drawn_again() -> None:
    taken = {"X-" + CODE_ALPHABET[7] * 8}
    asked: list[Sequence[str]] = []

    def in_use(batch: Sequence[str]) -> list[str]:
        asked.append(batch)
        return [code for code in batch if code in taken]

    codes = new_codes("X", 3, in_use, token=repeating([b"\x07"]))
    assert len(set(codes)) == 3 and not set(codes) & taken
    assert len(asked) == 2  # the stored code was refused once, then a fresh draw passed


def test_bytes_that_would_bias_the_alphabet_are_skipped() -> None:
    # 248..255 would make the first 8 characters likelier: they are dropped, never mapped.
    codes = new_codes("X", 1, lambda batch: [], token=repeating([bytes([250, 251, 3])]))
    assert codes == ["X-" + CODE_ALPHABET[3] * 8]


def test_a_broken_random_source_is_reported_not_looped_on() -> None:
    with pytest.raises(RuntimeError, match="could not draw unique discount codes"):
        new_codes("X", 2, lambda batch: [], token=lambda size: b"\x01" * size, max_rounds=5)


@pytest.mark.parametrize("prefix", ["WIN-BACK", "win back", "", "ÄRGER", "A" * 17, "WIN_10"])
def test_prefixes_outside_a_z_0_9_are_refused(prefix: str) -> None:
    with pytest.raises(CodePrefixError, match="use 1 to 16 letters A-Z and digits 0-9"):
        check_prefix(prefix)


def test_prefixes_are_upper_cased_and_the_dry_run_placeholder_is_never_a_code() -> None:
    assert check_prefix(" spring26 ") == "SPRING26"
    assert not CODE_PATTERN.fullmatch(placeholder_code("SPRING26"))
    assert placeholder_code("SPRING26") == "SPRING26-########"


def test_look_alikes_never_match_the_pattern() -> None:
    for a, b in itertools.product("0O1IL", repeat=2):
        assert not CODE_PATTERN.fullmatch(f"X-{a}{b}234567")
