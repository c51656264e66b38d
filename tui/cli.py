"""The `retain-tui` command: opens the app, or runs one subcommand for scripts and cron.

A subcommand run from cron or a script pays for the interpreter's start every time, so
`main()` imports only the module that defines the command asked for (the lazy subcommand
loading click documents); `--help`, no command or an unknown one get every command.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated

import typer
from typer.core import TyperCommand

from core import __version__
from tui.commands.common import DbOption

COMMAND_MODULES: dict[str, str] = {
    "import": "importing",
    "demo": "importing",
    "segments": "segments",
    "segment": "segments",
    "customers": "segments",
    "stats": "stats",
    "export": "emails",
    "templates": "emails",
    "config": "emails",
    "suppressed": "consent",
    "forget": "privacy",
    "customer": "privacy",
    "campaigns": "campaigns",
    "codes": "codes",
    "flows": "flows",
    "send": "sending",
    "predict": "predict",
    "products": "drivers",
    "drivers": "drivers",
    "recommend": "recommend",
    "loyalty": "loyalty",
    "referral": "referrals",
    "referrals": "referrals",
    "serve": "serve",
}
"""Each top-level command and the module in `tui.commands` whose `register` adds it."""

_ROOT_OPTIONS_WITH_VALUE = ("--db",)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"retain-tui {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    db: DbOption = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Without a subcommand, open the app (on the demo shop until the owner imports a shop)."""
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is None:
        from tui.launch import launch

        launch(db)


class PlainUsageCommand(TyperCommand):
    """Usage lines as click writes them, `segment add NAME EXPR`: Typer 0.28 writes a required
    argument as `{NAME}`, which reads like a placeholder left in a template."""

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return [
            piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
            for piece in super().collect_usage_pieces(ctx)
        ]


def _plain_usage(app: typer.Typer) -> None:
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):
            command.cls = PlainUsageCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _plain_usage(group.typer_instance)


def build_app(command: str | None = None) -> typer.Typer:
    """The CLI with every command, or with only the module that defines `command`."""
    app = typer.Typer(
        name="retain-tui",
        help="Keep the customers you already have: retention figures, segments and emails.",
        # `--install-completion` / `--show-completion` for bash, zsh and fish (main() builds
        # only the module of the command being completed).
        add_completion=True,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback(invoke_without_command=True)(root)
    if command in COMMAND_MODULES:
        modules = [COMMAND_MODULES[command]]
    else:
        modules = list(dict.fromkeys(COMMAND_MODULES.values()))
    for module in modules:
        importlib.import_module(f"tui.commands.{module}").register(app)
    _plain_usage(app)
    return app


def invoked_command(args: Sequence[str]) -> str | None:
    """The subcommand in a command line (skipping the root's options), or None."""
    rest = iter(args)
    for arg in rest:
        if arg in _ROOT_OPTIONS_WITH_VALUE:
            next(rest, None)
        elif not arg.startswith("-"):
            return arg
    return None


COMPLETE_VAR = "_RETAIN_TUI_COMPLETE"
"""Set by the script `--install-completion` writes: the shell asks for completions."""


def completed_words(environ: Mapping[str, str]) -> list[str]:
    """The words typed before the one being completed, when a shell asks for completions.

    bash passes COMP_WORDS and the index COMP_CWORD; zsh and fish pass the line up to the
    cursor in _TYPER_COMPLETE_ARGS (a last word not yet ended by a space is being typed).
    Each Tab press then builds only the command's module (0.5 s for every command).
    """
    if "COMP_WORDS" in environ:
        words = environ["COMP_WORDS"].split()
        cword = environ.get("COMP_CWORD", "")
        return words[1 : int(cword)] if cword.isdigit() else []
    line = environ.get("_TYPER_COMPLETE_ARGS", "")
    words = line.split()[1:]
    return words if line[-1:].isspace() else words[:-1]


def main(args: Sequence[str] | None = None) -> None:
    args = sys.argv[1:] if args is None else list(args)
    words = completed_words(os.environ) if os.environ.get(COMPLETE_VAR) else args
    build_app(invoked_command(words))(args, prog_name="retain-tui")


if __name__ == "__main__":
    main()
