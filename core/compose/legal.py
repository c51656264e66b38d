"""The lines the law asks of every draft: the postal address, and for marketing a way out."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from markupsafe import escape

from core.compose.errors import TemplateError

if TYPE_CHECKING:
    from core.compose.template_shelf import Compiled


def check_legal_lines(
    compiled: Compiled, text: str, html: str | None, shop: dict[str, Any]
) -> None:
    """Every email shows the postal address; marketing ones a way to unsubscribe (EU law)."""
    checks: list[tuple[str, list[str]]] = [
        ("the shop's postal address ({{ shop.postal_address }})", [shop["postal_address"]])
    ]
    if compiled.info.marketing:
        links = [link for link in (shop["unsubscribe_url"], shop["unsubscribe_mailto"]) if link]
        checks.append(("a way to unsubscribe ({{ shop.unsubscribe }})", links))
    for what, needles in checks:
        needles = [n for n in needles if n]
        if not needles:
            continue
        if not any(needle in text for needle in needles):
            raise TemplateError(
                f"the text must show {what}; the shared footer does this",
                template=compiled.text.name,
            )
        if html is not None and not any(_escaped(n) in html for n in needles):
            assert compiled.html is not None
            raise TemplateError(
                f"the HTML must show {what}; the shared footer does this",
                template=compiled.html.name,
            )


@lru_cache(maxsize=64)
def _escaped(text: str) -> str:
    return str(escape(text))
