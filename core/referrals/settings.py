"""The shop's referral settings (`retain-tui config set referrals.… VALUE`), read and checked
here so `config set` refuses what an import could not use later."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # core.compose loads the composer: only a reward or a code file needs it
    from core.compose.discount import Discount

BONUS_SETTING = "referrals.bonus_points"
REWARD_SETTING = "referrals.reward"
REWARD_DAYS_SETTING = "referrals.reward_valid_days"
FRIEND_SETTING = "referrals.friend_discount"

DEFAULT_BONUS_POINTS = 500
DEFAULT_REWARD = "off"
DEFAULT_REWARD_DAYS = 90
DEFAULT_FRIEND_DISCOUNT = "10%"
MAX_BONUS_POINTS = 1_000_000
_UNIT = re.compile(r"([A-Za-z]{3}|€|\$|£)\s*$")
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}


class ReferralSettingError(ValueError):
    """A referral setting that cannot be used; the message says what is allowed."""


def parse_bonus_points(text: str) -> int:
    """`referrals.bonus_points`: 0 (no points) to 1,000,000."""
    try:
        points = int(text.strip())
    except ValueError:
        raise ReferralSettingError(f"{text!r}: a whole number of points (0: none)") from None
    if not 0 <= points <= MAX_BONUS_POINTS:
        raise ReferralSettingError(f"{text!r}: use 0 to {MAX_BONUS_POINTS:,} points")
    return points


def parse_discount_text(text: str, what: str) -> Discount:
    """A percentage (`10%`) or an amount with its currency (`5EUR`, `5 €`): the discount of a
    referral code or of a referrer's reward code. The amount's own currency is kept."""
    from core.compose.discount import DiscountError, parse_discount

    unit = _UNIT.search(text)
    currency = _SYMBOLS.get(unit[1], unit[1].upper()) if unit else "EUR"
    try:
        return parse_discount(text, currency=currency)
    except DiscountError as exc:
        message = str(exc).replace("--discount ", "")
        raise ReferralSettingError(f"{what}: {message}") from None


def parse_reward(text: str) -> Discount | None:
    """`referrals.reward`: `off`, or the discount of the code a referrer gets per credit."""
    if text.strip().lower() == "off":
        return None
    return parse_discount_text(text, "reward")


def parse_friend_discount(text: str) -> Discount:
    """`referrals.friend_discount`: what a referral code gives the customer who uses it."""
    return parse_discount_text(text, "discount")


def parse_reward_days(text: str) -> int:
    """`referrals.reward_valid_days`: 1 to 366 days from the day the reward is issued."""
    try:
        days = int(text.strip())
    except ValueError:
        raise ReferralSettingError(f"{text!r}: a whole number of days") from None
    if not 1 <= days <= 366:
        raise ReferralSettingError(f"{text!r}: use 1 to 366 days")
    return days


@dataclass(frozen=True)
class ReferralSettings:
    bonus_points: int
    reward: Discount | None
    reward_valid_days: int


def _stored(conn: sqlite3.Connection, key: str, default: str) -> str:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return default if row is None else str(row[0])


def referral_settings(conn: sqlite3.Connection) -> ReferralSettings:
    """The settings as stored (`config set` checked them), or their defaults. A value that
    no longer parses (written by hand) falls back to the default rather than failing an
    import half-way."""
    try:
        bonus = parse_bonus_points(_stored(conn, BONUS_SETTING, str(DEFAULT_BONUS_POINTS)))
    except ReferralSettingError:
        bonus = DEFAULT_BONUS_POINTS
    try:
        reward = parse_reward(_stored(conn, REWARD_SETTING, DEFAULT_REWARD))
    except ReferralSettingError:
        reward = None
    try:
        days = parse_reward_days(_stored(conn, REWARD_DAYS_SETTING, str(DEFAULT_REWARD_DAYS)))
    except ReferralSettingError:
        days = DEFAULT_REWARD_DAYS
    return ReferralSettings(bonus, reward, days)
