"""Opening the app: the owner's shop once it exists, else the demo shop in its own file.

No --db and no RETAIN_DB: `shop.db` if there is one, else `demo.db` (made on first use), shown
as the demo on every screen with the command that imports the real shop. A named database must
exist, as for every command that reads. In a browser (`retain-tui serve`) the app draws through
textual-serve's web driver instead of a terminal.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import NamedTuple, NoReturn

import typer

from core.demo import create_demo, demo_loaded_on
from core.paths import chosen_db_path, default_db_path, demo_db_path
from core.store import MissingStoreError, StoreError, open_store
from tui.commands.common import missing_store_message

IMPORT_HINT = "Import your own shop with: retain-tui import orders FILE"


WEB_DRIVER = "textual.drivers.web_driver:WebDriver"
"""The driver textual-serve names in TEXTUAL_DRIVER for each browser session (`serve`)."""


class Shop(NamedTuple):
    """The database the app opens, and what it shows about it."""

    path: Path
    named: bool
    notice: str | None
    demo_loaded_on: date | None


def launch(db: str | None) -> None:
    """Pick the database, check it opens, and run the app until it quits."""
    in_browser = os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER
    if not in_browser and not (sys.stdin.isatty() and sys.stdout.isatty()):
        _refuse(
            "the app needs a terminal; in scripts and cron name a command "
            "(retain-tui --help lists them)"
        )
    try:
        shop = pick_shop(db)
    except ShopRefused as exc:
        _refuse(str(exc))
    from tui.app import RetainApp

    app = RetainApp(
        db_path=shop.path,
        startup_notice=shop.notice,
        demo_loaded_on=shop.demo_loaded_on,
        shop_path=None if shop.named else default_db_path(),
    )
    app.run()
    raise typer.Exit(app.return_code or 0)


class ShopRefused(Exception):
    """The named shop is missing or does not open: the one-line reason."""


def pick_shop(db: str | None) -> Shop:
    """The shop the app opens (`launch`, and `serve` before any browser connects): the named
    one, else shop.db, else the demo (loaded here if new). Raises ShopRefused."""
    chosen = chosen_db_path(db)
    path = chosen or default_db_path()
    notice = None
    try:
        if chosen is None and not path.exists():
            path, notice = _demo_path()
        with open_store(path) as store:
            loaded_on = demo_loaded_on(store)
    except MissingStoreError as exc:
        raise ShopRefused(missing_store_message(exc, named=chosen is not None)) from None
    except (StoreError, OSError) as exc:
        raise ShopRefused(str(exc)) from None
    if loaded_on is not None and notice is None:
        notice = f"This is the demo shop (loaded {loaded_on}). {IMPORT_HINT}"
    return Shop(path, chosen is not None, notice, loaded_on)


def _demo_path() -> tuple[Path, str | None]:
    """The demo's own database, loaded first if it is new (or not yet the demo)."""
    path = demo_db_path()
    if path.exists():
        with open_store(path) as store:
            if demo_loaded_on(store) is not None:
                return path, None
    create_demo(path)
    return path, (
        f"No shop database yet, so this is the demo shop (in {path.name}, apart from your "
        f"own). {IMPORT_HINT}"
    )


def _refuse(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
