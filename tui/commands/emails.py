"""`retain-tui export`, `templates`, `templates check` and `config get|set|list|unset`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

if TYPE_CHECKING:  # the composer pulls in Jinja2 and Babel: imported by the commands using it
    from core.campaigns import CampaignRequest
    from core.compose import Composer, Discount, ExportError, ExportResult, TemplateInfo
    from core.compose.check import CheckReport

from core.draft_formats import AUDIENCE, EXPORT_FORMATS
from core.shop_settings import (
    SPECS,
    SettingError,
    all_settings,
    get_setting,
    load_shop_settings,
    set_setting,
    unset_setting,
    validate_setting,
)
from core.store import Store, StoreError, open_store
from tui.commands.campaign_options import (
    CampaignOption,
    CodePrefixOption,
    HoldoutOption,
    MinGapOption,
    MinOrderOption,
    campaign_request,
)
from tui.commands.common import (
    AsOfOption,
    DbOption,
    ExitCode,
    JsonOption,
    as_of_date,
    choices,
    choices_metavar,
    console,
    customer_ids_option,
    err_console,
    fail,
    opened_store,
    print_json,
    refuse_unknown_customers,
    signals_interrupt,
    warn,
)
from tui.commands.handoff_options import ForOption, check_handoff_options, print_handoff

TemplatesOption = Annotated[
    Path | None,
    typer.Option(
        "--templates",
        metavar="DIR",
        help="Your own templates folder (default: templates/ in your data folder).",
        show_default=False,
    ),
]

DraftFormat = choices("DraftFormat", EXPORT_FORMATS)

templates_app = typer.Typer(
    help="List the email templates (with kind and languages), or check them.",
    invoke_without_command=True,
)
config_app = typer.Typer(
    help="Read or change the shop settings emails need (name, sender, address, unsubscribe).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.add_typer(templates_app, name="templates")
    app.add_typer(config_app, name="config")


# -- export --------------------------------------------------------------------------------


def export(
    ctx: typer.Context,
    template: Annotated[
        str,
        typer.Option(
            "--template", "-t", metavar="NAME", help="Template name (see: retain-tui templates)."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="PATH",
            help="Folder (eml) or file (mbox, csv) to write; must not exist yet.",
            show_default=False,
        ),
    ] = None,
    segment: Annotated[
        str | None,
        typer.Option("--segment", "-s", metavar="NAME", help="Draft for everyone in this segment."),
    ] = None,
    customer: Annotated[
        list[str] | None,
        typer.Option(
            "--customer",
            "-c",
            metavar="ID",
            help="Draft for this customer id (repeatable; also 12,15,19).",
        ),
    ] = None,
    fmt: Annotated[
        DraftFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar=choices_metavar(EXPORT_FORMATS),
            help="eml (one file each), mbox (one file), csv (mail merge) or audience (a mail "
            "service's contacts file, with --for); default from --out's suffix, else eml.",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="LANG",
            help="Write every draft in this language (en, de, it, nl, nb; see: templates).",
        ),
    ] = None,
    discount: Annotated[
        str | None,
        typer.Option(
            "--discount",
            metavar="AMOUNT",
            help="Attach a discount: 10% or an amount such as 5EUR.",
        ),
    ] = None,
    valid_days: Annotated[
        int,
        typer.Option(
            "--valid-days", metavar="DAYS", help="How many days the discount code is valid."
        ),
    ] = 30,
    code: Annotated[
        str | None,
        typer.Option(
            "--code",
            metavar="CODE",
            help="Discount code (default: from template and value, e.g. WINBACK10).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render and count everything, write nothing.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing export at --out.")
    ] = False,
    campaign: CampaignOption = None,
    min_gap_days: MinGapOption = None,
    holdout: HoldoutOption = None,
    code_prefix: CodePrefixOption = None,
    min_order: MinOrderOption = None,
    service: ForOption = None,
    as_of: AsOfOption = None,
    templates: TemplatesOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Write personalised email drafts that mail clients open (eml, mbox) or a mail-merge CSV;
    every export that writes is recorded as a campaign (docs/campaigns.md)."""
    from core.campaigns import CampaignError
    from core.compose import ComposeError, Composer, ExportError

    if out is None and not dry_run:
        fail("--out is required (or use --dry-run)")
    chosen = _format(fmt.value if fmt is not None else None, out)
    check_handoff_options(chosen, service)
    ids_from_options = customer_ids_option(customer or [])
    if segment is None and not ids_from_options:
        fail("choose recipients: --segment NAME or --customer ID")
    with opened_store(ctx, db) as store:
        refuse_unknown_customers(store, ids_from_options)
        day = as_of_date(store, as_of)
        members = _segment_members(store, segment, day) if segment else None
        ids = ids_from_options + (members[2] if members else [])
        request = campaign_request(
            segment=members[0] if members else None,
            segment_expression=members[1] if members else None,
            customer_ids=ids_from_options, name=campaign, min_gap_days=min_gap_days,
            holdout=holdout, code_prefix=code_prefix, min_order=min_order,
            has_discount=discount is not None,
        )  # fmt: skip
        composer = Composer(store, templates, as_of=day)
        _warn_about_invalid_settings(composer.shop.invalid)
        attached = _discount(composer, discount, valid_days, code)
        try:
            with signals_interrupt():
                result = _export_with_progress(
                    composer, request, ids, template, out, chosen, lang, attached, dry_run,
                    overwrite, json_, service,
                )  # fmt: skip
        except ExportError as exc:
            _print_failure(exc, json_)
            raise typer.Exit(ExitCode.FAILED) from None
        except (ComposeError, CampaignError) as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"could not write the export: {exc} (nothing was written)")
        except KeyboardInterrupt:
            fail("interrupted: nothing was written", code=ExitCode.INTERRUPTED)
    if json_:
        print_json(result.to_dict() | {"as_of": day.isoformat()})
    else:
        _print_summary(result, day)


def _format(fmt: str | None, out: Path | None) -> str:
    if fmt is not None:
        return fmt
    suffix = out.suffix.lower().lstrip(".") if out is not None else ""
    return suffix if suffix in ("mbox", "csv") else "eml"


def _warn_about_invalid_settings(invalid: dict[str, str]) -> None:
    for key, reason in invalid.items():
        warn(f"{key} is ignored, its stored value is refused: {reason} (fix: config set {key} …)")


def _segment_members(store: Store, name: str, as_of: date) -> tuple[str, str, list[int]]:
    from core.segments import SegmentError, segment_members

    try:
        # Everyone in the segment: the composer reports who lacks consent, and why.
        return segment_members(store, name, as_of, marketing=False)
    except SegmentError as exc:
        fail(str(exc))


def _discount(
    composer: Composer, text: str | None, valid_days: int, code: str | None
) -> Discount | None:
    if text is None:
        if code is not None:
            fail("--code needs --discount (e.g. --discount 10%)")
        return None
    from core.compose import ComposeError, parse_discount

    try:
        points = text.strip().lower().startswith("points")
        return parse_discount(
            text, currency=composer.shop.currency, valid_days=valid_days, code=code,
            point_value=_point_value(composer) if points else None,
        )  # fmt: skip
    except ComposeError as exc:
        fail(str(exc))


def _point_value(composer: Composer) -> int:
    """The loyalty point value a `--discount points:N` is priced at."""
    from core.loyalty import LoyaltyError, load_rules

    try:
        return load_rules(composer.store).point_value
    except LoyaltyError as exc:
        fail(str(exc))


def _export_with_progress(
    composer: Composer,
    request: CampaignRequest,
    ids: list[int],
    template: str,
    out: Path | None,
    fmt: str,
    lang: str | None,
    discount: Discount | None,
    dry_run: bool,
    overwrite: bool,
    quiet: bool,
    service: str | None = None,
) -> ExportResult:
    from core.campaigns import export_campaign

    target = out if out is not None else Path("dry-run")
    options = {
        "fmt": fmt, "lang": lang, "discount": discount, "dry_run": dry_run,
        "overwrite": overwrite, "service": service,
    }  # fmt: skip
    if quiet or not sys.stderr.isatty():
        return export_campaign(composer, request, ids, template, target, **options)  # type: ignore[arg-type]
    columns = (*Progress.get_default_columns()[:-1], BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("Drafting", total=len(ids))

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return export_campaign(
            composer,
            request,
            ids,
            template,
            target,
            progress=advance,
            **options,  # type: ignore[arg-type]
        )


def _print_summary(result: ExportResult, as_of: date) -> None:
    from core.compose import REASONS

    out = console.print
    where = "dry run: nothing written" if result.dry_run else (
        escape(result.path) if result.path else "nothing written (no drafts)")  # fmt: skip
    what = "drafts" if result.format != AUDIENCE else f"audience file for {result.service}"
    out(f"[bold]{escape(result.template)}[/] {what} ({result.format}): {where}")
    if result.campaign is not None:
        recorded = "not recorded (dry run)" if result.dry_run else "recorded"
        out(f"  campaign     {escape(result.campaign)} ({recorded})")
    out(f"  recipients   {result.recipients:>8,}")
    languages = ", ".join(f"{lang} {n:,}" for lang, n in sorted(result.languages.items()))
    out(f"  drafted      {result.drafted:>8,}" + (f"   ({languages})" if languages else ""))
    if result.already_drafted:
        out(f"  already drafted in this campaign {result.already_drafted:>8,}")
    if result.held_out:
        out(f"  held out     {result.held_out:>8,}   (control group: no draft)")
    if result.codes:
        kind = "placeholder codes shown" if result.dry_run else "unique discount codes"
        out(f"  codes        {result.codes:>8,}   ({kind})")
    print_handoff(result)
    out(f"  skipped      {sum(result.skipped.values()):>8,}")
    for reason, count in sorted(result.skipped.items(), key=lambda item: -item[1]):
        out(f"    {REASONS.get(reason, reason):<44} {count:>7,}")
    out(f"  data to {as_of}: segments and recency rules as of that day")
    out(f"  took {result.seconds:.2f} s")


def _print_failure(exc: ExportError, as_json: bool) -> None:
    if as_json:
        print_json(exc.result.to_dict() | {"error": str(exc)})
        return
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
    for message in exc.result.errors:
        err_console.print(f"  {escape(message)}", style="red")


# -- templates -----------------------------------------------------------------------------


@templates_app.callback()
def templates_list(
    ctx: typer.Context, templates: TemplatesOption = None, json_: JsonOption = False
) -> None:
    """List the templates: kind, languages and whether they can be used now."""
    if ctx.invoked_subcommand is not None:
        return
    from core.compose import list_templates

    infos = list_templates(templates)
    if json_:
        print_json([info.to_dict() for info in infos])
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("template", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("languages", no_wrap=True)
    table.add_column("formal", no_wrap=True)
    table.add_column("status")
    for info in infos:
        status = "ready" if info.available else info.status.removeprefix("unavailable: ")
        table.add_row(
            escape(info.name), info.kind, " ".join(info.languages) or "-",
            " ".join(info.formal_languages) or "-",
            escape(f"{status}, {_source(info)}"), style=None if info.available else "dim",
        )  # fmt: skip
    console.print(table)
    from core.compose import user_templates_dir

    folder = templates or user_templates_dir()
    console.print(f"Your own templates go in {escape(str(folder))} (see docs/templates.md).")


def _source(info: TemplateInfo) -> str:
    if info.source == "user":
        return "yours (replaces shipped)" if info.overrides_shipped else "yours"
    return "shipped"


@templates_app.command("check")
def templates_check(
    ctx: typer.Context,
    templates: TemplatesOption = None,
    own_shop: Annotated[
        bool,
        typer.Option("--own-shop", help="Render with your database instead of the demo shop."),
    ] = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Render every template in every language for demo customers and a worst-case customer."""
    folder = templates or (ctx.parent.params.get("templates") if ctx.parent else None)
    from core.compose.check import check_templates

    with _check_store(ctx, db, own_shop) as store:
        report = check_templates(store, folder)
    if json_:
        print_json(report.to_dict())
    else:
        _print_check(report, "your shop" if own_shop else "the demo shop")
    if not report.ok:
        raise typer.Exit(ExitCode.FAILED)


@contextmanager
def _check_store(ctx: typer.Context, db: str | None, own_shop: bool) -> Iterator[Store]:
    if own_shop:
        with opened_store(ctx, db) as store:
            yield store
        return
    from core.demo import load_demo

    try:
        store = open_store(":memory:")
        load_demo(store)
    except (FileNotFoundError, StoreError) as exc:
        fail(f"cannot load the demo shop: {exc} (use --own-shop)")
    try:
        yield store
    finally:
        store.close()


def _print_check(report: CheckReport, shop: str) -> None:
    failing = {problem.template for problem in report.problems}
    for info in report.templates:
        mark = "[red]✗[/]" if info.name in failing else "[green]✓[/]"
        note = "" if info.available else f"  [dim]({escape(info.status)})[/]"
        languages = " ".join(info.languages) or "-"
        if info.formal_languages:
            languages += f" (formal: {' '.join(info.formal_languages)})"
        line = f"{mark} {escape(info.name):<24} {info.kind:<14} {languages}{note}"
        console.print(line, soft_wrap=True)
    for problem in report.problems:
        console.print(f"  [red]{escape(str(problem))}[/]", soft_wrap=True)
    verdict = "all good" if report.ok else f"{len(report.problems)} problem(s)"
    console.print(f"{report.renders:,} renders against {shop} and a worst-case customer: {verdict}")


# -- config --------------------------------------------------------------------------------

KeyArgument = Annotated[
    str, typer.Argument(metavar="KEY", help="A setting, e.g. shop.from (see: config list).")
]


@config_app.command("get")
def config_get(
    ctx: typer.Context, key: KeyArgument, json_: JsonOption = False, db: DbOption = None
) -> None:
    """Print one setting (exit 1 when it is not set)."""
    with opened_store(ctx, db) as store:
        try:
            value = get_setting(store, key)
        except SettingError as exc:
            fail(str(exc))
    if value:
        try:
            validate_setting(key, value)
        except SettingError as exc:
            warn(f"{exc} (emails ignore this value; fix it with: config set {key} …)")
    if json_:
        print_json({key: value})
    elif value is not None:
        sys.stdout.write(value + "\n")
    if value is None:
        if not json_:
            err_console.print(f"{escape(key)} is not set")
        raise typer.Exit(ExitCode.FAILED)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key: KeyArgument,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The new value.")],
    db: DbOption = None,
) -> None:
    """Change one setting; the value is checked first (addresses, https links, languages)."""
    with opened_store(ctx, db) as store:
        try:
            stored = set_setting(store, key, value)
        except SettingError as exc:
            fail(str(exc))
    console.print(f"{escape(key)} = {escape(stored)}")


@config_app.command("unset")
def config_unset(ctx: typer.Context, key: KeyArgument, db: DbOption = None) -> None:
    """Remove one setting (defaults apply again where there is one)."""
    with opened_store(ctx, db) as store:
        try:
            unset_setting(store, key)
        except SettingError as exc:
            fail(str(exc))
    console.print(f"{escape(key)} removed")


@config_app.command("list")
def config_list(ctx: typer.Context, json_: JsonOption = False, db: DbOption = None) -> None:
    """Every shop setting, its value, and which ones emails still lack."""
    with opened_store(ctx, db) as store:
        values = all_settings(store)
        shop = load_shop_settings(store)
    missing = shop.missing(marketing=True)
    if json_:
        print_json({"settings": values, "missing_for_marketing": missing, "invalid": shop.invalid})
        return
    table = Table(title="Shop settings")
    table.add_column("key", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("meaning")
    for key, spec in SPECS.items():
        value = values.get(key)
        shown = escape(value) if value else "[dim]not set[/]"
        if key in shop.invalid:
            shown += f"\n[red]refused, ignored: {escape(shop.invalid[key])}[/]"
        table.add_row(key, shown, escape(spec.help))
    console.print(table)
    if missing:
        console.print(f"[yellow]Marketing emails still need:[/] {escape(', '.join(missing))}")
