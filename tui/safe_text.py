"""Customer data is not markup and not terminal control: every value shown passes through here.

Names and notes come from shop exports anyone can type into. `[bold]` must show as those
characters, and an ESC, a bell or a right-to-left override must show as a visible symbol
instead of reaching the terminal (`\\x1b[2J` would clear the screen, OSC 52 writes the
clipboard). Strings are cleaned, then wrapped in `Text`/`Content`, which Textual never parses
as markup.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.content import Content

EMPTY = "—"

# C0 controls become their Unicode "control pictures" (ESC -> ␛), DEL becomes ␡; C1 controls
# and the invisible bidi/format controls that can reorder what is shown become U+FFFD.
_C0 = {code: chr(0x2400 + code) for code in range(0x20)}
_C0[0x7F] = "\u2421"
_OTHER = {
    code: "\ufffd"
    for code in (
        *range(0x80, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        0x200E,
        0x200F,
        0x061C,
    )
}
_SINGLE_LINE = str.maketrans({**_C0, **_OTHER})
_MULTI_LINE = str.maketrans({**{k: v for k, v in _C0.items() if k != 0x0A}, **_OTHER})
_CRLF = re.compile(r"\r\n?")


def clean(value: object, *, multiline: bool = False, empty: str = "") -> str:
    """`value` as text that is safe to show: control characters made visible.

    Single-line text (cells, titles, notices) shows a newline as ␊; multi-line text (notes)
    keeps line breaks. None and "" become `empty`.
    """
    if value is None:
        return empty
    text = str(value)
    if not text:
        return empty
    if multiline:
        return _CRLF.sub("\n", text).translate(_MULTI_LINE)
    return text.translate(_SINGLE_LINE)


def plain(value: object, *, style: str = "", empty: str = EMPTY, justify: str = "left") -> Text:
    """A cleaned value as a Rich `Text` (for DataTable cells): never parsed as markup, and
    cut with an ellipsis where its column ends, so a cut value is seen to be cut."""
    return Text(
        clean(value, empty=empty),
        style=style,
        justify=justify,  # type: ignore[arg-type]
        no_wrap=True,
        overflow="ellipsis",
    )


def content(value: object, *, style: str = "", multiline: bool = False, empty: str = "") -> Content:
    """A cleaned value as Textual `Content` (for Static, Label, titles): never markup."""
    return Content.styled(clean(value, multiline=multiline, empty=empty), style)
