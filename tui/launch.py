"""Opening the app: the first run on an empty database loads the demo shop and says so."""

from __future__ import annotations

import typer

from core.demo import load_demo
from core.store import StoreError, open_store


def launch(db: str | None) -> None:
    """Open the store (loading the demo shop if it is empty) and run the app until it quits."""
    try:
        store = open_store(db)
    except (StoreError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    notice = None
    try:
        if store.is_empty():
            load_demo(store)
            notice = (
                "This database was empty, so the demo shop was loaded. "
                "Import your own shop with: retain-tui import orders FILE"
            )
    finally:
        store.close()
    from tui.app import RetainApp

    app = RetainApp(db_path=store.path, startup_notice=notice)
    app.run()
    raise typer.Exit(app.return_code or 0)
