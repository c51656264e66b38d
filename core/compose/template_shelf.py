"""Which templates a shop has, whether one can be used now, in which language, compiled.

`Composer` extends `TemplateShelf`: this half knows templates and languages, the other
half (composer.py) customers and drafts.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jinja2 import Template

from core.compose.context import ContextLoader, CustomerRecord, Needs
from core.compose.discount import Discount
from core.compose.errors import ComposeError, TemplateError
from core.compose.sandbox import DraftEnvironment, load, used_variables
from core.compose.templates import FORMAL, PARTS, TemplateInfo
from core.values import language_for_country

if TYPE_CHECKING:
    from core.shop_settings import ShopSettings


@dataclass
class Compiled:
    """A template's parts for one language and address form, compiled once per export."""

    info: TemplateInfo
    lang: str
    subject: Template
    text: Template
    html: Template | None
    needs: Needs
    used: set[str] | None = field(default=None)
    form: str = "informal"  # the form the files are written in (`address_form`)

    def uses(self, name: str) -> bool:
        return self.used is None or name in self.used


class TemplateShelf:
    """The template half of `Composer`: its attributes are set by `Composer.__init__` and
    `Composer.refresh()`."""

    shop: ShopSettings
    env: DraftEnvironment
    loader: ContextLoader
    _templates: dict[str, TemplateInfo]
    _compiled: dict[tuple[str, str, str], Compiled]

    def templates(self, *, available_only: bool = False) -> list[TemplateInfo]:
        infos = list(self._templates.values())
        return [info for info in infos if info.available] if available_only else infos

    def template(self, name: str) -> TemplateInfo:
        """A template that can be used now, or a `ComposeError` that says why not."""
        info = self._templates.get(name)
        if info is None:
            known = ", ".join(i.name for i in self.templates(available_only=True)) or "none"
            raise ComposeError(f"no template named {name!r} (available: {known})")
        if info.problems:
            raise ComposeError(f"template {name!r} cannot be used: {'; '.join(info.problems)}")
        if info.missing_features:
            raise ComposeError(
                f"template {name!r} needs {', '.join(info.missing_features)}, "
                "which this version of retain-tui does not have yet"
            )
        return info

    def check_ready(self, info: TemplateInfo, discount: Discount | None) -> None:
        """Refuse before drafting anything: settings the law or mail clients need, a discount."""
        missing = self.shop.missing(marketing=info.marketing)
        if missing:
            raise ComposeError(
                f"{info.kind} emails need these shop settings: {', '.join(missing)} "
                f"(set them with: retain-tui config set KEY VALUE)"
            )
        if "discount" in info.needs and discount is None:
            raise ComposeError(
                f"template {info.name!r} offers a discount: add --discount 10% (or an amount "
                f"such as 5{self.shop.currency}) and --valid-days"
            )
        if discount is not None and (why := self.refuses_discount(info)):
            raise ComposeError(f"{why}: export without --discount")

    def refuses_discount(self, info: TemplateInfo) -> str | None:
        """Why `info` takes no discount, or None: a discount is shown or refused, never
        silently dropped. Refused when template.toml says `discount = "refused"`, or when the
        files of a language never use `discount` (an owner's template, too)."""
        if info.discount == "refused":
            return f"template {info.name!r} takes no discount (template.toml: discount = refused)"
        silent = [lang for lang in info.languages if not self._shows_discount(info, lang)]
        if silent:
            return (
                f"template {info.name!r} never shows a discount in {', '.join(silent)} "
                "(its files do not use {{ discount }})"
            )
        return None

    def _shows_discount(self, info: TemplateInfo, lang: str) -> bool:
        try:
            return self.compiled(info, lang).uses("discount")
        except (ComposeError, TemplateError):
            return True  # a broken file is reported when it is used

    def choose_language(
        self, info: TemplateInfo, record: CustomerRecord | None, lang: str | None = None
    ) -> str:
        """The customer's language if the template has it, else their country's, else the
        shop's default; `lang` overrides all of these."""
        if lang:
            if lang not in info.languages:
                raise ComposeError(
                    f"template {info.name!r} has no {lang!r} version "
                    f"(it has {', '.join(info.languages)})"
                )
            return lang
        candidates = (
            record.language if record else None,
            language_for_country(record.country) if record else None,
            self.shop.default_language,
            "en",
        )
        for candidate in candidates:
            if candidate and candidate in info.languages:
                return candidate
        return info.languages[0]

    def compiled(
        self,
        info: TemplateInfo,
        lang: str,
        sources: dict[str, str] | None = None,
        *,
        address_form: str | None = None,
    ) -> Compiled:
        """Subject, text and HTML of one language, compiled (`sources` overrides files), in
        the shop's address form (or `address_form`) where the language has formal files."""
        if lang not in info.languages and not (sources and {"subject", "text"} <= set(sources)):
            raise ComposeError(f"template {info.name!r} has no {lang!r} version")
        form = info.form_for(lang, address_form or self.shop.address_form)
        key = (info.name, lang, form)
        if not sources and key in self._compiled:
            return self._compiled[key]
        names = {part: info.file(lang, part, form) for part in ("subject", "text", "html")}
        sources = sources or {}

        def part(name: str) -> Template | None:
            file = names[name]
            if file is None and name in sources:
                infix = ".formal" if form == FORMAL else ""
                file = f"{info.name}/{lang}{infix}.{PARTS[name]}"
            if file is None:
                return None
            return load(self.env, file, sources.get(name))

        subject, text, html = part("subject"), part("text"), part("html")
        assert subject is not None and text is not None
        used = None if sources else used_variables(self.env, [n for n in names.values() if n])
        compiled = Compiled(info, lang, subject, text, html, Needs.from_used(used), used, form)
        if not sources:
            self._compiled[key] = compiled
        return compiled

    def warm(self, template: str | None = None) -> None:
        """Compile templates (all available ones, or one) in every language, and read the
        bestsellers if a template needs them: what makes a first preview slow (~40 ms).
        The app can call this in a worker when the compose screen opens."""
        infos = [self.template(template)] if template else self.templates(available_only=True)
        for info in infos:
            for lang in info.languages:
                with suppress(ComposeError):  # a broken file is reported when it is used
                    self.compiled(info, lang)
            if "recommendations" in info.needs:
                self.loader.recommender().warm()
