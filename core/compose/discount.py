"""Discounts attached to drafts: `--discount 10%` or `--discount 5EUR`, valid for N days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from core.compose.errors import ComposeError
from core.values import parse_cents

_PERCENT = re.compile(r"(?P<value>\d+(?:[.,]\d+)?)\s*%")
_AMOUNT = re.compile(r"(?P<value>\d+(?:[.,]\d{1,2})?)\s*(?P<currency>[A-Za-z]{3}|€|\$|£)")
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
_POINTS = re.compile(r"points\s*:\s*(?P<points>\d{1,9})", re.IGNORECASE)
_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,31}")
MAX_VALID_DAYS = 366


class DiscountError(ComposeError):
    """A discount option that cannot be honoured."""


@dataclass(frozen=True)
class Discount:
    """A percentage or a fixed amount off the next order, with a code and a validity."""

    percent: Decimal | None = None
    amount_cents: int | None = None
    currency: str | None = None
    valid_days: int = 30
    code: str | None = None
    min_order_cents: int | None = None
    """The order value the shop's coupon requires (`--min-order`): the draft says it."""
    points: int | None = None
    """A points code (`--discount points:500`): the amount is what these points are worth,
    each recipient needs that many and pays them when an order uses the code
    (core/loyalty/codes.py)."""

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.amount_cents is None):
            raise DiscountError("a discount is either a percentage or an amount")
        if self.percent is not None and not Decimal(0) < self.percent <= Decimal(100):
            raise DiscountError(f"discount {self.percent}%: must be between 0 and 100 %")
        if self.amount_cents is not None and self.amount_cents <= 0:
            raise DiscountError("a discount amount must be more than zero")
        if not 1 <= self.valid_days <= MAX_VALID_DAYS:
            raise DiscountError(f"--valid-days {self.valid_days}: use 1 to {MAX_VALID_DAYS} days")
        if self.points is not None and self.code is not None:
            raise DiscountError(
                "--discount points:N gives each recipient a code of their own: drop --code"
            )
        if self.code is not None and not _CODE.fullmatch(self.code):
            raise DiscountError(
                f"discount code {self.code!r}: 3-32 capital letters, digits, - or _"
            )

    def expires(self, today: date) -> date:
        """The last day the code is valid."""
        return today + timedelta(days=self.valid_days)

    def code_for(self, template: str) -> str:
        """The given code, or one derived from template and value: `WINBACK10`, `WINBACK5EUR`."""
        if self.code:
            return self.code
        stem = code_stem(template)
        if self.percent is not None:
            value = format(self.percent.normalize(), "f").replace(".", "_")
        else:
            assert self.amount_cents is not None
            units, cents = divmod(self.amount_cents, 100)
            value = (
                f"{units}{self.currency}" if not cents else f"{units}_{cents:02d}{self.currency}"
            )
        return f"{stem}{value}"

    def to_dict(self) -> dict[str, object]:
        return {
            "percent": None if self.percent is None else str(self.percent),
            "amount_cents": self.amount_cents,
            "currency": self.currency,
            "valid_days": self.valid_days,
            "code": self.code,
            "points": self.points,
        }


def code_stem(template: str) -> str:
    """`win-back` -> `WINBACK`; long names keep whole words up to 10 letters: `COMEBACK`."""
    words = [w for w in re.split(r"[^A-Z0-9]+", template.upper()) if w]
    stem = ""
    for word in words:
        if stem and len(stem) + len(word) > 10:
            break
        stem += word
    return stem[:16] or "THANKS"


def parse_discount(
    text: str,
    *,
    currency: str,
    valid_days: int = 30,
    code: str | None = None,
    point_value: int | None = None,
) -> Discount:
    """`10%` or `5EUR` / `5,50 €` (in the shop's currency) -> a Discount; `points:500` too
    where the caller gives the loyalty scheme's `point_value` (campaign exports)."""
    value = text.strip()
    if code is not None:
        code = code.strip().upper()
    match = _POINTS.fullmatch(value)
    if match:
        if point_value is None:
            raise DiscountError(
                f"--discount {text!r}: points codes are made by `export --discount points:N` "
                "or `loyalty code`"
            )
        from core.loyalty.rules import LoyaltyError, points_code_cents

        try:
            cents = points_code_cents(int(match["points"]), point_value)
        except LoyaltyError as exc:
            raise DiscountError(f"--discount {text!r}: {exc}") from None
        return Discount(amount_cents=cents, currency=currency, valid_days=valid_days,
                        code=code, points=int(match["points"]))  # fmt: skip
    match = _PERCENT.fullmatch(value)
    if match:
        try:
            percent = Decimal(match["value"].replace(",", "."))
        except InvalidOperation:
            raise DiscountError(f"--discount {text!r}: not a percentage") from None
        return Discount(percent=percent, valid_days=valid_days, code=code)
    match = _AMOUNT.fullmatch(value)
    if match:
        unit = _SYMBOLS.get(match["currency"], match["currency"].upper())
        if unit != currency:
            raise DiscountError(
                f"--discount {text!r}: the shop's currency is {currency}, not {unit}"
            )
        try:
            cents = parse_cents(match["value"], decimal_comma="," in match["value"])
        except ValueError as exc:  # out of range: more than any order could be worth
            raise DiscountError(f"--discount {text!r}: {exc}") from None
        return Discount(amount_cents=cents, currency=unit, valid_days=valid_days, code=code)
    points = " or points:N (a code worth N loyalty points)" if point_value is not None else ""
    raise DiscountError(
        f"--discount {text!r}: write a percentage (10%) or an amount with currency "
        f"(5{currency}){points}"
    )
