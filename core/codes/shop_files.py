"""`retain-tui codes export`: a campaign's codes as a file the owner imports into the shop.

Neither Shopify's admin nor WooCommerce itself imports discount codes from a file; owners
use an import app, and the formats follow the ones docs/campaigns.md names:

- `shopify`: Matrixify's "Discounts" sheet: one discount (Title = the campaign) with one row
  per code, each single-use.
- `woocommerce`: the coupon CSV of WebToffee's "Smart Coupons for WooCommerce" import, whose
  columns are WooCommerce's own coupon fields; each coupon is single-use and limited to its
  recipient's address.
- `csv`: `code,value,type,currency,expires,customer_email` for anything else.

Referral codes (core/referrals/) go through the same formats as `multi_use` codes: any
number of orders may use one, each customer once, and none is limited to an address
(docs/referrals.md says what differs per format).

The file is written whole or not at all, private (0600), every cell formula-safe.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.campaigns import UnknownCampaignError, require_campaign
from core.codes import code_value
from core.compose.draft_writers import neutralise_cell
from core.private_files import private_text_file
from core.store import Store
from core.values import format_cents

FORMATS = ("shopify", "woocommerce", "csv")


class CodesExportError(Exception):
    """Nothing was written: an unknown campaign, one without codes, or a bad --out."""


@dataclass(frozen=True)
class IssuedCode:
    """One code as a shop import needs it."""

    code: str
    kind: str  # 'percent' (value in basis points) | 'amount' (value in cents)
    value: int
    currency: str | None
    expires: str | None  # ISO date, the last day the code is valid
    min_order: int | None  # cents
    email: str | None  # the recipient's address today; None once they were forgotten
    multi_use: bool = False
    """A referral code: no usage limit (each customer once) and no address it is limited to."""
    starts: str | None = None
    """ISO date the code is valid from: its campaign's as-of date, from which its expiry is
    counted too (so it never starts after it ends); None where the shop's default will do."""

    @property
    def value_text(self) -> str:
        """10 % -> '10', 12.5 % -> '12.5', 5 EUR -> '5.00'."""
        return code_value(self.kind, self.value)


@dataclass
class CodesExportResult:
    campaign: str
    format: str
    path: str
    codes: int
    without_email: int
    """Codes whose recipient has no address any more (forgotten): exported unrestricted."""

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _shopify_rows(campaign: str, codes: list[IssuedCode]) -> Iterator[list[str]]:
    yield ["Title", "Command", "Code", "Method", "Type", "Value Type", "Value", "Starts At",
           "Ends At", "Minimum Requirement", "Minimum Value", "Limit Total Times",
           "Limit One Use Per Customer"]  # fmt: skip
    for code in codes:
        yield [
            campaign, "MERGE", code.code, "Code", "Amount off Order",
            "Percentage" if code.kind == "percent" else "Fixed Amount",
            code.value_text,
            f"{code.starts} 00:00:00" if code.starts else "",
            f"{code.expires} 23:59:59" if code.expires else "",
            "Minimum Purchase Amount" if code.min_order else "None",
            format_cents(code.min_order) if code.min_order else "",
            "" if code.multi_use else "1", "TRUE",
        ]  # fmt: skip


def _woocommerce_rows(campaign: str, codes: list[IssuedCode]) -> Iterator[list[str]]:
    yield ["post_title", "post_excerpt", "post_status", "discount_type", "coupon_amount",
           "individual_use", "usage_limit", "usage_limit_per_user", "date_expires",
           "minimum_amount", "customer_email"]  # fmt: skip
    for code in codes:
        yield [
            code.code, campaign, "publish",
            "percent" if code.kind == "percent" else "fixed_cart",
            code.value_text, "no", "" if code.multi_use else "1", "1", code.expires or "",
            format_cents(code.min_order) if code.min_order else "",
            "" if code.multi_use else code.email or "",
        ]  # fmt: skip


def _csv_rows(campaign: str, codes: list[IssuedCode]) -> Iterator[list[str]]:
    yield ["code", "value", "type", "currency", "expires", "customer_email"]
    for code in codes:
        yield [code.code, code.value_text, code.kind, code.currency or "", code.expires or "",
               "" if code.multi_use else code.email or ""]  # fmt: skip


_ROWS: dict[str, Callable[[str, list[IssuedCode]], Iterator[list[str]]]] = {
    "shopify": _shopify_rows,
    "woocommerce": _woocommerce_rows,
    "csv": _csv_rows,
}


def code_rows(fmt: str, title: str, codes: list[IssuedCode]) -> Iterator[list[str]]:
    """The file's rows (header first) for `codes` in `fmt`; `title` names the discount."""
    return _ROWS[fmt](title, codes)


def check_format(fmt: str) -> None:
    if fmt not in _ROWS:
        raise CodesExportError(f"--format {fmt}: choose one of {', '.join(FORMATS)}")


def check_out(out: Path, *, overwrite: bool) -> None:
    """Refuse an --out that cannot take the file, before anything is done."""
    if not out.parent.is_dir():
        raise CodesExportError(f"{out.parent}: no such folder (create it first)")
    if out.is_dir():
        raise CodesExportError(f"{out}: is a folder; the codes go into one file")
    if out.exists() and not overwrite:
        raise CodesExportError(f"{out}: already exists (choose another name or use --overwrite)")


def write_codes_file(out: Path, rows: Iterable[list[str]]) -> None:
    """The rows as CSV at `out`: private, whole or not at all, every cell formula-safe."""
    # Plain UTF-8: the importers read the first header as a field name, a BOM would hide it.
    with private_text_file(out, newline="") as file:
        writer = csv.writer(file)
        for cells in rows:
            writer.writerow([neutralise_cell(cell) for cell in cells])


def issued_codes(store: Store, campaign: str) -> list[IssuedCode]:
    """The campaign's codes in the order they were issued; refuses an unknown campaign and
    one that issued none."""
    try:
        found = require_campaign(store, campaign)
    except UnknownCampaignError as exc:
        raise CodesExportError(str(exc)) from None
    codes = [
        IssuedCode(*values)
        for values in store.execute(
            "SELECT d.code, d.kind, d.value, d.currency, d.expires, d.min_order, c.email, "
            "0, k.as_of FROM discount_codes d JOIN campaigns k ON k.id = d.campaign_id "
            "LEFT JOIN customers c ON c.id = d.customer_id "
            "WHERE d.campaign_id = ? ORDER BY d.created_at, d.code",
            (found.id,),
        )
    ]
    if not codes:
        raise CodesExportError(
            f"campaign {campaign!r} issued no codes (it was exported without --discount): "
            "nothing to write"
        )
    return codes


def export_codes(
    store: Store, campaign: str, fmt: str, out: Path, *, overwrite: bool = False
) -> CodesExportResult:
    """Write `campaign`'s codes to `out` in `fmt` ('shopify', 'woocommerce' or 'csv')."""
    check_format(fmt)
    codes = issued_codes(store, campaign)
    check_out(out, overwrite=overwrite)
    write_codes_file(out, _ROWS[fmt](campaign, codes))
    return CodesExportResult(
        campaign=campaign, format=fmt, path=str(out), codes=len(codes),
        without_email=sum(1 for code in codes if not code.email),
    )  # fmt: skip
