"""The Jinja2 environment templates run in: sandboxed, strict, with filters for shop owners.

Templates may come from anywhere (a colleague, a forum post), so they run in Jinja's
immutable sandbox: no `''.__class__`, no `|attr('__globals__')`, no mutating the data.
`StrictUndefined` turns a typo such as `{{ customer.fist_name }}` into an error naming the
field, the template and the line, instead of an email that says "Dear ,".
"""

from __future__ import annotations

import difflib
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from contextlib import suppress
from typing import Any

from jinja2 import (
    FileSystemBytecodeCache,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
    pass_context,
)
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.meta import find_referenced_templates, find_undeclared_variables
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from core.compose import formatting
from core.compose.errors import TemplateBudgetError, TemplateError
from core.compose.templates import TemplateLoader

# Documented top-level variables (docs/templates.md), for "did you mean" hints.
VARIABLES = (
    "customer", "last_order", "orders", "shop", "discount", "recommendations", "reorder",
    "feedback", "template", "lang", "locale", "today", "loyalty", "address_form",
)  # fmt: skip
# Customer fields that come from the segments engine (loaded only when a template uses them).
SEGMENT_FIELDS = frozenset({"r", "f", "m", "rfm_segment", "segments"})
# Jinja built-ins that reach outside the data (`attr` is sandboxed too, but has no use here).
_REMOVED_FILTERS = ("attr",)
RENDER_SECONDS = 2.0
"""Time one part of one draft may take: a real one takes well under 10 ms."""
RENDER_CHARACTERS = 1_000_000
"""Text one part of one draft may produce (and the most one `*` in a template may make)."""
COMPILED_AS = "budget1"
"""Names how `DraftEnvironment._generate` compiles: part of the bytecode cache's file names."""
_budget = threading.local()  # this thread's render deadline (renders run in several threads)


class _OverBudget(Exception):
    """A render ran past its time or size budget (turned into `TemplateBudgetError`)."""


def _check_time() -> None:
    deadline = getattr(_budget, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise _OverBudget(
            f"took longer than {RENDER_SECONDS:g} s to render one draft "
            "(a loop that does not end?); nothing was rendered"
        )


def _check_size(size: int) -> None:
    if size > RENDER_CHARACTERS:
        raise _OverBudget(
            f"makes more than {RENDER_CHARACTERS:,} characters for one draft "
            "(a loop that does not end?); nothing was rendered"
        )


def _budgeted(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every `{% for %}` iterates through this: nested loops cannot run without end."""
    for item in iterable:
        _check_time()
        yield item


class Namespace(dict[str, Any]):
    """A group of template variables (`customer`, `shop`, an order) that names itself in errors."""

    __slots__ = ("_label",)

    def __init__(self, label: str, *args: Any, **fields: Any) -> None:
        super().__init__(*args, **fields)
        self._label = label


class LazyNamespace(Namespace):
    """A Namespace that fetches some fields on first use (segment fields of one customer,
    when a template reaches them in a way the pre-scan could not see)."""

    __slots__ = ("_fetch", "_lazy_keys")

    def __init__(self, label: str, fetch: Any, lazy_keys: frozenset[str], **fields: Any):
        super().__init__(label, **fields)
        self._fetch = fetch
        self._lazy_keys = lazy_keys

    def __missing__(self, key: str) -> Any:
        if key in self._lazy_keys and self._fetch is not None:
            fetch, self._fetch = self._fetch, None
            self.update(fetch())
            if key in self:
                return self[key]
        raise KeyError(key)


class StrictVariable(StrictUndefined):
    """StrictUndefined with messages an owner can act on (and a close-match suggestion)."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        name, obj = self._undefined_name, self._undefined_obj
        if self._undefined_hint:
            return self._undefined_hint
        if obj is missing:
            return f"unknown variable {name!r}{_suggest(name, VARIABLES)}"
        if isinstance(obj, Namespace):
            return f"{obj._label} has no field {name!r}{_suggest(name, obj.keys())}"
        if obj is None:
            return (
                f"cannot read {name!r} of an empty value: "
                f"wrap it in {{% if ... %}} for customers who lack it"
            )
        return f"{type(obj).__name__} value has no field {name!r}"


def _suggest(name: object, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class FilterError(ValueError):
    """A filter was given the wrong kind of value."""


def _locale(context: Context) -> str:
    locale = context.get("locale")
    if not isinstance(locale, str) or not locale:
        raise FilterError(
            "no customer locale here: import macros `with context`, "
            'e.g. {% import "_shared/macros.txt" as m with context %}'
        )
    return locale


@pass_context
def money_filter(context: Context, value: object, currency: str | None = None) -> str:
    """`{{ last_order.total|money }}` -> `39,80 €` in the customer's locale."""
    code = currency or getattr(value, "currency", None) or _shop_currency(context)
    locale = context.get("locale") or getattr(value, "locale", None) or _locale(context)
    try:
        return formatting.format_money(value, code, locale)
    except (ValueError, ArithmeticError) as exc:
        raise FilterError(f"money: {exc}") from None


def _shop_currency(context: Context) -> str:
    shop = context.get("shop")
    return str(shop.get("currency", "EUR")) if isinstance(shop, dict) else "EUR"


@pass_context
def date_filter(context: Context, value: object, style: str = "long") -> str:
    """`{{ last_order.date|date }}` -> `5. März 2026`; style short, medium, long or full."""
    try:
        return formatting.format_day(value, style, _locale(context))
    except (ValueError, KeyError, AttributeError) as exc:
        raise FilterError(f"date: {exc}") from None


@pass_context
def percent_filter(context: Context, value: object) -> str:
    try:
        return formatting.format_percent_value(value, _locale(context))
    except (ValueError, ArithmeticError) as exc:
        raise FilterError(f"percent: {exc}") from None


@pass_context
def number_filter(context: Context, value: object) -> str:
    try:
        return formatting.format_number(value, _locale(context))
    except (ValueError, ArithmeticError) as exc:
        raise FilterError(f"number: {exc}") from None


def _first_name(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("first_name") or "")
    if isinstance(value, StrictUndefined):
        value._fail_with_undefined_error()
    if value is None:
        return ""
    return str(value)


def first_name_or(value: object, fallback: str = "") -> str:
    """`{{ customer|first_name_or("there") }}`: the first name, or the fallback if unknown."""
    return _first_name(value).strip() or fallback


def name_or(value: object, fallback: str = "") -> str:
    """`{{ customer|name_or("customer") }}`: first and last name, or the fallback."""
    if isinstance(value, dict):
        return str(value.get("name") or "").strip() or fallback
    return _first_name(value).strip() or fallback


@pass_context
def greeting_filter(context: Context, value: object) -> str:
    """`{{ customer|greeting }}` -> `Hallo Jürgen,` / `Hallo,` in the draft's language and
    address form (formal: `Guten Tag Jürgen Weber,` / `Guten Tag,`)."""
    last = str(value.get("last_name") or "").strip() if isinstance(value, dict) else ""
    return formatting.greeting(
        _first_name(value).strip(),
        str(context.get("lang") or "en"),
        str(context.get("address_form") or "informal"),
        last,
    )


class DraftEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with a fast path for reading our own data (a bulk export does it ~100
    times per draft; the generic path raises and catches an AttributeError each time)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Namespace) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    # Budgets: output is counted as it is joined; time is checked on every loop step, every
    # call and every `*` or `**` (which could make a huge value in one step), all of them in
    # the template's own frames, so the error names the line.
    intercepted_binops = frozenset({"*", "**"})
    budgeted_loop = staticmethod(_budgeted)

    def concat(self, chunks: Iterable[str]) -> str:  # type: ignore[override]
        parts: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            _check_size(size)
            parts.append(chunk)
        return "".join(parts)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_time()
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        if operator == "**" and isinstance(right, int) and abs(right) > 100:
            raise _OverBudget(f"{left!r} ** {right!r} is too large for a template")
        if operator == "*":
            for value, times in ((left, right), (right, left)):
                if isinstance(value, str | list | tuple) and isinstance(times, int):
                    _check_size(len(value) * times)
        return super().call_binop(context, operator, left, right)

    def _generate(
        self,
        source: nodes.Template,
        name: str | None,
        filename: str | None,
        defer_init: bool = False,
    ) -> str:
        for loop in source.find_all(nodes.For):  # `for x in seq` -> `for x in budgeted(seq)`
            budgeted = nodes.EnvironmentAttribute("budgeted_loop", lineno=loop.lineno)
            loop.iter = nodes.Call(budgeted, [loop.iter], [], None, None, lineno=loop.lineno)
        return super()._generate(source, name, filename, defer_init)  # type: ignore[no-any-return]

    def make_globals(self, d: Any = None) -> Any:
        # A plain dict rather than Jinja's ChainMap: every render copies the globals, and
        # iterating a ChainMap in Python costs ~6 us a time (five times per draft).
        return {**self.globals, **(d or {})}


class _QuietBytecodeCache(FileSystemBytecodeCache):
    """Compiled templates on disk, so a new session's first preview skips compiling (~30 ms).

    Jinja's default folder is private (`/tmp/_jinja2-cache-<uid>`, owner-only, checked). A
    cache that cannot be written or read is only slower, never an error.
    """

    def dump_bytecode(self, bucket: Any) -> None:
        with suppress(OSError):
            super().dump_bytecode(bucket)

    def load_bytecode(self, bucket: Any) -> None:
        with suppress(OSError):
            super().load_bytecode(bucket)


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    try:
        # Our own file names, changed whenever `_generate` compiles differently: code
        # compiled without the loop budget must never be loaded.
        return _QuietBytecodeCache(pattern=f"__retain_tui_{COMPILED_AS}_%s.cache")
    except (OSError, RuntimeError):  # no safe private folder: compile every session
        return None


def make_environment(loader: TemplateLoader) -> DraftEnvironment:
    env = DraftEnvironment(
        loader=loader,
        bytecode_cache=_bytecode_cache(),
        undefined=StrictVariable,
        autoescape=lambda name: bool(name and name.endswith(".html")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=True,
        cache_size=1000,
    )
    for name in _REMOVED_FILTERS:
        env.filters.pop(name, None)
    env.filters.update(
        money=money_filter,
        date=date_filter,
        percent=percent_filter,
        number=number_filter,
        first_name_or=first_name_or,
        name_or=name_or,
        greeting=greeting_filter,
    )
    return env


def load(env: DraftEnvironment, name: str, source: str | None = None) -> Template:
    """A compiled template (from the loader, or from `source` being edited in the app)."""
    try:
        if source is None:
            return env.get_template(name)
        # Compiled under the file's name, so autoescape and error lines match the file's.
        code = env.compile(source, name=name, filename=name)
        return env.template_class.from_code(env, code, env.make_globals(None), None)
    except TemplateSyntaxError as exc:
        raise TemplateError(exc.message or str(exc), template=name, line=exc.lineno) from None
    except TemplateNotFound as exc:
        raise TemplateError(f"template file not found: {exc.name}", template=name) from None


def render(template: Template, variables: dict[str, Any]) -> str:
    """Render, turning every failure into a `TemplateError` with file and line, within the
    time and size budget (`TemplateBudgetError`: a runaway template stops the whole export)."""
    outer = getattr(_budget, "deadline", None)
    _budget.deadline = time.monotonic() + RENDER_SECONDS if outer is None else outer
    try:
        return template.render(variables)
    except TemplateError:
        raise
    except _OverBudget as exc:
        located = _located(exc, template, str(exc))
        raise TemplateBudgetError(
            located.message, template=located.template, line=located.line
        ) from None
    except SecurityError as exc:
        raise _located(exc, template, f"not allowed in templates: {exc}") from None
    except UndefinedError as exc:
        raise _located(exc, template, str(exc)) from None
    except TemplateNotFound as exc:
        raise _located(exc, template, f"template file not found: {exc.name}") from None
    except TemplateSyntaxError as exc:
        raise TemplateError(
            exc.message or str(exc), template=exc.name or template.name, line=exc.lineno
        ) from None
    except (FilterError, TemplateRuntimeError) as exc:
        raise _located(exc, template, str(exc)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise _located(exc, template, f"{type(exc).__name__}: {exc}") from None
    except RecursionError:
        raise TemplateError(
            "templates include each other endlessly", template=template.name
        ) from None
    finally:
        _budget.deadline = outer


def _located(exc: BaseException, template: Template, message: str) -> TemplateError:
    """Find the innermost template frame in the (Jinja-rewritten) traceback."""
    names = _filenames(template)
    name, line = template.name, None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in names:
            name, line = names[frame.filename], frame.lineno
    return TemplateError(message, template=name, line=line)


def _filenames(template: Template) -> dict[str, str]:
    """Map the file paths Jinja reports in tracebacks to loader names."""
    env = template.environment
    found: dict[str, str] = {}
    if template.filename:
        found[template.filename] = template.name or template.filename
    cache = getattr(env, "cache", None)
    if cache is not None:
        for compiled in list(cache.values()):
            if compiled.filename and compiled.name:
                found.setdefault(compiled.filename, compiled.name)
    return found


def used_variables(env: DraftEnvironment, names: Iterable[str]) -> set[str] | None:
    """Top-level variables the templates (and what they include) use, plus `customer.X` for
    each customer field read directly.

    Returns None when an include is computed at render time: the caller must then load
    everything. Used to skip loading order lines or recommendations nobody prints.
    """
    seen: set[str] = set()
    used: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            tree = env.parse(source, name=name)
        except (TemplateNotFound, TemplateSyntaxError):
            continue  # reported when the template itself is loaded
        used |= find_undeclared_variables(tree)
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            if not (isinstance(node.node, nodes.Name) and node.node.name == "customer"):
                continue
            if isinstance(node, nodes.Getattr):
                used.add(f"customer.{node.attr}")
            elif isinstance(node.arg, nodes.Const):
                used.add(f"customer.{node.arg.value}")
            else:
                return None  # customer[some_expression]: could be any field
        for included in find_referenced_templates(tree):
            if included is None:
                return None
            pending.append(included)
    return used
