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
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from functools import update_wrapper
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
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.meta import find_referenced_templates, find_undeclared_variables
from jinja2.runtime import Context
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from jinja2.utils import missing
from markupsafe import Markup

from core.compose import formatting, size_budget
from core.compose.errors import TemplateBudgetError, TemplateError
from core.compose.size_budget import AMPLIFYING_METHODS, RENDER_CHARACTERS, check_size
from core.compose.size_budget import OverBudget as _OverBudget
from core.compose.templates import TemplateLoader

__all__ = ["RENDER_CHARACTERS", "RENDER_SECONDS", "DraftEnvironment", "load", "render"]

# Documented top-level variables (docs/templates.md), for "did you mean" hints.
VARIABLES = (
    "customer", "last_order", "orders", "shop", "discount", "recommendations", "reorder",
    "feedback", "template", "lang", "locale", "today", "address_form",
)  # fmt: skip
# Customer fields that come from the segments engine and loyalty (loaded only when a template
# uses them).
LOYALTY_MONEY_FIELDS = frozenset({"points_value", "spend_to_next_tier"})
SEGMENT_FIELDS = frozenset(
    {"r", "f", "m", "rfm_segment", "segments", "points", "tier", "next_tier",
     "points_to_next_tier"} | LOYALTY_MONEY_FIELDS
)  # fmt: skip
# Jinja built-ins that reach outside the data (`attr` is sandboxed too, but has no use here).
_REMOVED_FILTERS = ("attr",)
RENDER_SECONDS = 2.0
"""Time one part of one draft may take: a real one takes well under 10 ms."""
COMPILED_AS = "budget2"
"""Names how `DraftEnvironment._generate` compiles: part of the bytecode cache's file names."""
_budget = threading.local()  # this thread's render deadline (renders run in several threads)


def _check_time() -> None:
    deadline = getattr(_budget, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise _OverBudget(
            f"took longer than {RENDER_SECONDS:g} s to render one draft "
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


def _sized_method(value: Any) -> Any:
    """A string method that can make far more than its string (`center`, `replace`, `join`…),
    checked before it runs; anything else as it is."""
    owner = getattr(value, "__self__", None)
    if isinstance(owner, str | bytes) and getattr(value, "__name__", "") in AMPLIFYING_METHODS:
        return size_budget.budgeted_method(owner, value.__name__, value)
    return value


class _SizedFormatter(SandboxedFormatter):
    """Refuses a field whose width or precision is beyond one draft, before padding it."""

    _made = 0  # characters this `format` call has made so far

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._made = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        what = f"format spec {format_spec[:20]!r}"
        size_budget.check_format_spec(format_spec, what)
        field = super().format_field(value, format_spec)
        self._made += len(field)
        check_size(self._made, "format")
        return field


class _SizedEscapeFormatter(_SizedFormatter, SandboxedEscapeFormatter):
    pass


class _SizedCodeGenerator(CodeGenerator):
    """Compiles `a ~ b` into `environment.joined(...)`, so it is measured before it is joined."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"environment.joined({func_name}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class DraftEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with a fast path for reading our own data (a bulk export does it ~100
    times per draft; the generic path raises and catches an AttributeError each time)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Namespace) and attribute in obj:
            return obj[attribute]
        return _sized_method(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _sized_method(super().getitem(obj, argument))

    def wrap_str_format(self, value: Any) -> Any:
        """`str.format` as Jinja sandboxes it, with each field's width checked first."""
        if not (isinstance(value, types.MethodType | types.BuiltinMethodType)
                and value.__name__ in ("format", "format_map")
                and isinstance(value.__self__, str)):  # fmt: skip
            return None
        text = value.__self__
        formatter = (
            _SizedEscapeFormatter(self, escape=text.escape)
            if isinstance(text, Markup)
            else _SizedFormatter(self)
        )
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            return size_budget.weigh(type(text)(formatter.vformat(text, args, kwargs)))

        return update_wrapper(wrapper, value)

    # Budgets: output is counted as it is joined; time is checked on every loop step, every
    # call and every `*` or `**` (which could make a huge value in one step), all of them in
    # the template's own frames, so the error names the line.
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    budgeted_loop = staticmethod(_budgeted)

    def concat(self, chunks: Iterable[str]) -> str:  # type: ignore[override]
        parts: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            check_size(size)
            parts.append(chunk)
        return size_budget.weigh("".join(parts))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_time()
        obj = _sized_method(obj)
        return size_budget.weigh(super().call(context, obj, *args, **kwargs))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_time()
        size_budget.check_binop(operator, left, right)
        return size_budget.weigh(super().call_binop(context, operator, left, right))

    def joined(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        """`a ~ b`: measured before it is joined."""
        texts = [str(part) for part in parts]
        check_size(sum(map(len, texts)), "joining with ~")
        return size_budget.weigh(join(parts))

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

    code_generator_class = _SizedCodeGenerator

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
    # Every filter is weighed; those that can make far more than they get are checked first.
    env.filters = {name: size_budget.budgeted_filter(name, f) for name, f in env.filters.items()}
    env.globals["lipsum"] = size_budget.budgeted_lipsum(env.globals["lipsum"])
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
    outer_made = size_budget.start_counting()
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
    except AssertionError as exc:  # Jinja checks some arguments so: `truncate(0)`
        raise _located(exc, template, f"invalid argument: {exc}") from None
    except RecursionError:
        raise TemplateError(
            "templates include each other endlessly", template=template.name
        ) from None
    finally:
        _budget.deadline = outer
        size_budget.stop_counting(outer_made)


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
