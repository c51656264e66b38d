"""The hostile-names shop, made worse: a 1,000-character name with CR/LF, zero-width
characters and markup, for the screens' tests at 80×24 and up (issue 17)."""

from __future__ import annotations

import csv
from pathlib import Path

from core.customer_pages import ListQuery, fetch_page
from core.importers import import_file
from core.store import Store

LONG_EMAIL = "anna.mueller@example.org"
LONG_NAME = ("[bold]Zoë\u200b\r\n[/b][@click=app.quit]x\u200d " * 40)[:1000]
"""Markup, a CR/LF pair, a zero-width space and joiner, repeated to 1,000 characters."""


def give_long_name(store: Store, folder: Path) -> int:
    """Rename the customer with `LONG_EMAIL` to `LONG_NAME` by an import; their id."""
    people = folder / "long_name.csv"
    with people.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "last_name"])
        writer.writerow([LONG_EMAIL, LONG_NAME, ""])
    assert import_file(store, people, "customers").customers_updated == 1
    return fetch_page(store, ListQuery(search=LONG_EMAIL))[0].customer_id
