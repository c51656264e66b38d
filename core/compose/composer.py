"""Turning a template and a list of customers into drafts, and saying who is left out and why.

`Composer` is what both the CLI export and the app's compose screen use: `recipients()` for
the list with exclusions, `render()` for the preview of one customer (well under 50 ms), and
`drafts()` for a bulk export (customers are read a few hundred at a time).

The list is decided from each customer's row and summary figures only, so it costs the same
for every template. The one reason that needs more, `no_recommendations` (nothing to
recommend: the customer has bought every bestseller, and no complement nor reorder reminder
is due, core/recommend), needs what they bought: it is decided where that is read anyway, when
the customer's draft is rendered (`render()`, `render_many()`), never in the list's pass.
Exact counts before drafting come from `exact_recipients()`, which decides it for the whole
list at once (`ContextLoader.nothing_to_recommend`: only those who bought every bestseller
are looked at closely, with the same rule as the drafts): the compose screen runs it once the
list is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from core.addresses import AddressError, check_address, header_text, inline_text
from core.as_of import resolve_as_of
from core.compose import context as ctx
from core.compose.context import (
    ContextLoader,
    CustomerData,
    CustomerRecord,
    Needs,
    ReorderRule,
    ShopVariables,
)
from core.compose.discount import Discount
from core.compose.drafts import Draft, FailedDraft, Recipient
from core.compose.errors import ComposeError, TemplateBudgetError, TemplateError
from core.compose.formatting import locale_for
from core.compose.legal import check_legal_lines
from core.compose.reorder import ReorderProduct
from core.compose.sandbox import make_environment, render
from core.compose.template_shelf import Compiled, TemplateShelf
from core.compose.templates import (
    TemplateInfo,
    TemplateLoader,
    TemplateRoots,
    discover,
    user_templates_dir,
)
from core.consent import address_hash, suppressed_hashes
from core.shop_settings import ShopSettings, load_shop_settings
from core.store import Store
from core.values import email_key

CHUNK = 500


class Composer(TemplateShelf):
    """Drafts for one shop. Create one per screen or export; call `refresh()` after edits."""

    def __init__(
        self,
        store: Store,
        templates_dir: Path | None = None,
        *,
        as_of: date | None = None,
        today: date | None = None,
        shop: ShopSettings | None = None,
    ) -> None:
        """`templates_dir` is the owner's folder (default: in the data folder); `shop`
        replaces the stored shop settings (used by `templates check`).

        `as_of` decides who a draft is for and what it says about them: segments, recency
        rules, figures, last orders and bestsellers count up to it (default: the store's
        as-of date, `core.as_of`, read again by `refresh()`). `today` is the day the drafts
        are written (default: the real date): discount codes expire `valid_days` after it,
        since the customer reads the mail now, whatever the date of the latest import.
        """
        self.store = store
        self._shop_override = shop
        self._as_of_given = as_of
        self.as_of = resolve_as_of(store, as_of)
        self.today = today or date.today()
        self.roots = TemplateRoots(
            user=templates_dir if templates_dir is not None else user_templates_dir()
        )
        self.min_gap_days: int | None = None
        """The frequency cap in days (0: none); None: the shop's `campaigns.min_gap_days`."""
        self.cap_ignores_campaign: int | None = None
        """A campaign being re-run: its own drafts do not count towards the cap."""
        self._templates: dict[str, TemplateInfo] = {}
        self.env = make_environment(TemplateLoader(self.roots, lambda: self._templates))
        self.loader = ContextLoader(store, self.as_of)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the shop settings, the template folders (files are re-read when changed)
        and the bestsellers."""
        self.shop: ShopSettings = self._shop_override or load_shop_settings(self.store)
        self.shop_vars = ShopVariables(self.shop)
        self._shop_base = self.shop_vars.base()  # the same for every draft
        self._templates = discover(self.roots)
        self._compiled: dict[tuple[str, str, str], Compiled] = {}
        self._discount_cache: dict[tuple[Discount, str, str], Any] = {}
        # Orders imported meanwhile move the as-of date and the bestsellers.
        self.as_of = self.loader.as_of = resolve_as_of(self.store, self._as_of_given)
        self.loader.forget()

    def read_reorder_evidence(
        self, info: TemplateInfo
    ) -> dict[ReorderRule, dict[str, ReorderProduct]] | None:
        """The reorder evidence `info` prints (`reorder`), read now; None if it prints none."""
        uses = False
        for lang in info.languages:
            with suppress(ComposeError, TemplateError):
                uses = uses or self.compiled(info, lang).uses("reorder")
        if not uses:
            return None
        rule = reorder_rule(info)
        return {rule: self.loader.reorder_products(rule)}

    # -- recipients --------------------------------------------------------------------------

    def recipients(
        self,
        customer_ids: Sequence[int],
        template: str,
        lang: str | None = None,
        discount: Discount | None = None,
    ) -> list[Recipient]:
        """Everyone in `customer_ids` (in order), each included or excluded with a reason
        (`no_recommendations` is not known yet: see the module's docstring)."""
        return [r for chunk in self.recipient_chunks(customer_ids, template, lang) for r in chunk]

    def recipient_chunks(
        self,
        customer_ids: Sequence[int],
        template: str,
        lang: str | None = None,
        *,
        first: int = CHUNK,
    ) -> Iterator[list[Recipient]]:
        """`recipients()` a chunk at a time, the first one `first` long: a screen shows the
        first recipients while the rest of a large list is still being read.

        Raises `ComposeError` (unknown template or language) before the first chunk.
        """
        info = self.template(template)
        if lang:
            self.choose_language(info, None, lang)
        return self._recipient_chunks(info, customer_ids, lang, first)

    def _recipient_chunks(
        self, info: TemplateInfo, customer_ids: Sequence[int], lang: str | None, first: int
    ) -> Iterator[list[Recipient]]:
        seen: set[str] = set()
        suppressed = suppressed_hashes(self.store.conn) if info.marketing else set()
        contacted = self.contacted_recently() if info.marketing else set()
        rest = customer_ids[first:]
        for chunk in (customer_ids[:first], *_chunks(rest, CHUNK)):
            if not chunk:
                continue
            records = self.loader.records(chunk)
            out: list[Recipient] = []
            for cid in chunk:
                record = records.get(cid)
                if record is None:
                    out.append(Recipient(cid, "", "", None, "unknown"))
                    continue
                out.append(self._recipient(info, record, seen, suppressed, contacted, lang))
            yield out

    def _recipient(
        self,
        info: TemplateInfo,
        record: CustomerRecord,
        seen: set[str],
        suppressed: set[str],
        contacted: set[int],
        lang: str | None,
    ) -> Recipient:
        name = f"{inline_text(record.first_name)} {inline_text(record.last_name)}".strip()
        language = self.choose_language(info, record, lang)
        address, reason = self._exclusion(info, record, seen, suppressed, contacted)
        return Recipient(record.id, name, address, language, reason)

    def contacted_recently(self, customer: int | None = None) -> set[int]:
        """Customers drafted a marketing email within the frequency cap (core/campaigns)."""
        from core.campaigns.records import contacted_since, shop_min_gap_days

        days = self.min_gap_days
        if days is None:
            days = shop_min_gap_days(self.store)
        return contacted_since(
            self.store.conn, days, exclude_campaign=self.cap_ignores_campaign, customer=customer
        )

    def _exclusion(
        self,
        info: TemplateInfo,
        record: CustomerRecord,
        seen: set[str],
        suppressed: set[str],
        contacted: set[int],
    ) -> tuple[str, str | None]:
        """The reasons decided from the customer's row and figures (the whole list's pass).
        `suppressed` holds the suppression list's hashes (core/consent.py) for a marketing
        template: such an address gets no marketing draft even with a stored yes (a database
        edited by hand or by an older version); a stored no is said as `no_consent`.
        `contacted` holds who is under the frequency cap (empty for transactional mail)."""
        if not record.email or not record.email.strip():
            return "", "no_email"
        try:
            address = check_address(record.email)
        except AddressError:
            return inline_text(record.email), "bad_email"
        if info.marketing and record.accepts_marketing != 1:
            return address, "no_consent"
        key = email_key(address) or address
        if info.marketing and address_hash(key) in suppressed:
            return address, "suppressed"  # a stored yes the suppression list overrides
        if key in seen:
            return address, "duplicate"
        days = record.days_since_last_order(self.as_of)
        if "last_order" in info.needs and days is None:
            return address, "no_order"
        if info.min_days_since_last_order is not None and (
            days is not None and days < info.min_days_since_last_order
        ):
            return address, "ordered_recently"
        if info.max_days_since_last_order is not None and (
            days is None or days > info.max_days_since_last_order
        ):
            return address, "order_too_old" if days is not None else "no_order"
        if info.nps_answer is not None and self._latest_answer(record.id) != info.nps_answer:
            return address, "nps_answer"
        if record.id in contacted:
            return address, "contacted_recently"
        seen.add(key)
        return address, None

    def _latest_answer(self, customer_id: int) -> str | None:
        """The kind of the customer's latest NPS answer up to the as-of date (one probe of
        `responses_by_customer`), None without one: a template that thanks for a score is
        only for those who gave it."""
        from core.nps.figures import category, latest_score_sql

        score = self.store.scalar(
            f"SELECT {latest_score_sql()} FROM customers AS c WHERE c.id = ?",
            (self.as_of.toordinal(), customer_id),
        )
        return category(None if score is None else int(score))  # type: ignore[call-overload]

    def nothing_to_recommend(self, customer_ids: Sequence[int]) -> set[int]:
        """Those of `customer_ids` with nothing to recommend (core/recommend), found for the
        whole list at once: `render()` and `drafts()` leave them out (`no_recommendations`)
        when a template needs recommendations."""
        return self.loader.nothing_to_recommend(customer_ids)

    def exact_recipients(self, recipients: Sequence[Recipient], template: str) -> list[Recipient]:
        """`recipients()` with `no_recommendations` decided for everyone included, as drafting
        would decide it one by one: exact counts before any draft is made, for the price of
        one pass over the order lines (see the module's docstring)."""
        info = self.template(template)
        if "recommendations" not in info.needs:
            return list(recipients)
        nothing = self.nothing_to_recommend([r.customer_id for r in recipients if r.included])
        left_out = "no_recommendations"
        return [
            replace(r, reason=left_out) if r.included and r.customer_id in nothing else r
            for r in recipients
        ]

    @staticmethod
    def _exclusion_by_data(info: TemplateInfo, data: CustomerData) -> str | None:
        """The reason decided when the customer's draft data is read: nothing to recommend."""
        if "recommendations" in info.needs and not data.recommendations:
            return "no_recommendations"
        return None

    # -- rendering ---------------------------------------------------------------------------

    def render(
        self,
        customer_id: int,
        template: str,
        lang: str | None = None,
        discount: Discount | None = None,
        sources: dict[str, str] | None = None,
    ) -> Draft:
        """The draft for one customer, as the compose screen previews it.

        Excluded customers are rendered too (`Draft.excluded` says why they would be left
        out). `sources` maps "subject"/"text"/"html" to template text being edited.
        Raises `TemplateError` (file, line, message) or `ComposeError`.
        """
        info = self.template(template)
        records = self.loader.records([customer_id])
        record = records.get(customer_id)
        if record is None:
            raise ComposeError(f"no customer with id {customer_id}")
        language = self.choose_language(info, record, lang)
        compiled = self.compiled(info, language, sources)
        needs = compiled.needs
        if "recommendations" in info.needs:
            needs = replace(needs, recommendations=True)
        data = self.loader.load([record], needs, reorder_rule(info))[customer_id]
        suppressed = suppressed_hashes(self.store.conn) if info.marketing else set()
        contacted = self.contacted_recently(record.id) if info.marketing else set()
        _, reason = self._exclusion(info, record, set(), suppressed, contacted)
        reason = reason or self._exclusion_by_data(info, data)
        return self.render_data(compiled, data, discount, excluded=reason)

    def drafts(
        self,
        customer_ids: Sequence[int],
        template: str,
        lang: str | None = None,
        discount: Discount | None = None,
    ) -> Iterator[Draft | Recipient | FailedDraft]:
        """A Draft for each included customer, the Recipient for each excluded one (also
        those found to have nothing to recommend as their draft is made) and a FailedDraft
        for each that did not render, in the order of `customer_ids`.

        Raises `ComposeError` before the first item if the export cannot be made at all.
        """
        self.prepare(template, lang, discount)
        plan = self.recipients(customer_ids, template, lang, discount)
        return self._merge(plan, template, discount)

    def prepare(self, template: str, lang: str | None, discount: Discount | None) -> TemplateInfo:
        """Everything that must hold before drafting starts (template, settings, language)."""
        info = self.template(template)
        self.check_ready(info, discount)
        if lang:
            self.choose_language(info, None, lang)
        return info

    def _merge(
        self, plan: list[Recipient], template: str, discount: Discount | None
    ) -> Iterator[Draft | Recipient | FailedDraft]:
        for chunk in _chunks(plan, CHUNK):
            included = [recipient for recipient in chunk if recipient.included]
            rendered = iter(self.render_many(template, included, discount))
            for recipient in chunk:
                yield next(rendered) if recipient.included else recipient

    def render_many(
        self, template: str, recipients: Sequence[Recipient], discount: Discount | None
    ) -> Iterator[Draft | FailedDraft | Recipient]:
        """Drafts for recipients `recipients()` included, in order, read in chunks; the
        Recipient with its reason for one left out only now (`no_recommendations`)."""
        info = self.template(template)
        # Files do not change mid-export: skip the per-include freshness check (a stat).
        reload, self.env.auto_reload = self.env.auto_reload, False
        try:
            for chunk in _chunks(recipients, CHUNK):
                yield from self._render_chunk(info, chunk, discount)
        finally:
            self.env.auto_reload = reload

    def _render_chunk(
        self, info: TemplateInfo, chunk: Sequence[Recipient], discount: Discount | None
    ) -> Iterator[Draft | FailedDraft | Recipient]:
        records = self.loader.records([recipient.customer_id for recipient in chunk])
        compiled: dict[str, Compiled | TemplateError] = {}
        # Recommendations decide who is left out, even if the text never prints them.
        needs = Needs(
            orders=0,
            recommendations="recommendations" in info.needs,
            segments=False,
            reorder=False,
        )
        for lang in {recipient.language or "" for recipient in chunk}:
            try:
                compiled[lang] = parts = self.compiled(info, lang)
                needs = needs | parts.needs
            except (TemplateError, ComposeError) as exc:
                compiled[lang] = exc if isinstance(exc, TemplateError) else TemplateError(str(exc))
        data = self.loader.load(list(records.values()), needs, reorder_rule(info))
        for recipient in chunk:
            cid = recipient.customer_id
            parts = compiled[recipient.language or ""]
            if cid not in data:
                yield FailedDraft(cid, TemplateError(f"customer {cid} no longer exists"))
            elif reason := self._exclusion_by_data(info, data[cid]):
                yield replace(recipient, reason=reason)
            elif isinstance(parts, TemplateError):
                yield FailedDraft(cid, parts)
            else:
                try:
                    yield self.render_data(parts, data[cid], discount, code=recipient.discount_code)
                except TemplateBudgetError:
                    raise  # the same for every customer: stop, do not wait 2 s for each
                except TemplateError as exc:
                    yield FailedDraft(cid, exc)

    def render_data(
        self,
        compiled: Compiled,
        data: CustomerData,
        discount: Discount | None,
        *,
        excluded: str | None = None,
        extra: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> Draft:
        """Render one customer's data (from the store, or the worst case in `check`);
        `code` is the customer's own discount code (`discount.code` in the template)."""
        info, lang = compiled.info, compiled.lang
        record = data.record
        locale = locale_for(lang, record.country)
        variables = self.variables(compiled, data, discount, locale)
        if code is not None and variables["discount"] is not None:
            variables["discount"] = ctx.with_code(variables["discount"], code)
        if extra:
            variables.update(extra)
        subject = header_text(render(compiled.subject, variables))
        if not subject:
            raise TemplateError("the subject is empty", template=compiled.subject.name)
        text = render(compiled.text, variables)
        html = render(compiled.html, variables) if compiled.html is not None else None
        shop = variables["shop"]
        check_legal_lines(compiled, text, html, shop)
        customer = variables["customer"]
        address = ""
        if record.email:
            try:
                address = check_address(record.email)
            except AddressError:
                address = ""
        return Draft(
            customer_id=record.id,
            template=info.name,
            kind=info.kind,
            language=lang,
            locale=locale,
            to_name=customer["name"],
            to_address=address,
            subject=subject,
            text=text,
            html=html,
            from_name=self.shop.from_name or self.shop.name,
            from_address=self.shop.from_address,
            reply_to=self.shop.reply_to,
            # The code the email shows: none from a template that never prints one.
            discount_code=variables["discount"]["code"]
            if variables["discount"] and compiled.uses("discount")
            else None,
            unsubscribe_url=shop["unsubscribe_url"],
            unsubscribe_mailto=self.shop_vars.unsubscribe_mailto_uri(),
            excluded=excluded,
            first_name=customer["first_name"],
            last_name=customer["last_name"],
        )

    def variables(
        self, compiled: Compiled, data: CustomerData, discount: Discount | None, locale: str
    ) -> dict[str, Any]:
        """Every documented template variable for one customer (see docs/templates.md)."""
        info, lang = compiled.info, compiled.lang
        currency = self.shop.currency
        record = data.record
        recent = data.orders if compiled.uses("orders") else data.orders[:1]
        orders = [ctx.order_variables(order, currency, locale) for order in recent]
        variables: dict[str, Any] = {
            "customer": ctx.customer_variables(
                data,
                locale=locale,
                currency=currency,
                as_of=self.as_of,
                fetch_segment_fields=lambda: self.loader.segment_fields(record.id),
            ),
            "last_order": orders[0] if orders else None,
            "orders": orders,
            "shop": self.shop_vars.for_customer(self._shop_base, record.id),
            "discount": None if discount is None else self._discount(discount, info, locale),
            "recommendations": [
                ctx.product_variables(product, currency, locale) for product in data.recommendations
            ],
            "reorder": ctx.reorder_variables(data.reorder),
            "template": ctx.template_variables(info, lang),
            "lang": lang,
            "locale": locale,
            "today": self.today,
            "address_form": compiled.form,
        }
        if compiled.uses("feedback"):
            variables["feedback"] = self.shop_vars.feedback(record.id, lang)
        return variables

    def _discount(self, discount: Discount, info: TemplateInfo, locale: str) -> Any:
        """The `discount` variables: the same for every customer with the same locale."""
        key = (discount, info.name, locale)
        cache = self._discount_cache
        if key not in cache:
            cache[key] = ctx.discount_variables(
                discount, template=info.name, locale=locale, today=self.today
            )
        return cache[key]


def reorder_rule(info: TemplateInfo) -> ReorderRule:
    """The template's thresholds for suggesting a reorder (template.toml)."""
    return (info.reorder_min_percent, info.reorder_min_buyers)


def _chunks(ids: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
