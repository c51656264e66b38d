"""The footer of every screen: Help and Quit always in view, the screen's keys before them.

Textual's Footer lays every shown key on one line and cuts what does not fit, so at 80
columns the keys at the end (Quit, Help) were the ones to go. This footer measures its keys
and, when they do not fit with Help and Quit, drops the command palette's hint (ctrl+p still
works, and the help screen says so), then goes to a second line, and only then leaves out
screen keys (the help screen and the palette list every one of them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup  # not exported in 8.2

PINNED_ACTIONS = ("help", "quit")
"""Shown on every screen at every width, last on the line, in this order."""
PALETTE_HINT_WIDTH = 14
"""`▏^p palette` with its padding."""


@dataclass(frozen=True)
class FooterEntry:
    """One action (or one group of actions sharing a label) as the footer shows it."""

    bindings: tuple[tuple[Binding, bool, str], ...]
    """(binding, enabled, tooltip) of each action, the first binding of each."""
    keys: tuple[str, ...]
    """How each binding's key is shown (`?`, `^q`, `⏎`)."""
    label: str | None = None
    """The group's description when several actions share one entry."""

    @property
    def width(self) -> int:
        """Cells the entry takes with the footer's default (non-compact) style."""
        if self.label is not None:
            return sum(cell_len(key) + 1 for key in self.keys) + cell_len(self.label) + 2
        return cell_len(self.keys[0]) + cell_len(self.bindings[0][0].description) + 3


class RetainFooter(Footer):
    """A Footer on one or two lines that never cuts Help and Quit (see the module docstring)."""

    DEFAULT_CSS = """
    RetainFooter {
        layout: vertical;
        height: auto;
        max-height: 2;
        .footer-row {
            width: 1fr;
            height: 1;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[list[FooterEntry]] = []
        """The entries on each line, as last composed (tests read them)."""
        self.palette_shown = False
        self._composed_width = 0

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self._composed_width = self.screen.size.width or self.app.size.width
        entries, pinned = self._entries()
        self.rows, self.palette_shown = arrange(entries, pinned, width)
        for index, row in enumerate(self.rows):
            with HorizontalGroup(classes="footer-row"):
                for entry in row:
                    yield from self._widgets(entry)
                if self.palette_shown and index == len(self.rows) - 1:
                    yield from self._palette_key()

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)

    def _entries(self) -> tuple[list[FooterEntry], list[FooterEntry]]:
        """The screen's shown keys grouped as Textual's Footer groups them, and Help and Quit
        (shown by their first key that works here: `^q` while typing in a field)."""
        by_action: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        every_key: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        for node, binding, enabled, tooltip in self.screen.active_bindings.values():
            action = binding.action.removeprefix("app.") if node is not self.app else binding.action
            if action in PINNED_ACTIONS and (node is self.app or binding.action != action):
                every_key[action].append((binding, enabled, tooltip))
                if binding.show:
                    by_action[action].append((binding, enabled, tooltip))
            elif binding.show:
                by_action[binding.action].append((binding, enabled, tooltip))
        pinned = []
        for action in PINNED_ACTIONS:
            choices = by_action.pop(action, None) or every_key.get(action)
            if choices:
                binding, enabled, tooltip = choices[0]
                shown = binding if binding.description else _described(binding, action)
                pinned.append(self._entry(((shown, enabled, tooltip),)))
        entries: list[FooterEntry] = []
        for group, grouped in groupby(by_action.values(), lambda bindings: bindings[0][0].group):
            firsts = tuple(bindings[0] for bindings in grouped)
            if group is not None and len(firsts) > 1:
                entries.append(self._entry(firsts, group.description))
            else:
                entries.extend(self._entry((first,)) for first in firsts)
        return entries, pinned

    def _entry(
        self, bindings: tuple[tuple[Binding, bool, str], ...], label: str | None = None
    ) -> FooterEntry:
        keys = tuple(self.app.get_key_display(binding) for binding, *_ in bindings)
        return FooterEntry(bindings, keys, label)

    def _widgets(self, entry: FooterEntry) -> Iterator[Widget]:
        if entry.label is None:
            binding, enabled, tooltip = entry.bindings[0]
            yield FooterKey(
                binding.key,
                entry.keys[0],
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
            return
        with KeyGroup():
            for (binding, enabled, tooltip), key in zip(entry.bindings, entry.keys, strict=True):
                yield FooterKey(
                    binding.key,
                    key,
                    "",
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip or binding.description,
                    classes="-grouped",
                ).data_bind(compact=Footer.compact)
        yield FooterLabel(entry.label)

    def _palette_key(self) -> Iterator[Widget]:
        active = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if active is None:
            return
        binding = active.binding
        yield FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            binding.description,
            binding.action,
            classes="-command-palette",
            disabled=not active.enabled,
            tooltip=binding.tooltip or binding.description,
        )


def _described(binding: Binding, action: str) -> Binding:
    """A pinned key that has no description of its own, named after its action."""
    return Binding(
        binding.key, binding.action, action.capitalize(), key_display=binding.key_display
    )


def arrange(
    entries: list[FooterEntry], pinned: list[FooterEntry], width: int
) -> tuple[list[list[FooterEntry]], bool]:
    """The footer's lines, and whether the palette's hint fits on the last: one line with
    the hint, one without, else two lines (the second ending with `pinned`), leaving out the
    last screen keys only when even two lines are too narrow."""

    def used(row: list[FooterEntry]) -> int:
        return sum(entry.width for entry in row)

    one_line = entries + pinned
    if used(one_line) + PALETTE_HINT_WIDTH <= width:
        return [one_line], True
    if used(one_line) <= width:
        return [one_line], False
    first: list[FooterEntry] = []
    rest = list(entries)
    while rest and used(first) + rest[0].width <= width:
        first.append(rest.pop(0))
    while rest and used(rest) + used(pinned) > width:
        rest.pop()
    second = rest + pinned
    return [first, second] if first else [second], used(second) + PALETTE_HINT_WIDTH <= width
