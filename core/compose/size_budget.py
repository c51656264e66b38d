"""The memory budget of one draft: no single step of a template may make a value larger than
a whole draft may be, and all of its steps together may make only so much.

A sandboxed template can ask for gigabytes in one call (`{{ 'x'|center(10**9) }}`,
`'%*d'|format(10**9, 1)`, `'ab'.replace('', big)`, `[0]|batch(10**9, 0)`): the output budget
only sees text once it is printed, too late. So every operation that can make a value much
larger than its inputs (the amplifiers: filters, string methods, operators and globals listed
here) predicts the size of its result and refuses BEFORE making it; every other result is
weighed after it is made (it can only be a few times its inputs, which are already bounded),
and the weights of one draft add up to at most `MADE_BYTES`.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import math
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2.filters import make_attrgetter
from jinja2.utils import _PassArg

RENDER_CHARACTERS = 1_000_000
"""Text one part of one draft may produce, and the largest string one step may make."""
MAX_ITEMS = 100_000
"""The longest list one step may make (Jinja's sandbox already caps `range` at this)."""
MAX_INT_BITS = 100_000
"""The largest number one step may make (~30,000 digits; Python prints at most 4,300)."""
MADE_BYTES = 32_000_000
"""What all the steps of one draft may make together (a real draft makes well under 1 MB)."""
ITEM_BYTES = 64
"""The weight of one list item: a reference plus a share of a small object made for it."""

_made = threading.local()  # this thread's running total (renders run in several threads)


class OverBudget(Exception):
    """A render ran past its time or size budget (turned into `TemplateBudgetError`)."""


def start_counting() -> int | None:
    """Start this draft's total; returns the outer total to give back to `stop_counting`."""
    outer = getattr(_made, "total", None)
    if outer is None:
        _made.total = 0
    return outer


def stop_counting(outer: int | None) -> None:
    _made.total = outer


Step = str | Callable[[], str]
"""What a step is called in an error (a function when naming it costs time)."""


def _named(what: Step) -> str:
    return what if isinstance(what, str) else what()


def check_size(size: int, what: Step = "") -> None:
    """Refuse a string of `size` characters before it is made."""
    if size > RENDER_CHARACTERS:
        if what:
            what = _named(what)
            raise OverBudget(
                f"{what} would make {size:,} characters, more than "
                f"{RENDER_CHARACTERS:,} characters for one draft; nothing was rendered"
            )
        raise OverBudget(
            f"makes more than {RENDER_CHARACTERS:,} characters for one draft "
            "(a loop that does not end?); nothing was rendered"
        )


def check_items(count: int, what: Step) -> None:
    """Refuse a list of `count` items before it is made."""
    if count > MAX_ITEMS:
        raise OverBudget(
            f"{_named(what)} would make a list of {count:,} items, more than the {MAX_ITEMS:,} "
            "one draft may use; nothing was rendered"
        )


def check_bits(bits: int, what: Step) -> None:
    if bits > MAX_INT_BITS:
        raise OverBudget(f"{_named(what)} is too large for a template ({bits:,} bits)")


def weigh(value: Any) -> Any:
    """Add a result to this draft's total (refused over `MADE_BYTES`) and pass it on."""
    if isinstance(value, str | bytes | bytearray):
        check_size(len(value))
        weight = sys.getsizeof(value)
    elif isinstance(value, list | tuple | dict | set | frozenset):
        check_items(len(value), "a step")
        weight = ITEM_BYTES * len(value)
    else:
        return value
    total = getattr(_made, "total", None)
    if total is not None:
        _made.total = total = total + weight
        if total > MADE_BYTES:
            raise OverBudget(
                f"makes more than {MADE_BYTES // 1_000_000} MB of values for one draft "
                "(a loop that does not end?); nothing was rendered"
            )
    return value


def describe(name: str, args: Iterable[Any]) -> str:
    """`center(1000000000)`: the step as the owner wrote it, values shortened."""
    shown = []
    for arg in args:
        if isinstance(arg, int) and arg.bit_length() > 64:
            shown.append(f"<a number of {arg.bit_length():,} bits>")
            continue
        text = repr(arg)
        shown.append(text if len(text) <= 20 else f"{text[:8]}…({len(text):,} chars)")
    return f"{name}({', '.join(shown)})"


def _take(values: Iterable[Any], what: Step) -> list[Any]:
    """The items of `values`, refused once there are more than `MAX_ITEMS`."""
    if isinstance(values, list | tuple | str | dict | set | frozenset | range):
        check_items(len(values), what)
        return list(values)
    items = []
    for item in values:
        items.append(item)
        if len(items) > MAX_ITEMS:
            check_items(len(items), what)
    return items


# printf-style `%` and `|format`: `%[(key)][flags][width][.precision]type`
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([a-zA-Z%])")
# a `str.format` spec: `[[fill]align][sign][z][#][0][width][grouping][.precision][type]`
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[a-zA-Z%]?", re.S)


def printf_size(fmt: str, args: Any) -> int:
    """At least as many characters as `fmt % args` makes from widths and precisions."""
    queue = list(args) if isinstance(args, tuple | list) else [args]
    size = len(fmt)
    for match in _PRINTF.finditer(fmt):
        width, precision, kind = match.groups()
        numbers = []
        for part in (width, precision):
            if part == "*":
                star = queue.pop(0) if queue else 0
                numbers.append(abs(star) if isinstance(star, int) else 0)
            elif part:
                numbers.append(int(part))
        if kind in "sra":
            numbers = numbers[:1] if width else []  # a precision only cuts a string
        size += max(numbers, default=0)
    return size


def check_format_spec(spec: str, what: str) -> None:
    """Refuse `'{:>1000000000}'.format(1)` (or `.1000000000f`) before Python pads it."""
    match = _FORMAT_SPEC.fullmatch(spec)
    if match:
        width, precision = match.groups()
        check_size(max(int(width or 0), int(precision or 0)), what)


def replace_size(text: str, old: str, new: str, count: int | None) -> int:
    found = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        found = min(found, count)
    return len(text) + found * (len(new) - len(old))


def join_size(parts: list[str], separator: str) -> int:
    return sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0)


def wordwrap_size(text: str, width: int, wrapstring: str) -> int:
    """Every two lines hold more than `width` characters, so lines <= 2*len/width + 1."""
    lines = 2 * len(text) // max(width, 1) + text.count("\n") + 2
    return len(text) + lines * len(wrapstring)


def json_size(value: Any, indent: Any, dumps_kwargs: Mapping[str, Any]) -> int:
    """`tojson(indent)`: the compact text plus one indent per level per line."""
    width = len(indent) if isinstance(indent, str) else int(indent or 0)
    if width <= 1:
        return 0
    if width > RENDER_CHARACTERS:  # json.dumps makes the indent string first, whatever `value`
        return width
    kwargs = {**dumps_kwargs}
    kwargs.pop("indent", None)
    flat = len(json.dumps(value, indent=0, **kwargs))
    one = len(json.dumps(value, indent=1, **kwargs))
    return flat + (one - flat) * width


# Filters: a check run before the filter, with the filter's own parameter names (without the
# context Jinja passes first), so every way of calling it is checked.


def _center(value: Any, width: Any = 80) -> None:
    if isinstance(width, int):
        check_size(max(len(str(value)), width), lambda: describe("center", [width]))


def _indent(s: Any, width: Any = 4, first: Any = False, blank: Any = False) -> None:
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    text = str(s)
    check_size(len(text) + (text.count("\n") + 1) * pad, lambda: describe("indent", [width]))


def _wordwrap(s: Any, width: Any = 79, *_: Any, wrapstring: Any = None, **__: Any) -> None:
    if len(_) >= 2:
        wrapstring = _[1]
    if isinstance(width, int):
        size = wordwrap_size(str(s), width, str(wrapstring or "\n"))
        check_size(size, lambda: describe("wordwrap", [width, wrapstring]))


def _format(value: Any, *args: Any, **kwargs: Any) -> None:
    check_size(printf_size(str(value), kwargs or args), lambda: describe("format", args))


def _replace(s: Any, old: Any, new: Any, count: Any = None) -> None:
    size = replace_size(str(s), str(old), str(new), count)
    check_size(size, lambda: describe("replace", [old, new]))


def _lipsum(n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100) -> None:
    if all(isinstance(x, int) for x in (n, min, max)):
        # a word is at most 12 characters with its space
        check_size(n * builtins.max(min, max) * 12, lambda: describe("lipsum", [n, html, min, max]))


def _batch(items: list[Any], linecount: Any = 1, fill_with: Any = None) -> None:
    if fill_with is not None and isinstance(linecount, int) and linecount > 0:
        rows = math.ceil(builtins.max(len(items), 1) / linecount)
        check_items(rows * linecount, lambda: describe("batch", [linecount, fill_with]))


def _slice(items: list[Any], slices: Any = 1, fill_with: Any = None) -> None:
    if isinstance(slices, int):
        check_items(slices, lambda: describe("slice", [slices]))


def _sum(items: list[Any], attribute: Any = None, start: Any = 0) -> None:
    sized = [item for item in (*items, start) if isinstance(item, list | tuple | str)]
    check_items(sum(map(len, sized)), "sum")


def _join(items: list[Any], d: Any = "") -> None:
    parts = [str(item) for item in items]
    check_size(join_size(parts, str(d)), lambda: describe("join", [d]))


FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "format": _format,
    "replace": _replace,
}
# Filters over any iterable: at most MAX_ITEMS items are taken first, then checked.
ITERABLE_CHECKS: dict[str, Callable[..., None] | None] = {
    "list": None,
    "batch": _batch,
    "slice": _slice,
    "sum": _sum,
}


def budgeted_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """The filter `name`, checked before (amplifiers) and weighed after (every filter)."""
    injected = 1 if _PassArg.from_obj(func) is not None else 0
    if name == "tojson":
        return _tojson(func)
    if name == "join":
        return _join_filter(func)
    iterable = name in ITERABLE_CHECKS
    check = ITERABLE_CHECKS[name] if iterable else FILTER_CHECKS.get(name)

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        if iterable and len(args) > injected:
            items = _take(args[injected], f"{name}()")
            args = (*args[:injected], items, *args[injected + 1 :])
        if check is not None:
            with contextlib.suppress(TypeError):  # wrong arguments: the filter says so itself
                check(*args[injected:], **kwargs)
        return weigh(func(*args, **kwargs))

    return run


def _join_filter(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def run(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> Any:
        items = _take(value, "join")
        if attribute is not None:  # read the attribute first, so the parts can be measured
            items = list(map(make_attrgetter(eval_ctx.environment, attribute), items))
        _join(items, d)
        return weigh(func(eval_ctx, items, d))

    return run


def _tojson(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def run(eval_ctx: Any, value: Any, indent: Any = None) -> Any:
        if indent is not None:
            dumps_kwargs = eval_ctx.environment.policies["json.dumps_kwargs"]
            try:
                size = json_size(value, indent, dumps_kwargs)
            except (TypeError, ValueError):
                # The filter says itself what cannot be written as JSON, but json.dumps
                # makes its indent string before it looks at the value.
                size = len(indent) if isinstance(indent, str) else int(indent or 0)
            check_size(size, lambda: describe("tojson", [indent]))
        return weigh(func(eval_ctx, value, indent))

    return run


def budgeted_lipsum(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(TypeError):
            _lipsum(*args, **kwargs)
        return weigh(func(*args, **kwargs))

    return run


# String methods that can make much more than their string: checked when the template
# reads the attribute, so every way of calling them is covered.


def _pad(text: Any, width: Any = 0, *_: Any) -> int:
    return max(len(text), width) if isinstance(width, int) else 0


def _tabs(text: Any, tabsize: Any = 8) -> int:
    return len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(tabsize, 0)


def _str_replace(text: Any, old: Any, new: Any, count: Any = -1) -> int:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        return replace_size(text, old, new, count)
    return len(text) + (len(text) + 1) * len(new)  # bytes: the same bound, coarser


def _str_translate(text: Any, table: Any) -> int:
    if isinstance(table, Mapping):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        return len(text) * max(longest, 1)
    return len(text)


METHOD_SIZES: dict[str, Callable[..., int]] = {
    "center": _pad,
    "ljust": _pad,
    "rjust": _pad,
    "zfill": _pad,
    "expandtabs": _tabs,
    "replace": _str_replace,
    "translate": _str_translate,
}


def budgeted_method(text: str | bytes, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """`text.name`, refused before it would make more than one draft may hold."""
    if name == "join":

        def join(values: Iterable[Any]) -> Any:
            parts = _take(values, "join")
            size = sum(len(p) for p in parts if isinstance(p, str | bytes)) + len(text) * len(parts)
            check_size(size, lambda: describe(f"{type(text).__name__}.join", [text]))
            return weigh(method(parts))

        return join
    size_of = METHOD_SIZES[name]

    def call(*args: Any, **kwargs: Any) -> Any:
        check_size(size_of(text, *args, **kwargs), lambda: describe(name, args))
        return weigh(method(*args, **kwargs))

    return call


AMPLIFYING_METHODS = frozenset({*METHOD_SIZES, "join"})


def check_binop(operator: str, left: Any, right: Any) -> None:
    """`*`, `**`, `+` and `%` in a template, measured before Python computes them."""

    def what() -> str:
        return f"{describe('', [left])[1:-1]} {operator} {describe('', [right])[1:-1]}"

    if operator == "**" and isinstance(right, int) and not isinstance(right, bool):
        if abs(right) > 100:
            raise OverBudget(f"{what()} is too large for a template")
        if isinstance(left, int) and right > 0:
            check_bits(left.bit_length() * right, what)
    elif operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            check_bits(left.bit_length() + right.bit_length(), what)
        for value, times in ((left, right), (right, left)):
            if isinstance(times, int) and not isinstance(times, bool):
                if isinstance(value, str | bytes):
                    check_size(len(value) * times, what)
                elif isinstance(value, list | tuple):
                    check_items(len(value) * times, what)
    elif operator == "+":
        if isinstance(left, str | bytes) and isinstance(right, str | bytes):
            check_size(len(left) + len(right), what)
        elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
            check_items(len(left) + len(right), what)
    elif operator == "%" and isinstance(left, str):
        check_size(printf_size(left, right), what)
