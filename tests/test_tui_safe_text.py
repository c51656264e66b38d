"""The one helper every displayed value goes through: no markup, no control characters."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from tui import display
from tui.safe_text import EMPTY, clean, content, plain


def test_escape_sequences_become_visible_symbols():
    assert clean("\x1b[2J") == "␛[2J"
    assert clean("a\x1b]52;c;aGk=\x07b") == "a␛]52;c;aGk=␇b"
    assert clean("\x9b31m") == "\ufffd31m"  # C1 CSI
    assert clean("x\x7fy") == "x␡y"


def test_bidi_overrides_cannot_reorder_text():
    assert clean("Rtl\u202eevil") == "Rtl\ufffdevil"
    assert clean("a\u2066b\u2069") == "a\ufffdb\ufffd"


def test_newlines_are_visible_on_one_line_and_kept_in_notes():
    assert clean("Line\nBreak") == "Line␊Break"
    assert clean("one\r\ntwo\rthree", multiline=True) == "one\ntwo\nthree"
    assert clean("tab\there", multiline=True) == "tab␉here"


def test_empty_values():
    assert clean(None) == ""
    assert clean("", empty="-") == "-"
    assert plain(None).plain == EMPTY


def test_markup_stays_text():
    for hostile in ("[bold]x", "[@click=app.quit]y", "[/", "[/foo]", "[link=x]y[/link]"):
        cell = plain(hostile)
        assert isinstance(cell, Text) and cell.plain == hostile and not cell.spans
        assert content(hostile).plain == hostile and not content(hostile).spans


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_nothing_shown_contains_a_control_character(text: str):
    shown = clean(text)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in shown)
    assert "\n" not in shown
    kept = clean(text, multiline=True)
    assert not any((ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) < 0xA0 for ch in kept)


def test_money_and_days():
    assert display.money(12345678, "EUR") == "€123,456.78"
    assert display.money(-150, "NOK") == "-1.50 NOK"
    assert display.money(5, None) == "0.05"
    assert display.money(None) == EMPTY
    assert display.money(100, "\x1b[2J") == "1.00 ␛[2"
    assert display.day(739221) == "2024-12-01"
    assert display.day(None) == EMPTY
    assert display.timestamp("2024-03-05T14:02:11+01:00") == "2024-03-05 14:02"
