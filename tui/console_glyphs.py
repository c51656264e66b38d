"""What a Linux console (TERM=linux) can draw: its font has no braille, no rounded corners
and few symbols beyond Latin-1, box lines and block shades (░▒▓█, ▌).

The chart and the heatmap ask `linux_console()` and pick glyphs from what it can show; the
colours are the app's business (a 16-colour terminal gets the ANSI theme, tui/app.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def linux_console(environ: Mapping[str, str] | None = None) -> bool:
    """True on the kernel's virtual console (TERM=linux, linux-16color, …)."""
    term = (os.environ if environ is None else environ).get("TERM", "")
    return term.startswith("linux")
