"""The shop's own details that every email needs: name, sender, postal address, unsubscribe.

They live in the store's `settings` table (the one source of truth), under `shop.*` keys.
Every value is validated on the way in, so an export never discovers a bad sender address
half-way through 10,000 drafts.
"""

from __future__ import annotations

import re
import sqlite3
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core.addresses import AddressError, check_address, header_text, parse_mailbox
from core.store import Store
from core.values import normalize_language


class SettingError(ValueError):
    """An unknown key or a value that would produce broken or unlawful emails."""


def _text(value: str) -> str:
    cleaned = header_text(value)
    if not cleaned:
        raise SettingError("must not be empty")
    if len(cleaned) > 200:
        raise SettingError("is longer than 200 characters")
    return cleaned


def _postal_address(value: str) -> str:
    # Kept on one line: it is printed in footers of text and HTML bodies alike.
    return _text(value)


def _mailbox(value: str) -> str:
    try:
        name, address = parse_mailbox(value)
    except AddressError as exc:
        raise SettingError(str(exc)) from None
    return format_mailbox(name, address)


def format_mailbox(name: str, address: str) -> str:
    """The readable form `parse_mailbox` reads back: specials in the name are quoted."""
    if not name:
        return address
    if re.search(r'[()<>\[\]:;@\\,."]', name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def _address(value: str) -> str:
    text = value.strip().removeprefix("mailto:")
    try:
        return check_address(text)
    except AddressError as exc:
        raise SettingError(str(exc)) from None


def _url(allowed_fields: frozenset[str]) -> Callable[[str], str]:
    def validate(value: str) -> str:
        url = value.strip()
        if header_text(url) != url or " " in url:
            raise SettingError(f"{value!r}: no spaces or line breaks in a URL")
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc:
            # Mail clients and spam filters distrust plain http links, and an unsubscribe
            # page must not leak who unsubscribes.
            raise SettingError(f"{value!r}: must start with https:// and a host")
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(url) if name is not None}
        except ValueError:
            raise SettingError(f"{value!r}: unbalanced {{ }}") from None
        unknown = fields - allowed_fields
        if unknown:
            allowed = ", ".join(f"{{{f}}}" for f in sorted(allowed_fields)) or "none"
            raise SettingError(
                f"{value!r}: unknown placeholder {{{sorted(unknown)[0]}}} (allowed: {allowed})"
            )
        return url

    return validate


def _language(value: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        code = normalize_language(value)
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    if code is None:
        raise SettingError("must not be empty")
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        raise SettingError(f"{value!r}: not a language code (e.g. en, de, it, nl, nb)") from None
    return code


def _language_with_templates(code: str) -> None:
    """A default language only helps if templates are written in it: refuse one they lack
    (drafts would silently fall back to English)."""
    from core.compose.templates import list_templates

    languages = sorted({lang for info in list_templates() if info.available
                        for lang in info.languages})  # fmt: skip
    if code not in languages:
        raise SettingError(
            f"{code!r}: no template is written in it (they are in {', '.join(languages)}); "
            "add your own templates in that language first (see docs/templates.md)"
        )


ADDRESS_FORMS = ("informal", "formal")
"""How emails address customers: informal (du, tu, je) or formal (Sie, Lei, u)."""


def _address_form(value: str) -> str:
    form = value.strip().lower()
    if form not in ADDRESS_FORMS:
        raise SettingError(f"{value!r}: choose {' or '.join(ADDRESS_FORMS)}")
    return form


def _currency(value: str) -> str:
    from babel.numbers import list_currencies

    code = value.strip().upper()
    if code not in list_currencies():
        raise SettingError(f"{value!r}: not an ISO 4217 currency code (e.g. EUR, NOK, GBP)")
    return code


def _min_gap_days(value: str) -> str:
    from core.campaigns import CampaignError, parse_min_gap_setting

    try:
        return str(parse_min_gap_setting(value))
    except CampaignError as exc:
        raise SettingError(str(exc)) from None


def _referral(parse_name: str) -> Callable[[str], str]:
    """A `referrals.*` validator of core/referrals/settings.py (loaded only when used)."""

    def validate(value: str) -> str:
        from core.referrals import settings

        try:
            getattr(settings, parse_name)(value)
        except settings.ReferralSettingError as exc:
            raise SettingError(str(exc)) from None
        return value.strip()

    return validate


def _loyalty(check_name: str) -> Callable[[str], str]:
    """A `loyalty.*` validator of core/loyalty/rules.py (loaded only when used)."""

    def validate(value: str) -> str:
        from core.loyalty import rules

        try:
            return str(getattr(rules, check_name)(value))
        except rules.LoyaltyError as exc:
            raise SettingError(str(exc)) from None

    return validate


def _smtp(check_name: str) -> Callable[[str], str]:
    """A `smtp.*` validator of core/delivery/settings.py (loaded only when used)."""

    def validate(value: str) -> str:
        from core.delivery import settings

        try:
            return str(getattr(settings, check_name)(value))
        except settings.SmtpSettingError as exc:
            raise SettingError(str(exc)) from None

    return validate


def _monthly_rate(value: str) -> str:
    """A monthly discount rate for CLV: a fraction from 0 to 0.5 (0.01 is 1 % a month)."""
    try:
        rate = float(value.strip().replace(",", "."))
    except ValueError:
        raise SettingError(f"not a number: {value!r} (e.g. 0.01 for 1 % a month)") from None
    if not 0 <= rate <= 0.5:
        raise SettingError(f"{value} is outside 0 to 0.5 (a fraction: 0.01 is 1 % a month)")
    return repr(rate)


def _refit_after_days(value: str) -> str:
    """Days the store's as-of date may run ahead of the fit before an import refits."""
    from core.predict.refit import check_refit_after_days

    try:
        return check_refit_after_days(value)
    except ValueError as exc:
        raise SettingError(str(exc)) from None


@dataclass(frozen=True)
class SettingSpec:
    key: str
    help: str
    validate: Callable[[str], str]
    # Checked by `set_setting` only: what depends on more than the value (e.g. the templates).
    check_when_set: Callable[[str], None] | None = None


SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec("shop.name", "The shop's name, as customers know it.", _text),
        SettingSpec("shop.from", "Sender: 'Shop Name <hello@shop.example>'.", _mailbox),
        SettingSpec("shop.reply_to", "Where replies go (an email address).", _address),
        SettingSpec(
            "shop.postal_address",
            "Postal address printed in every email (EU law).",
            _postal_address,
        ),
        SettingSpec(
            "shop.unsubscribe_url",
            "Unsubscribe page (https); may contain {customer_id}.",
            _url(frozenset({"customer_id"})),
        ),
        SettingSpec(
            "shop.unsubscribe_mailto", "Address that unsubscribes whoever writes to it.", _address
        ),
        SettingSpec("shop.website", "The shop's website (https).", _url(frozenset())),
        SettingSpec(
            "shop.feedback_url",
            "Feedback page (https); may contain {customer_id} and {score}.",
            _url(frozenset({"customer_id", "score"})),
        ),
        SettingSpec(
            "shop.currency", "Currency of the shop's prices (ISO code, e.g. EUR).", _currency
        ),
        SettingSpec(
            "shop.default_language",
            "Language when a customer's is unknown (en, de, ...).",
            _language,
            _language_with_templates,
        ),
        SettingSpec(
            "shop.address_form",
            "informal (du, tu, je) or formal (Sie, Lei, u) in de, it, nl emails.",
            _address_form,
        ),
        SettingSpec(
            "campaigns.min_gap_days",
            "Frequency cap: days between two marketing emails to one customer (0: off).",
            _min_gap_days,
        ),
        SettingSpec(
            "referrals.bonus_points",
            "Loyalty points a referrer gets per new customer their code brought (0: none).",
            _referral("parse_bonus_points"),
        ),
        SettingSpec(
            "referrals.reward",
            "A code for the referrer per new customer: off, 10% or 5EUR (docs/referrals.md).",
            _referral("parse_reward"),
        ),
        SettingSpec(
            "referrals.reward_valid_days",
            "Days a referrer's reward code is valid from the day it is issued.",
            _referral("parse_reward_days"),
        ),
        SettingSpec(
            "referrals.friend_discount",
            "What a referral code gives the new customer: 10% or 5EUR (referral codes).",
            _referral("parse_friend_discount"),
        ),
        SettingSpec(
            "smtp.host", "Mail server that sends (send, docs/delivery.md).", _smtp("check_host")
        ),
        SettingSpec(
            "smtp.port", "Its port (default: 587 starttls, 465 tls, 25 none).", _smtp("check_port")
        ),
        SettingSpec(
            "smtp.security",
            "starttls, tls, or none (none: only to localhost).",
            _smtp("check_security"),
        ),
        SettingSpec("smtp.user", "Login name at the mail server.", _smtp("check_user")),
        SettingSpec(
            "smtp.password_file",
            "File holding the password, mode 0600 (or env RETAIN_SMTP_PASSWORD).",
            _smtp("check_password_file"),
        ),
        SettingSpec(
            "smtp.per_minute",
            "Messages sent per minute at most (default 30; 0: no limit).",
            _smtp("check_per_minute"),
        ),
        SettingSpec(
            "predict.monthly_discount_rate",
            "CLV discount per month, a fraction (0.01 = 1 %); see docs/predictions.md.",
            _monthly_rate,
        ),
        SettingSpec(
            "predict.refit_after_days",
            "An import refits once the orders run this many days past the fit (0: always).",
            _refit_after_days,
        ),
        SettingSpec(
            "loyalty.points_per_unit",
            "Points per 1.00 of an order's net value, rounded down per order (default 10).",
            _loyalty("check_points"),
        ),
        SettingSpec(
            "loyalty.bonus_2nd_order",
            "Bonus points for a customer's 2nd order (default 0).",
            _loyalty("check_points"),
        ),
        SettingSpec(
            "loyalty.bonus_5th_order",
            "Bonus points for a customer's 5th order (default 0).",
            _loyalty("check_points"),
        ),
        SettingSpec(
            "loyalty.expiry_months",
            "Points expire after this many months without an order (default off).",
            _loyalty("check_expiry_months"),
        ),
        SettingSpec(
            "loyalty.point_value",
            "Points worth 1.00 when redeemed (default 100).",
            _loyalty("check_point_value"),
        ),
        SettingSpec(
            "loyalty.tiers",
            "Tiers by net spend over 12 months: 'Bronze:0,Silver:250,Gold:1000'.",
            _loyalty("check_tiers"),
        ),
    )
}

REQUIRED = ("shop.name", "shop.from", "shop.postal_address", "shop.currency")
DEFAULTS = {
    "shop.currency": "EUR",
    "shop.default_language": "en",
    "shop.address_form": "informal",
    "campaigns.min_gap_days": "7",
    "referrals.bonus_points": "500",
    "referrals.reward": "off",
    "referrals.reward_valid_days": "90",
    "referrals.friend_discount": "10%",
    "smtp.security": "starttls",
    "smtp.per_minute": "30",
    "predict.monthly_discount_rate": "0.01",
    "predict.refit_after_days": "7",
    "loyalty.points_per_unit": "10",
    "loyalty.bonus_2nd_order": "0",
    "loyalty.bonus_5th_order": "0",
    "loyalty.expiry_months": "off",
    "loyalty.point_value": "100",
    "loyalty.tiers": "Bronze:0,Silver:250,Gold:1000",
}


def check_key(key: str) -> SettingSpec:
    spec = SPECS.get(key)
    if spec is None:
        raise SettingError(f"unknown setting {key!r}; known: {', '.join(SPECS)}")
    return spec


def validate_setting(key: str, value: str) -> str:
    """The normalised value to store, or `SettingError` naming the key."""
    spec = check_key(key)
    try:
        return spec.validate(value)
    except SettingError as exc:
        raise SettingError(f"{key}: {exc}") from None


def get_setting(store: Store, key: str) -> str | None:
    check_key(key)
    return store.get_setting(key, DEFAULTS.get(key))


def set_setting(store: Store, key: str, value: str) -> str:
    """Store `value` normalised, or refuse it (`SettingError`) and leave the old one."""
    normalised = validate_setting(key, value)
    check = SPECS[key].check_when_set
    if check is not None:
        try:
            check(normalised)
        except SettingError as exc:
            raise SettingError(f"{key}: {exc}") from None
    if key.startswith("loyalty."):
        with store.write() as conn:
            conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, normalised),
            )
            _refresh_derived(conn, key)
    else:
        store.set_setting(key, normalised)
    return normalised


def unset_setting(store: Store, key: str) -> None:
    check_key(key)
    with store.write() as conn:
        conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        _refresh_derived(conn, key)


def _refresh_derived(conn: sqlite3.Connection, key: str) -> None:
    """Recompute, in the same transaction, what is kept under a setting's value: the points
    per order day depend on the loyalty earning rules."""
    if key.startswith("loyalty."):
        from core.loyalty import refresh_points

        refresh_points(conn)


def all_settings(store: Store) -> dict[str, str | None]:
    """Every known key with its value (or default), in a stable order (the settings table
    also holds the store's own notes, which are not settings)."""
    stored = dict(store.execute("SELECT key, value FROM settings"))
    return {key: stored.get(key, DEFAULTS.get(key)) for key in SPECS}


@dataclass(frozen=True)
class ShopSettings:
    """What the composer needs, read once per composer."""

    name: str
    from_name: str
    from_address: str
    reply_to: str
    postal_address: str
    unsubscribe_url: str
    unsubscribe_mailto: str
    website: str
    feedback_url: str
    currency: str
    default_language: str
    address_form: str = "informal"
    # Stored values that no longer validate (set by an older version, or by hand), with why:
    # they count as not set, and whoever uses the settings says so.
    invalid: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def can_unsubscribe(self) -> bool:
        return bool(self.unsubscribe_url or self.unsubscribe_mailto)

    def missing(self, *, marketing: bool) -> list[str]:
        """Settings an export cannot do without, as `config set` keys."""
        missing = [
            self._why(key)
            for key, value in (
                ("shop.name", self.name),
                ("shop.from", self.from_address),
                ("shop.postal_address", self.postal_address),
            )
            if not value
        ]
        if marketing and not self.can_unsubscribe:
            missing.append(
                f"{self._why('shop.unsubscribe_url')} (or {self._why('shop.unsubscribe_mailto')})"
            )
        return missing

    def _why(self, key: str) -> str:
        reason = self.invalid.get(key)
        return f"{key} (the stored value is refused: {reason})" if reason else key


def load_shop_settings(store: Store) -> ShopSettings:
    """The shop's settings; stored values that no longer validate count as missing."""
    values = all_settings(store)
    invalid: dict[str, str] = {}

    def valid(key: str) -> str:
        raw = values.get(key)
        if raw is None or raw == "":
            return ""
        try:
            return validate_setting(key, raw)
        except SettingError as exc:
            invalid[key] = str(exc).removeprefix(f"{key}: ")
            return ""

    sender = valid("shop.from")
    from_name, from_address = parse_mailbox(sender) if sender else ("", "")
    return ShopSettings(
        name=valid("shop.name"),
        from_name=from_name,
        from_address=from_address,
        reply_to=valid("shop.reply_to"),
        postal_address=valid("shop.postal_address"),
        unsubscribe_url=valid("shop.unsubscribe_url"),
        unsubscribe_mailto=valid("shop.unsubscribe_mailto"),
        website=valid("shop.website"),
        feedback_url=valid("shop.feedback_url"),
        currency=valid("shop.currency") or DEFAULTS["shop.currency"],
        default_language=valid("shop.default_language") or DEFAULTS["shop.default_language"],
        address_form=valid("shop.address_form") or DEFAULTS["shop.address_form"],
        invalid=invalid,
    )
