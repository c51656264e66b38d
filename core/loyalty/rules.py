"""The loyalty rules: the shop's `loyalty.*` settings read, checked and turned into numbers.

The settings table is the one source of truth (core/shop_settings.py registers these keys
with the validators below, so `config set` and `loyalty rules` accept and refuse alike).
docs/loyalty.md explains each rule with examples.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from math import gcd

from core.store import Store
from core.values import format_cents, parse_cents

__all__ = [
    "DEFAULT_RULES",
    "RULE_KEYS",
    "LoyaltyError",
    "LoyaltyRules",
    "Tier",
    "add_months",
    "add_months_ordinal",
    "check_expiry_months",
    "check_point_value",
    "check_points",
    "check_tiers",
    "load_rules",
    "parse_tiers",
    "points_code_cents",
]

MAX_POINTS = 1_000_000
"""The most points per 1.00, per bonus: far beyond any shop, small enough that sums stay exact."""
MAX_EXPIRY_MONTHS = 120
MAX_TIERS = 10
MAX_CODE_POINTS = 100_000_000
_TIER_NAME = re.compile(r"[^\W_][\w .&'-]{0,39}")


class LoyaltyError(ValueError):
    """A rule or a redemption the loyalty scheme refuses (the message says which and why)."""


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: int
    """Net spend over the 12 months up to the as-of date that reaches it, in cents."""


@dataclass(frozen=True)
class LoyaltyRules:
    points_per_unit: int = 10
    """Points per 1.00 of an order's net value (total − refunds), rounded down per order."""
    bonus_2nd_order: int = 0
    bonus_5th_order: int = 0
    expiry_months: int | None = None
    """Points expire after this many months without an order (None: never)."""
    point_value: int = 100
    """Points worth 1.00 when redeemed."""
    tiers: tuple[Tier, ...] = (Tier("Bronze", 0), Tier("Silver", 25_000), Tier("Gold", 100_000))

    @property
    def earning_stamp(self) -> str:
        """What the points kept per customer day depend on (core/loyalty/kept.py): the
        earning rules and the expiry."""
        months = self.expiry_months or "off"
        return f"{self.points_per_unit}:{self.bonus_2nd_order}:{self.bonus_5th_order}:{months}"

    def order_points(self, net_cents: int) -> int:
        """An order's points before bonuses: its net value × rate, rounded down."""
        return max(0, net_cents) * self.points_per_unit // 100

    def value_cents(self, points: int) -> int:
        """What `points` are worth when redeemed, in cents, rounded down (never below 0)."""
        return max(0, points) * 100 // self.point_value

    def code_cents(self, points: int) -> int:
        """What a points code (core/loyalty/codes.py) is worth: `points` must be above 0 and
        worth whole cents (at 250 points per 1.00, a multiple of 5), else `LoyaltyError`."""
        return points_code_cents(points, self.point_value)

    def tier_for(self, spend_cents: int) -> Tier | None:
        """The highest tier `spend_cents` reaches (None below the first threshold)."""
        reached = None
        for tier in self.tiers:
            if spend_cents >= tier.threshold:
                reached = tier
        return reached

    def next_tier(self, spend_cents: int) -> Tier | None:
        for tier in self.tiers:
            if spend_cents < tier.threshold:
                return tier
        return None

    def find_tier(self, name: str) -> Tier:
        for tier in self.tiers:
            if tier.name.casefold() == name.strip().casefold():
                return tier
        names = ", ".join(t.name for t in self.tiers)
        raise LoyaltyError(f"no tier named {name!r} (the tiers are {names})")


DEFAULT_RULES = LoyaltyRules()

RULE_KEYS = (
    "loyalty.points_per_unit",
    "loyalty.bonus_2nd_order",
    "loyalty.bonus_5th_order",
    "loyalty.expiry_months",
    "loyalty.point_value",
    "loyalty.tiers",
)


def check_points(value: str) -> str:
    """A whole number of points from 0 to MAX_POINTS, as stored."""
    text = value.strip()
    if not re.fullmatch(r"\d{1,7}", text) or int(text) > MAX_POINTS:
        raise LoyaltyError(f"{value!r}: a whole number of points from 0 to {MAX_POINTS:,}")
    return str(int(text))


def check_point_value(value: str) -> str:
    """How many points are worth 1.00: a whole number from 1 to MAX_POINTS."""
    stored = check_points(value)
    if stored == "0":
        raise LoyaltyError(f"{value!r}: at least 1 point per 1.00")
    return stored


def check_expiry_months(value: str) -> str:
    """'off' (or 0) or a number of months from 1 to MAX_EXPIRY_MONTHS."""
    text = value.strip().lower()
    if text in ("off", "0", "never", "none"):
        return "off"
    if not re.fullmatch(r"\d{1,3}", text) or not 1 <= int(text) <= MAX_EXPIRY_MONTHS:
        raise LoyaltyError(f"{value!r}: 'off' or a number of months from 1 to {MAX_EXPIRY_MONTHS}")
    return str(int(text))


def parse_tiers(value: str) -> tuple[Tier, ...]:
    """'Bronze:0,Silver:250,Gold:1000' -> tiers by ascending threshold (currency units)."""
    parts = [part.strip() for part in value.split(",")]
    if not value.strip() or any(not part for part in parts):
        raise LoyaltyError(f"{value!r}: write NAME:THRESHOLD pairs, e.g. Bronze:0,Silver:250")
    if len(parts) > MAX_TIERS:
        raise LoyaltyError(f"{value!r}: at most {MAX_TIERS} tiers")
    tiers: list[Tier] = []
    for part in parts:
        name, colon, amount = part.rpartition(":")
        name = name.strip()
        if not colon or not _TIER_NAME.fullmatch(name):
            raise LoyaltyError(
                f"{part!r}: a tier is NAME:THRESHOLD, the name 1-40 letters, digits, spaces "
                "or .&'- (e.g. Gold:1000)"
            )
        try:
            threshold = parse_cents(amount)
        except ValueError:
            raise LoyaltyError(f"{part!r}: {amount.strip()!r} is not an amount") from None
        if threshold < 0:
            raise LoyaltyError(f"{part!r}: a threshold cannot be negative")
        if tiers and threshold <= tiers[-1].threshold:
            raise LoyaltyError(f"{part!r}: thresholds must rise from one tier to the next")
        if any(t.name.casefold() == name.casefold() for t in tiers):
            raise LoyaltyError(f"{part!r}: the tier {name!r} is named twice")
        tiers.append(Tier(name, threshold))
    return tuple(tiers)


def format_tiers(tiers: tuple[Tier, ...]) -> str:
    """The stored form of `tiers`, which `parse_tiers` reads back: 'Bronze:0,Silver:250'."""
    return ",".join(f"{tier.name}:{_amount(tier.threshold)}" for tier in tiers)


def check_tiers(value: str) -> str:
    return format_tiers(parse_tiers(value))


def _amount(cents: int) -> str:
    text = format_cents(cents)
    return text.removesuffix(".00")


DEFAULT_VALUES = {
    "loyalty.points_per_unit": str(DEFAULT_RULES.points_per_unit),
    "loyalty.bonus_2nd_order": str(DEFAULT_RULES.bonus_2nd_order),
    "loyalty.bonus_5th_order": str(DEFAULT_RULES.bonus_5th_order),
    "loyalty.expiry_months": "off",
    "loyalty.point_value": str(DEFAULT_RULES.point_value),
    "loyalty.tiers": format_tiers(DEFAULT_RULES.tiers),
}
"""The rules' defaults as settings values (shop_settings.DEFAULTS takes them from here)."""

_CHECKS = {
    "loyalty.points_per_unit": check_points,
    "loyalty.bonus_2nd_order": check_points,
    "loyalty.bonus_5th_order": check_points,
    "loyalty.expiry_months": check_expiry_months,
    "loyalty.point_value": check_point_value,
    "loyalty.tiers": check_tiers,
}


def load_rules(store: Store | sqlite3.Connection) -> LoyaltyRules:
    """The shop's rules; a stored value that no longer validates is refused loudly.

    Loyalty figures are money the shop owes: silently falling back to a default would show
    customers a different balance than the owner set, so a bad value is a `LoyaltyError`.
    """
    stored = dict(store.execute("SELECT key, value FROM settings WHERE key LIKE 'loyalty.%'"))
    values: dict[str, str] = {}
    for key, check in _CHECKS.items():
        raw = stored.get(key, DEFAULT_VALUES[key])
        try:
            values[key] = check(raw)
        except LoyaltyError as exc:
            raise LoyaltyError(f"{key}: the stored value is refused: {exc}") from None
    expiry = values["loyalty.expiry_months"]
    return LoyaltyRules(
        points_per_unit=int(values["loyalty.points_per_unit"]),
        bonus_2nd_order=int(values["loyalty.bonus_2nd_order"]),
        bonus_5th_order=int(values["loyalty.bonus_5th_order"]),
        expiry_months=None if expiry == "off" else int(expiry),
        point_value=int(values["loyalty.point_value"]),
        tiers=parse_tiers(values["loyalty.tiers"]),
    )


def points_code_cents(points: int, point_value: int) -> int:
    """`points` turned into an amount in cents at `point_value` points per 1.00, refused
    (`LoyaltyError`) when not a whole number above 0 or not worth whole cents."""
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise LoyaltyError(f"points for a code must be a whole number above 0, not {points!r}")
    if points > MAX_CODE_POINTS:
        raise LoyaltyError(f"{points:,} points: at most {MAX_CODE_POINTS:,} in one code")
    if points * 100 % point_value:
        step = point_value // gcd(point_value, 100)
        raise LoyaltyError(
            f"{points:,} points are not worth whole cents at {point_value:,} points per 1.00: "
            f"use a multiple of {step:,}"
        )
    return points * 100 // point_value


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months; the 31st becomes the month's last day if needed."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def add_months_ordinal(day: int | None, months: int) -> int | None:
    """`add_months` on day ordinals, for SQL (`rt_add_months`, core/sqlfunctions.py)."""
    if day is None:
        return None
    return add_months(date.fromordinal(day), months).toordinal()
