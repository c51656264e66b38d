"""`retain-tui segments`, `segment add|rm|show|rfm-table` and `customers`."""

from __future__ import annotations

import shlex
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from core.customer_list import MAX_ROWS, ROW_FIELDS
from core.rfm import RfmTable
from core.segments import (
    SegmentError,
    SegmentExistsError,
    SegmentInfo,
    add_segment,
    current_rfm_table,
    customer_rows,
    list_segments,
    remove_segment,
    reset_rfm_table,
    save_rfm_table,
    segment_info,
    sort_field,
    sortable_fields,
)
from core.store import Store
from tui.commands.common import (
    AsOfOption,
    CsvOption,
    DbOption,
    JsonOption,
    as_of_date,
    console,
    fail,
    one_output_format,
    opened_store,
    print_csv,
    print_json,
    printable,
)

RfmTableOption = Annotated[
    Path | None,
    typer.Option(
        "--rfm-table",
        metavar="FILE",
        help="Use this TOML RFM table instead of the saved one (see docs/segments.md).",
        show_default=False,
    ),
]

segment_app = typer.Typer(
    help="Your own segments (saved filters) and the RFM table.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("segments")(segments)
    app.add_typer(segment_app, name="segment")
    app.command("customers")(customers)


def segments(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    rfm_table: RfmTableOption = None,
    json_: JsonOption = False,
    csv_: CsvOption = False,
    db: DbOption = None,
) -> None:
    """Every segment (RFM, behaviour, your own) with its size and definition."""
    one_output_format(json_=json_, csv_=csv_)
    with opened_store(ctx, db) as store:
        try:
            day = as_of_date(store, as_of)
            infos = list_segments(store, day, rfm_table=_table(store, rfm_table))
        except SegmentError as exc:
            fail(str(exc))
    if json_:
        print_json([info.to_dict() for info in infos])
        return
    if csv_:
        print_csv([field.name for field in fields(SegmentInfo)], (i.to_dict() for i in infos))
        return
    _print_segments(infos)


@segment_app.command("add")
def segment_add(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The segment's name.", show_default=False)
    ],
    expression: Annotated[
        str,
        typer.Argument(
            metavar="EXPR",
            help='A filter, e.g. \'orders >= 2 and country in ("DE", "AT")\'.',
            show_default=False,
        ),
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Change the segment if it exists.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Save your own segment: a name and a filter expression (see docs/segments.md)."""
    with opened_store(ctx, db) as store:
        try:
            saved = add_segment(store, name, expression, replace=replace)
            info = segment_info(store, saved)
        except SegmentExistsError as exc:
            fail(f"{exc}; add --replace to change it")
        except SegmentError as exc:
            fail(str(exc))
    console.print(
        Text.assemble(
            "Saved segment ", (printable(saved), "bold"),
            f": {info.count:,} customers ({info.share:.1f}%), "
            f"{info.marketing_count:,} with marketing consent.",
        )
    )  # fmt: skip


@segment_app.command("rm")
def segment_rm(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The segment to remove.", show_default=False)
    ],
    db: DbOption = None,
) -> None:
    """Remove one of your own segments."""
    with opened_store(ctx, db) as store:
        try:
            removed = remove_segment(store, name)
        except SegmentError as exc:
            fail(str(exc))
    console.print(Text.assemble("Removed segment ", (printable(removed), "bold"), "."))


@segment_app.command("show")
def segment_show(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The segment to show.", show_default=False)
    ],
    as_of: AsOfOption = None,
    rfm_table: RfmTableOption = None,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One segment: its definition, size and who it may be used for."""
    with opened_store(ctx, db) as store:
        try:
            day = as_of_date(store, as_of)
            info = segment_info(store, name, day, rfm_table=_table(store, rfm_table))
        except SegmentError as exc:
            fail(str(exc))
    if json_:
        print_json(info.to_dict())
        return
    out = console.print
    out(Text.assemble((printable(info.name), "bold"), f"  ({info.kind} segment)"))
    out(Text("Definition: " + printable(info.definition)))
    out(Text("Meaning:    " + printable(info.description)))
    if info.error:
        out(Text("Problem: " + printable(info.error), style="red"))
    out(f"Customers:  {info.count:,} ({info.share:.1f}% of all customers), data to {info.as_of}")
    if info.marketing:
        out(f"Marketing:  {info.marketing_count:,} have consent; only they get marketing mail")
    else:
        out("Marketing:  none: this segment is for transactional mail only")
    out(Text(f"List them:  retain-tui customers --segment {shlex.quote(printable(info.name))}"))


@segment_app.command("rfm-table")
def segment_rfm_table(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE",
            help="A TOML RFM table to save as the one in force.",
            show_default=False,
        ),
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Go back to the shipped RFM table.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Print the RFM table in force (as TOML), or replace it with FILE, or --reset it."""
    if reset and file is not None:
        fail("--reset goes back to the shipped table: give it or a FILE, not both")
    with opened_store(ctx, db) as store:
        try:
            if reset:
                table = reset_rfm_table(store)
            elif file is not None:
                table = save_rfm_table(store, _read(file))
            else:
                table = current_rfm_table(store)
        except SegmentError as exc:
            fail(str(exc))
    if reset or file is not None:
        console.print(f"RFM table saved: {len(table.rules)} rows (then Others).")
        return
    typer.echo(f"# in force: {table.source}")
    typer.echo(table.to_toml(), nl=False)


def customers(
    ctx: typer.Context,
    segment: Annotated[
        str | None,
        typer.Option("--segment", metavar="NAME", help="Only this segment's customers."),
    ] = None,
    where: Annotated[
        str | None,
        typer.Option("--where", metavar="EXPR", help="Only customers matching this filter."),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            metavar="FIELD",
            help="Sort by one of: "
            + ", ".join(sortable_fields())
            + "; a leading '-' sorts descending (e.g. --sort -spent).",
        ),
    ] = None,
    desc: Annotated[bool, typer.Option("--desc", help="Sort descending.")] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", metavar="N", min=0, max=MAX_ROWS, help="Show at most N customers."),
    ] = None,
    offset: Annotated[
        int,
        typer.Option(
            "--offset", metavar="N", min=0, max=MAX_ROWS, help="Skip the first N customers."
        ),
    ] = 0,
    marketing: Annotated[
        bool, typer.Option("--marketing", help="Only customers with marketing consent.")
    ] = False,
    as_of: AsOfOption = None,
    rfm_table: RfmTableOption = None,
    json_: JsonOption = False,
    csv_: CsvOption = False,
    db: DbOption = None,
) -> None:
    """Customers with their orders, spend, RFM scores and segments."""
    one_output_format(json_=json_, csv_=csv_)
    descending = desc
    if sort and sort.startswith("-"):
        sort, descending = sort[1:], True
    if sort:
        try:
            sort_field(sort)
        except SegmentError as exc:
            fail(f"--sort: {exc}")
    with opened_store(ctx, db) as store:
        day = as_of_date(store, as_of)
        try:
            rows = customer_rows(
                store, segment=segment, where=where, sort=sort or None, descending=descending,
                limit=limit, offset=offset, as_of=day, marketing=marketing,
                rfm_table=_table(store, rfm_table),
            )  # fmt: skip
        except SegmentError as exc:
            fail(str(exc))
    if json_:
        print_json(rows)
        return
    if csv_:
        print_csv(ROW_FIELDS, rows)
        return
    _print_customers(rows, day)


def _table(store: Store, path: Path | None) -> RfmTable | None:
    return None if path is None else current_rfm_table(store, path)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: cannot read ({exc})")


def _print_segments(infos: list[SegmentInfo]) -> None:
    as_of = infos[0].as_of if infos else ""
    table = Table(title=f"Segments · data to {as_of}", title_justify="left", expand=False)
    table.add_column("Segment", overflow="fold")
    table.add_column("Kind")
    table.add_column("Customers", justify="right")
    table.add_column("Share", justify="right")
    table.add_column("Marketing", justify="right")
    table.add_column("Revenue", justify="right")
    table.add_column("AOV", justify="right")
    table.add_column("Definition", overflow="fold")
    for info in infos:
        definition = Text(printable(info.definition))
        if info.error:
            definition = Text("cannot run: " + printable(info.error), style="red")
        reach = f"{info.marketing_count:,}" if info.marketing else "—"
        aov = "–" if info.average_order_value is None else f"{info.average_order_value:,.2f}"
        table.add_row(Text(printable(info.name)), info.kind, f"{info.count:,}",
                      f"{info.share:.1f}%", reach, f"{info.revenue:,.0f}", aov,
                      definition)  # fmt: skip
    console.print(table)
    console.print(
        "Marketing: members with consent, the only ones a marketing mail goes to. "
        "— : for transactional mail (e.g. a thank-you) only. Revenue: the members' net "
        "revenue, all time up to the as-of date; AOV: that per order."
    )


def _print_customers(rows: list[dict[str, object]], as_of: date) -> None:
    table = Table(title=f"Customers · data to {as_of}", title_justify="left", expand=False)
    for column, justify in (
        ("Id", "right"), ("Name", "left"), ("Ctry", "left"),
        ("Orders", "right"), ("Spent", "right"), ("Last order", "left"), ("RFM", "left"),
        ("Segments", "left"),
    ):  # fmt: skip
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        name = " ".join(printable(row[key]) for key in ("first_name", "last_name") if row[key])
        scores = "" if row["r"] is None else f"{row['r']}{row['f']}{row['m']}"
        table.add_row(
            str(row["id"]), Text(name), Text(printable(row["country"])),
            f"{row['orders']:,}", f"{row['spent']:,.2f}", Text(printable(row["last_order"])),
            scores, Text(", ".join(printable(s) for s in row["segments"])),  # type: ignore[attr-defined]
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows):,} customers (--json or --csv shows every field, email included)")
