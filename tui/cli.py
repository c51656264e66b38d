"""The `retain-tui` command: opens the app, or runs one subcommand for scripts and cron."""

from __future__ import annotations

from typing import Annotated

import typer

from core import __version__
from tui.commands import emails, importing, segments, stats
from tui.commands.common import DbOption

app = typer.Typer(
    name="retain-tui",
    help="Keep the customers you already have: retention figures, segments and emails.",
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"retain-tui {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: DbOption = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Without a subcommand, open the app (loading the demo shop into an empty database)."""
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is None:
        from tui.launch import launch

        launch(db)


importing.register(app)
segments.register(app)
stats.register(app)
emails.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
