"""Which keys are the app's own: what the help screen and the command palette list.

Textual's widgets and screens bring keys of their own (Focus Next, Scroll Left, Copy
selected text, …); they work, but listing them buried the shop's actions. A binding counts
as the app's when a class of this package declares its action (so Textual's `ctrl+q` joins
our `q`, both "quit"), and it is described with our words.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.dom import DOMNode

OWN_PACKAGE = "tui."


def own_bindings(node: DOMNode) -> dict[str, Binding]:
    """The bindings the app's own classes declare for `node`, by action (the most derived
    class's first)."""
    found: dict[str, Binding] = {}
    for cls in type(node).__mro__:
        if not cls.__module__.startswith(OWN_PACKAGE):
            continue
        for item in cls.__dict__.get("BINDINGS", ()):
            binding = item if isinstance(item, Binding) else Binding(*item)
            found.setdefault(binding.action, binding)
    return found
