"""`retain-tui export --format audience --for SERVICE`: the option and its summary lines.

Kept apart from `emails.py` so the export command stays one screen; the file's columns and
the rules are in core/compose/audience_export.py and docs/handoff.md.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from core.draft_formats import SERVICES
from tui.commands.common import choices_metavar, console, fail

if TYPE_CHECKING:
    from core.compose import ExportResult

ForOption = Annotated[
    str | None,
    typer.Option(
        "--for",
        metavar=choices_metavar(SERVICES),
        help="With --format audience: write the recipients as a contacts file for this mail "
        "service's import (docs/handoff.md).",
        show_default=False,
    ),
]


def check_handoff_options(fmt: str, service: str | None) -> None:
    """One `error:` line and exit 2 for `--for` without `--format audience`, the reverse, or
    an unknown service (before anything is read)."""
    from core.compose import ComposeError
    from core.compose.audience_export import check_handoff

    try:
        check_handoff(fmt, service)
    except ComposeError as exc:
        fail(str(exc))


def print_handoff(result: ExportResult) -> None:
    """What an audience file holds and what the owner does next."""
    if result.service is None:
        return
    where = "counted, dry run" if result.dry_run else "in the file"
    console.print(f"  rows         {result.drafted:>8,}   ({where}: one per recipient)")
    if result.codes and result.campaign is not None and not result.dry_run:
        command = f"retain-tui codes export {shlex.quote(result.campaign)}"
        console.print(
            "  the codes work only once the shop knows them: create them there with "
            f"{escape(command)} --format shopify|woocommerce --out FILE",
            soft_wrap=True,
        )
