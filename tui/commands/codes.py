"""`retain-tui codes export CAMPAIGN`: a campaign's discount codes for the shop's import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.codes.shop_files import FORMATS, CodesExportError, export_codes
from tui.commands.campaign_options import CampaignArgument
from tui.commands.common import (
    DbOption,
    JsonOption,
    choices,
    choices_metavar,
    console,
    fail,
    opened_store,
    print_json,
    warn,
)

ShopFormat = choices("ShopFormat", FORMATS)

codes_app = typer.Typer(help="Campaigns' discount codes.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(codes_app, name="codes")


@codes_app.command("export")
def codes_export(
    ctx: typer.Context,
    campaign: CampaignArgument,
    fmt: Annotated[
        ShopFormat,
        typer.Option(
            "--format",
            metavar=choices_metavar(FORMATS),
            help="shopify: Matrixify's Discounts sheet; woocommerce: the Smart Coupons "
            "(WebToffee) coupon CSV; csv: code,value,type,currency,expires,customer_email.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="FILE",
            help="The file to write (mode 0600, written whole).",
            show_default=False,
        ),
    ],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file at --out.")
    ] = False,
    json_: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Write a campaign's unique codes as a file to import into the shop (single use each)."""
    with opened_store(ctx, db) as store:
        try:
            result = export_codes(store, campaign, fmt.value, out, overwrite=overwrite)
        except CodesExportError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"--out {out}: {exc.strerror or exc}")
    if json_:
        print_json(result.to_dict())
    else:
        console.print(
            f"Wrote {result.codes:,} codes of {campaign} ({result.format}) to {out}", markup=False
        )
    if result.without_email:
        warn(
            f"{result.without_email:,} codes belong to customers without an address "
            "(forgotten): they are not limited to one address"
        )
