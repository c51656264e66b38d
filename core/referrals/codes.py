"""`retain-tui referral codes`: each chosen customer's personal referral code, and the file
the owner imports into the shop.

A referral code is drawn like a campaign code (core/campaigns/codes.py: `REF-7KQ2M9XD`, the
same alphabet and generator) and is unique across the store together with campaign codes.
It is stable: a customer keeps their code whatever is run later, so running the command
again for a grown segment adds codes for the new members only, and the file lists every
chosen customer's code, old and new. The codes are committed before the file is written: if
the file cannot be written, the same command run again writes the same codes.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from core.campaigns.codes import TokenSource, check_prefix, new_codes
from core.campaigns.records import codes_in_use
from core.codes.shop_files import (
    CodesExportError,
    IssuedCode,
    check_format,
    check_out,
    code_rows,
    write_codes_file,
)
from core.compose.discount import Discount
from core.referrals.settings import (
    DEFAULT_FRIEND_DISCOUNT,
    FRIEND_SETTING,
    ReferralSettingError,
    parse_friend_discount,
)
from core.store import Store, utc_now

DEFAULT_PREFIX = "REF"
SHOP_TITLE = "Referral codes"
"""The discount's title in the Shopify sheet and the coupons' description in WooCommerce."""


class ReferralCodesError(Exception):
    """Nothing was written: a bad option, no customers, an unusable --out."""


@dataclass
class ReferralCodesResult:
    format: str
    path: str
    codes: int
    """Codes in the file: one per chosen customer."""
    new: int
    """Of those, codes drawn by this run (the others were kept)."""
    forgotten: int
    """Chosen customers left out: the owner erased them (`retain-tui forget`)."""
    discount: str

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def friend_discount(store: Store, given: str | None) -> Discount:
    """What the codes give the new customer: `--discount`, else the shop's setting."""
    text = given or store.get_setting(FRIEND_SETTING, DEFAULT_FRIEND_DISCOUNT)
    try:
        return parse_friend_discount(text or DEFAULT_FRIEND_DISCOUNT)
    except ReferralSettingError as exc:
        where = "--discount" if given else FRIEND_SETTING
        raise ReferralCodesError(f"{where}: {exc}") from None


def _forgotten(store: Store, customer_ids: list[int]) -> set[int]:
    return {
        row[0]
        for row in store.execute(
            "SELECT customer_id FROM forgotten "
            "WHERE customer_id IN (SELECT value FROM json_each(?))",
            (json.dumps(customer_ids),),
        )
    }


def ensure_codes(
    store: Store, customer_ids: list[int], prefix: str, *, token: TokenSource = secrets.token_bytes
) -> tuple[dict[int, str], int]:
    """Every customer's referral code, drawing one for those without (returns the codes by
    customer and how many were drawn). One transaction: a code another writer stored
    meanwhile fails its insert (primary key or the campaign-code trigger) and nothing is kept."""
    with store.write() as conn:
        have = dict(
            conn.execute(
                "SELECT customer_id, code FROM referral_codes "
                "WHERE customer_id IN (SELECT value FROM json_each(?))",
                (json.dumps(customer_ids),),
            ).fetchall()
        )
        missing = [cid for cid in dict.fromkeys(customer_ids) if cid not in have]
        drawn = new_codes(
            prefix, len(missing), lambda batch: codes_in_use(conn, batch), token=token
        )
        now = utc_now()
        conn.executemany(
            "INSERT INTO referral_codes (code, customer_id, created_at) VALUES (?, ?, ?)",
            ((code, cid, now) for code, cid in zip(drawn, missing, strict=True)),
        )
        have.update(zip(missing, drawn, strict=True))
    return have, len(missing)


def _issued(
    store: Store, codes: dict[int, str], discount: Discount, customer_ids: list[int]
) -> Iterator[IssuedCode]:
    emails = dict(
        store.execute(
            "SELECT id, email FROM customers WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(codes)),),
        ).fetchall()
    )
    kind, value = discount_value(discount)
    for cid in dict.fromkeys(customer_ids):
        if cid in codes:
            yield IssuedCode(
                codes[cid], kind, value, discount.currency, None, None, emails.get(cid),
                multi_use=True,
            )  # fmt: skip


def export_referral_codes(
    store: Store,
    customer_ids: list[int],
    fmt: str,
    out: Path,
    *,
    prefix: str = DEFAULT_PREFIX,
    discount: str | None = None,
    overwrite: bool = False,
) -> ReferralCodesResult:
    """Give each customer (in `customer_ids`, already checked to exist) a referral code if
    they have none, then write every one of their codes to `out` in `fmt`."""
    check_format(fmt)
    try:
        prefix = check_prefix(prefix)
    except ValueError as exc:
        raise ReferralCodesError(str(exc).replace("--code-prefix", "--prefix")) from None
    offer = friend_discount(store, discount)
    try:
        check_out(out, overwrite=overwrite)
    except CodesExportError as exc:
        raise ReferralCodesError(str(exc)) from None
    forgotten = _forgotten(store, customer_ids)
    chosen = [cid for cid in dict.fromkeys(customer_ids) if cid not in forgotten]
    if not chosen:
        raise ReferralCodesError("no customers to give a referral code to: nothing was written")
    codes, drawn = ensure_codes(store, chosen, prefix)
    issued = list(_issued(store, codes, offer, chosen))
    write_codes_file(out, with_referrers(fmt, issued, code_rows(fmt, SHOP_TITLE, issued)))
    return ReferralCodesResult(
        format=fmt, path=str(out), codes=len(issued), new=drawn, forgotten=len(forgotten),
        discount=_offer_text(offer),
    )  # fmt: skip


def with_referrers(
    fmt: str, codes: list[IssuedCode], rows: Iterator[list[str]]
) -> Iterator[list[str]]:
    """The csv format names each code's referrer (`referrer_email`): it is the one file that
    says whose code is whose. The shop formats stay as their importers read them."""
    if fmt != "csv":
        yield from rows
        return
    yield [*next(rows), "referrer_email"]
    for code, cells in zip(codes, rows, strict=True):
        yield [*cells, code.email or ""]


def discount_value(discount: Discount) -> tuple[str, int]:
    """('percent', basis points) or ('amount', cents): a discount as codes store it."""
    if discount.percent is not None:
        return "percent", int((discount.percent * 100).quantize(Decimal(1), ROUND_HALF_UP))
    assert discount.amount_cents is not None
    return "amount", discount.amount_cents


def _offer_text(offer: Discount) -> str:
    if offer.percent is not None:
        return f"{format(offer.percent.normalize(), 'f')}%"
    assert offer.amount_cents is not None
    return f"{offer.amount_cents / 100:.2f} {offer.currency}"
