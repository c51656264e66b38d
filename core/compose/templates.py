"""Finding email templates: the shipped ones plus the owner's own folder, which wins.

Layout of a template folder `<root>/<name>/`:

    template.toml          kind = "transactional" | "marketing", description, needs, requires
    <lang>.subject.txt     the subject line (one line)
    <lang>.txt             the plain-text body
    <lang>.html            the HTML body (optional for the owner's templates)
    <lang>.formal.*        the same parts in the formal address (Sie, Lei, u), optional

A language's formal files, when there are any, must be the same parts as its informal ones:
with `shop.address_form = formal` a draft uses them, and a language without them (en, nb)
is written with its informal files.

Folders whose names start with `_` hold shared pieces (`_shared/footer.de.txt`) that templates
include; the owner's `_shared` files win file by file. A template folder in the owner's
folder replaces the shipped template of the same name as a whole, so a half-edited copy never
mixes with shipped files.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import BaseLoader, Environment, TemplateNotFound
from jinja2.loaders import split_template_path

from core.paths import data_dir, shipped_dir

KINDS = ("transactional", "marketing")
PARTS = {"subject": "subject.txt", "text": "txt", "html": "html"}
# Data a template can need from each recipient; a recipient without it is excluded.
RECIPIENT_NEEDS = {"last_order", "recommendations"}
# Needs satisfied by the export as a whole (an attached discount).
EXPORT_NEEDS = {"discount"}
# Features of retain-tui a template may require, and those this version has.
AVAILABLE_FEATURES: frozenset[str] = frozenset({"loyalty"})
KNOWN_FEATURES = {"loyalty"}
INFORMAL, FORMAL = "informal", "formal"
"""The address forms (`shop.address_form`); formal files are `<lang>.formal.<part>`."""

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_FILE = re.compile(r"(?P<lang>[a-z]{2,3})(?P<formal>\.formal)?\.(?P<part>subject\.txt|txt|html)")
_TOML_KEYS = {
    "kind", "description", "needs", "requires",
    "min_days_since_last_order", "max_days_since_last_order",
    "discount", "reorder_min_percent", "reorder_min_buyers", "nps_answer",
}  # fmt: skip
NPS_ANSWERS = ("detractor", "passive", "promoter")
"""`nps_answer` in template.toml: only customers whose latest NPS answer (up to the as-of
date) is of this kind get the email (core/nps/figures.py `category`)."""
DISCOUNT_POLICIES = ("required", "optional", "refused")
"""`discount` in template.toml: the template needs one, shows one if attached, or refuses one.
Without the key: required if `needs` has "discount", else whether the files use `discount`."""


def user_templates_dir() -> Path:
    """Where the owner's own templates live unless `--templates DIR` says otherwise."""
    return data_dir() / "templates"


@dataclass(frozen=True)
class TemplateInfo:
    """One template as the app lists it; `problems` non-empty means it cannot be used."""

    name: str
    kind: str
    description: str
    languages: tuple[str, ...]
    folder: Path
    source: str  # "shipped" or "user"
    overrides_shipped: bool = False
    needs: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    min_days_since_last_order: int | None = None
    max_days_since_last_order: int | None = None
    html_languages: tuple[str, ...] = ()
    formal_languages: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    discount: str | None = None  # one of DISCOUNT_POLICIES, None: decided by the files
    reorder_min_percent: int = 20
    reorder_min_buyers: int = 10
    nps_answer: str | None = None  # one of NPS_ANSWERS: the recipients' latest answer's kind

    @property
    def marketing(self) -> bool:
        return self.kind == "marketing"

    @property
    def missing_features(self) -> tuple[str, ...]:
        return tuple(f for f in self.requires if f not in AVAILABLE_FEATURES)

    @property
    def available(self) -> bool:
        """Offered in the app and exportable: well-formed and every required feature exists."""
        return not self.problems and not self.missing_features

    @property
    def status(self) -> str:
        if self.problems:
            return "broken: " + "; ".join(self.problems)
        if self.missing_features:
            return "unavailable: needs " + ", ".join(self.missing_features)
        return "ready"

    def form_for(self, lang: str, address_form: str) -> str:
        """The form a draft in `lang` is written in: formal only where formal files exist."""
        return FORMAL if address_form == FORMAL and lang in self.formal_languages else INFORMAL

    def file(self, lang: str, part: str, form: str = INFORMAL) -> str | None:
        """The loader name of one part (`thank-you/de.txt`, `thank-you/de.formal.txt` for
        the formal form), or None if it does not exist."""
        if part == "html" and lang not in self.html_languages:
            return None
        if lang not in self.languages:
            return None
        infix = ".formal" if self.form_for(lang, form) == FORMAL else ""
        return f"{self.name}/{lang}{infix}.{PARTS[part]}"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "languages": list(self.languages),
            "formal_languages": list(self.formal_languages),
            "source": self.source,
            "folder": str(self.folder),
            "overrides_shipped": self.overrides_shipped,
            "needs": list(self.needs),
            "requires": list(self.requires),
            "min_days_since_last_order": self.min_days_since_last_order,
            "max_days_since_last_order": self.max_days_since_last_order,
            "discount": self.discount,
            "nps_answer": self.nps_answer,
            "available": self.available,
            "status": self.status,
        }


@dataclass
class TemplateRoots:
    """The folders templates come from, the owner's first."""

    user: Path | None
    shipped: Path | None = field(default_factory=lambda: _shipped_or_none())

    @property
    def ordered(self) -> list[Path]:
        return [root for root in (self.user, self.shipped) if root is not None and root.is_dir()]


def _shipped_or_none() -> Path | None:
    try:
        return shipped_dir("templates")
    except FileNotFoundError:
        return None


def discover(roots: TemplateRoots) -> dict[str, TemplateInfo]:
    """Every template by name, the owner's folder replacing shipped ones of the same name."""
    found: dict[str, TemplateInfo] = {}
    for root in reversed(roots.ordered):  # shipped first, so the owner's replace them
        source = "user" if root == roots.user else "shipped"
        for folder in sorted(root.iterdir()):
            if not folder.is_dir() or folder.name.startswith(("_", ".")):
                continue
            info = read_template(folder, source)
            if info.name in found and source == "user":
                info = _replace(info, overrides_shipped=True)
            found[info.name] = info
    return dict(sorted(found.items()))


def list_templates(templates_dir: Path | None = None) -> list[TemplateInfo]:
    """Shipped and owner templates, sorted by name (unavailable ones included, see status)."""
    user = templates_dir if templates_dir is not None else user_templates_dir()
    return list(discover(TemplateRoots(user=user)).values())


def _replace(info: TemplateInfo, **changes: object) -> TemplateInfo:
    from dataclasses import replace

    return replace(info, **changes)  # type: ignore[arg-type]


def read_template(folder: Path, source: str) -> TemplateInfo:
    """Read `template.toml` and the language files of one folder; problems are collected."""
    problems: list[str] = []
    name = folder.name
    if not _NAME.fullmatch(name):
        problems.append(f"folder name {name!r}: use lowercase letters, digits, - and _")
    meta = _read_meta(folder / "template.toml", problems)
    parts: dict[str, set[str]] = {}
    formal_parts: dict[str, set[str]] = {}
    for file in folder.iterdir():
        match = _FILE.fullmatch(file.name)
        if match and file.is_file():
            found = formal_parts if match["formal"] else parts
            found.setdefault(match["lang"], set()).add(match["part"])
    languages = tuple(sorted(lang for lang, got in parts.items() if {"subject.txt", "txt"} <= got))
    for lang, got in sorted(parts.items()):
        if lang not in languages:
            lacking = sorted({"subject.txt", "txt"} - got)
            problems.append(f"{lang}: missing {', '.join(f'{lang}.{p}' for p in lacking)}")
    formal_languages = _formal_languages(parts, formal_parts, languages, problems)
    if not languages and not problems:
        problems.append("no language files (e.g. en.subject.txt and en.txt)")
    kind = meta.get("kind", "")
    if kind not in KINDS:
        problems.append(f"template.toml: kind must be transactional or marketing, not {kind!r}")
    needs = _string_list(meta, "needs", RECIPIENT_NEEDS | EXPORT_NEEDS, problems)
    requires = _string_list(meta, "requires", KNOWN_FEATURES, problems)
    min_days = _days(meta, "min_days_since_last_order", problems)
    max_days = _days(meta, "max_days_since_last_order", problems)
    if min_days is not None and max_days is not None and min_days > max_days:
        problems.append(
            f"template.toml: min_days_since_last_order ({min_days}) is more than "
            f"max_days_since_last_order ({max_days}): nobody could get this email"
        )
    discount = meta.get("discount")
    if discount is not None and discount not in DISCOUNT_POLICIES:
        problems.append(f"template.toml: discount must be {', '.join(DISCOUNT_POLICIES)}")
        discount = None
    if "discount" in needs:
        if discount not in (None, "required"):
            problems.append(f'template.toml: needs "discount" but discount = {discount!r}')
        discount = "required"
    nps_answer = meta.get("nps_answer")
    if nps_answer is not None and nps_answer not in NPS_ANSWERS:
        problems.append(f"template.toml: nps_answer must be {', '.join(NPS_ANSWERS)}")
        nps_answer = None
    percent = _bounded(meta, "reorder_min_percent", 0, 100, 20, problems)
    buyers = _bounded(meta, "reorder_min_buyers", 1, 1_000_000, 10, problems)
    return TemplateInfo(
        name=name,
        kind=kind if kind in KINDS else "marketing",
        description=str(meta.get("description", "")),
        languages=languages,
        folder=folder,
        source=source,
        needs=tuple(needs),
        requires=tuple(requires),
        min_days_since_last_order=min_days,
        max_days_since_last_order=max_days,
        html_languages=tuple(lang for lang in languages if "html" in parts[lang]),
        formal_languages=formal_languages,
        problems=tuple(problems),
        discount=discount if isinstance(discount, str) else None,
        reorder_min_percent=percent,
        reorder_min_buyers=buyers,
        nps_answer=nps_answer if isinstance(nps_answer, str) else None,
    )


def _formal_languages(
    parts: dict[str, set[str]],
    formal_parts: dict[str, set[str]],
    languages: tuple[str, ...],
    problems: list[str],
) -> tuple[str, ...]:
    """Languages whose formal files are complete: the same parts as the informal ones, so a
    formal draft never mixes a formal subject with an informal body."""
    complete = []
    for lang, got in sorted(formal_parts.items()):
        if lang not in languages:
            problems.append(
                f"{lang}: formal files without the informal ones ({lang}.subject.txt, {lang}.txt)"
            )
            continue
        lacking = sorted(parts[lang] - got)
        extra = sorted(got - parts[lang])
        if lacking:
            names = ", ".join(f"{lang}.formal.{p}" for p in lacking)
            problems.append(f"{lang}: the formal variant lacks {names}")
        elif extra:
            names = ", ".join(f"{lang}.formal.{p}" for p in extra)
            problems.append(f"{lang}: {names} has no informal {lang}.{extra[0]} beside it")
        else:
            complete.append(lang)
    return tuple(complete)


def _read_meta(path: Path, problems: list[str]) -> dict[str, object]:
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append("template.toml is missing (it says kind = transactional or marketing)")
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        problems.append(f"template.toml: {exc}")
        return {}
    unknown = sorted(set(meta) - _TOML_KEYS)
    if unknown:
        problems.append(f"template.toml: unknown key {unknown[0]!r}")
    return meta


def _string_list(
    meta: dict[str, object], key: str, allowed: set[str], problems: list[str]
) -> list[str]:
    value = meta.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"template.toml: {key} must be a list of names")
        return []
    unknown = [v for v in value if v not in allowed]
    if unknown:
        problems.append(
            f"template.toml: {key}: unknown {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
        )
    return [v for v in value if v in allowed]


def _days(meta: dict[str, object], key: str, problems: list[str]) -> int | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
        problems.append(f"template.toml: {key} must be a number of days (0-3650)")
        return None
    return value


def _bounded(
    meta: dict[str, object], key: str, low: int, high: int, default: int, problems: list[str]
) -> int:
    value = meta.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"template.toml: {key} must be a whole number from {low} to {high}")
        return default
    return value


class TemplateLoader(BaseLoader):
    """Loads `<template>/<file>` from that template's folder and `_shared/...` from the roots.

    Owners editing a file see the change on the next render (the source's mtime is checked).
    """

    def __init__(self, roots: TemplateRoots, templates: Callable[[], dict[str, TemplateInfo]]):
        self.roots = roots
        self.templates = templates

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses '..' and absolute paths
        if len(pieces) < 2:
            raise TemplateNotFound(template)
        head, rest = pieces[0], pieces[1:]
        if head.startswith("_"):
            candidates = [root.joinpath(head, *rest) for root in self.roots.ordered]
        else:
            info = self.templates().get(head)
            candidates = [info.folder.joinpath(*rest)] if info else []
        for path in candidates:
            if path.is_file():
                return _read_source(path, template)
        raise TemplateNotFound(template)


def _read_source(path: Path, name: str) -> tuple[str, str, Callable[[], bool]]:
    try:
        mtime = path.stat().st_mtime_ns
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        from core.compose.errors import TemplateError

        raise TemplateError(f"not UTF-8 text ({exc.reason})", template=name) from None
    except OSError:
        raise TemplateNotFound(name) from None

    def uptodate() -> bool:
        try:
            return path.stat().st_mtime_ns == mtime
        except OSError:
            return False

    return source, str(path), uptodate
