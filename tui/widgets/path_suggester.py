"""File path completion for an Input: suggests the first entry that continues what is typed."""

from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester

MAX_ENTRIES = 2000


class PathSuggester(Suggester):
    """Suggest `~/exports/orders_export.csv` after `~/exports/ord`; folders end with '/'.

    Hidden entries are offered only once a '.' is typed. Right arrow accepts the suggestion.
    """

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        if value == "~":
            return "~" + os.sep
        head, sep, prefix = value.rpartition(os.sep)
        folder = Path(os.path.expanduser(head + sep)) if sep else Path(".")
        show_hidden = prefix.startswith(".")
        try:
            with os.scandir(folder) as scan:
                names = sorted(
                    (entry.name, entry.is_dir())
                    for _, entry in zip(range(MAX_ENTRIES), scan, strict=False)
                    if entry.name.startswith(prefix)
                    and entry.name != prefix
                    and (show_hidden or not entry.name.startswith("."))
                )
        except OSError:
            return None
        if not names:
            return None
        name, is_dir = names[0]
        return f"{head}{sep}{name}{os.sep if is_dir else ''}"
