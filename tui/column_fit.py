"""Which columns a table shows, and how wide, from the terminal's width and the cells' widths.

A pure function (no Textual, no store), so the rules are tested on numbers alone:

- columns that are `required` are always shown, at least at their `minimum`;
- the others are added most valuable first (`give_way`: the higher, the sooner a column gives
  way) until one does not fit at its minimum beside what is already shown; it and every
  column after it give way, so the lowest-value columns disappear first at narrow widths,
  come back when the terminal widens, and a wider terminal never shows fewer columns;
- a `flexible` column (a name, an email) takes a share of what is left, up to the width of
  its widest cell; the smallest needs are met first, so a short segment name is shown
  whole before a long email gets a few more cells;
- every other column is exactly as wide as its widest cell or its title, whichever is wider:
  a number column takes the width of its values, not a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SORT_ARROW = " ▼"
"""What a sorted header adds to its title (" ▲" or " ▼"): room for it is kept on every
sortable column, so the header never cuts it and widths do not jump when the sort changes."""


@dataclass(frozen=True)
class ColumnWant:
    """What one column would like: its title, its widest cell, and how it gives way."""

    key: str
    title: int
    """Cells the header needs (with room for the sort arrow when the column is sortable)."""
    content: int
    """Cells of the widest value in the rows shown."""
    minimum: int = 0
    """Cells a flexible column keeps at least (if its title or content need that many)."""
    flexible: bool = False
    required: bool = False
    give_way: int = 0
    """Among optional columns, the higher the sooner it is left out."""

    @property
    def natural(self) -> int:
        """The width at which nothing in the column is cut."""
        return max(self.title, self.content)

    @property
    def least(self) -> int:
        """The narrowest this column is ever shown."""
        if not self.flexible:
            return self.natural
        return min(max(self.minimum, self.title), self.natural) or 1


def fit_columns(
    available: int, wants: Sequence[ColumnWant], padding: int = 2, *, fill: bool = False
) -> dict[str, int]:
    """The columns to show, in `wants`' order, with their widths in cells.

    `available` is the table's width in cells (scroll bar already taken off); `padding` the
    cells each shown column adds around its content (DataTable: twice its cell padding).
    Required columns are shown even when they do not fit (the table then scrolls sideways).
    `fill`: what no column needs is shared evenly among the flexible ones, for a list whose
    later pages may hold longer values than the rows measured.
    """
    shown = [want for want in wants if want.required]
    used = sum(want.least + padding for want in shown)
    optional = sorted((w for w in wants if not w.required), key=lambda w: w.give_way)
    for want in optional:
        if used + want.least + padding > available:
            break  # the next columns give way too: a wider terminal never shows fewer
        shown.append(want)
        used += want.least + padding
    widths = {want.key: want.least for want in shown}
    flexible = [want for want in shown if want.flexible]
    spare = _share(available - used, flexible, widths)
    if fill and flexible and spare > 0:
        for index, want in enumerate(flexible):
            widths[want.key] += spare // len(flexible) + (index < spare % len(flexible))
    return {want.key: widths[want.key] for want in wants if want.key in widths}


def _share(spare: int, flexible: list[ColumnWant], widths: dict[str, int]) -> int:
    """Grow flexible columns toward their natural width, smallest need first: one value shown
    whole reads better than two both cut. Returns what no column needed."""
    for want in sorted(flexible, key=lambda want: want.natural - widths[want.key]):
        share = max(min(want.natural - widths[want.key], spare), 0)
        widths[want.key] += share
        spare -= share
    return spare
