"""Compiling a filter tree to parameterised SQL over a snapshot.

Conditions follow two-valued logic: a comparison with a missing value (no orders yet, no
country) is false, `not` turns it true, and `!=` / `not in` are exactly `not (=)` /
`not (in)`: `country != "DE"` includes customers whose country is unknown. SQL's NULL
already acts as false under and/or in a WHERE clause or a sum, so only negations wrap their
operand in coalesce(..., 0); plain conditions let SQLite use indexes (`bought(...)` is driven
from the SKU index). Text compares ignoring the case of ASCII letters; tags ignore case.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.filterlang import (
    AllOf,
    AnyOf,
    Call,
    Comparison,
    FieldRef,
    FilterError,
    HasItem,
    InList,
    Literal,
    Node,
    Not,
    TextMatch,
    Truth,
    parse,
)
from core.segment_fields import FIELDS, NUMERIC_KINDS, TEXT_KINDS, Field
from core.snapshot import Snapshot
from core.sqlparts import FALSE, Sql, join, placeholders
from core.values import normalize_country, normalize_language, parse_date


class SegmentLookup(Protocol):
    """How `segment = "NAME"` finds a segment's condition (raises FilterError if unknown)."""

    def condition(self, name: str, pos: int) -> Sql: ...


def compile_filter(text: str, snapshot: Snapshot, segments: SegmentLookup) -> Sql:
    """The SQL condition (true, or false/NULL) for `text`, or a FilterError saying where."""
    return _Compiler(snapshot, segments).node(parse(text))


def suggest(name: str, choices: list[str]) -> str | None:
    """The closest of `choices` to a mistyped `name`, if one is close enough."""
    by_fold = {choice.casefold(): choice for choice in choices}
    match = difflib.get_close_matches(name.casefold(), list(by_fold), n=1, cutoff=0.6)
    return by_fold[match[0]] if match else None


def did_you_mean(name: str, choices: list[str]) -> str | None:
    close = suggest(name, choices)
    return f"did you mean '{close}'?" if close else None


def like_pattern(text: str, *, prefix: bool) -> str:
    """A LIKE pattern matching `text` literally (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix else f"%{escaped}%"


def _negate(sql: Sql) -> Sql:
    """Two-valued `not`: a condition that is NULL (a missing value) counts as false."""
    return sql.wrap("(NOT coalesce({}, 0))")


def _any(parts: list[Sql]) -> Sql:
    return join(" OR ", parts).wrap("({})") if parts else FALSE


@dataclass(frozen=True)
class _Function:
    name: str
    doc: str
    build: Callable[[Snapshot, list[str]], Sql]


def _bought(snapshot: Snapshot, skus: list[str]) -> Sql:
    return _lines_condition(snapshot, placeholders(skus).wrap("l.sku IN ({})"))


def _bought_product(snapshot: Snapshot, names: list[str]) -> Sql:
    parts = [Sql("l.product LIKE ? ESCAPE '\\'", (like_pattern(name, prefix=False),))
             for name in names]  # fmt: skip
    return _lines_condition(snapshot, _any(parts))


def _first_bought(snapshot: Snapshot, keys: list[str]) -> Sql:
    """The product key of `retain-tui products` (SKU, else name) in the customer's first order
    (core/drivers/first_orders.py): "whom did this product bring in?"."""
    # Imported here: core.drivers reads segments' snapshots, which compile filters with us.
    from core.drivers.first_orders import first_order_of

    # The key spelled out so the SKU index finds the lines (coalesce() would read them all:
    # 15 s instead of under one at a million orders); lines without a SKU are its NULL entry.
    by_sku = placeholders(keys).wrap("(l.sku IN ({})")
    by_name = placeholders(keys).wrap(" OR (l.sku IS NULL AND l.product IN ({})))")
    first = f" AND o.id = {first_order_of('o.customer_id')}"
    return _lines_condition(snapshot, by_sku + by_name + first)


def _lines_condition(snapshot: Snapshot, line_test: Sql) -> Sql:
    """Customers with a counting order up to the as-of date that has a line passing the test."""
    inner = (
        "c.id IN (SELECT o.customer_id FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "WHERE " + line_test + " AND NOT o.cancelled AND o.order_day <= ? "
        "AND o.customer_id IS NOT NULL)"
    )
    return (inner + Sql("", (snapshot.day,))).wrap("({})")


FUNCTIONS: dict[str, _Function] = {
    function.name: function
    for function in (
        _Function("bought", 'bought a product with this exact SKU: bought("SKU-123")', _bought),
        _Function(
            "bought_product",
            'bought a product whose name contains this text: bought_product("Earl Grey")',
            _bought_product,
        ),
        _Function(
            "first_bought",
            "their first order had this product (its SKU, or its name if it has none, as "
            '`retain-tui products` shows it): first_bought("SKU-123")',
            _first_bought,
        ),
    )
}


class _Compiler:
    def __init__(self, snapshot: Snapshot, segments: SegmentLookup) -> None:
        self.snapshot = snapshot
        self.segments = segments

    def node(self, node: Node) -> Sql:
        if isinstance(node, AllOf):
            return join(" AND ", (self.node(part) for part in node.operands)).wrap("({})")
        if isinstance(node, AnyOf):
            return _any([self.node(part) for part in node.operands])
        if isinstance(node, Not):
            return _negate(self.node(node.operand))
        if isinstance(node, Comparison):
            return self.comparison(node)
        if isinstance(node, InList):
            return self.in_list(node)
        if isinstance(node, HasItem):
            return self.has_item(node)
        if isinstance(node, TextMatch):
            return self.text_match(node)
        if isinstance(node, Truth):
            return self.truth(node)
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(f"unknown node {node!r}")

    # ------------------------------------------------------------ fields and values

    def field(self, ref: FieldRef) -> Field:
        field = FIELDS.get(ref.name.lower())
        if field is None:
            names = list(FIELDS)
            hint = did_you_mean(ref.name, names)
            if ref.name.lower() in FUNCTIONS:
                hint = f"{ref.name} is a function: {FUNCTIONS[ref.name.lower()].doc}"
            raise FilterError.at(
                ref.pos, f"unknown field '{ref.name}'", hint or f"fields: {', '.join(names)}"
            )
        return field

    def number(self, field: Field, literal: Literal) -> int | float:
        """A literal as the number the field is stored as (cents, day ordinals, counts; a
        decimal field takes the literal's value as it is)."""
        if field.kind == "date":
            if literal.kind == "date":
                return literal.value.toordinal()  # type: ignore[union-attr]
            if literal.kind == "text":
                try:
                    return parse_date(str(literal.value)).toordinal()
                except ValueError:
                    pass
            raise FilterError.at(
                literal.pos, f"'{field.name}' needs a date like 2024-03-05, not {literal.source}"
            )
        if literal.kind != "number":
            raise FilterError.at(
                literal.pos, f"'{field.name}' needs a number, not {literal.source}"
            )
        value = literal.value
        assert isinstance(value, Decimal)
        if field.kind == "decimal":
            return float(value)
        if field.kind == "money":
            cents = value * 100
            if cents != cents.to_integral_value():
                raise FilterError.at(
                    literal.pos, f"'{field.name}' takes at most 2 decimals, not {literal.source}"
                )
            return int(cents)
        if value != value.to_integral_value():
            raise FilterError.at(
                literal.pos, f"'{field.name}' needs a whole number, not {literal.source}"
            )
        return int(value)

    def text(self, field: Field, literal: Literal) -> str:
        """A literal as text, normalised the way the store keeps the field."""
        if literal.kind == "number" and field.kind in ("text", "tags"):
            return literal.source  # an id or a tag may well be digits
        if literal.kind != "text":
            raise FilterError.at(
                literal.pos, f"'{field.name}' needs text in quotes, not {literal.source}"
            )
        value = str(literal.value)
        if field.kind == "country":
            code = normalize_country(value)
            if code is None or len(code) != 2:
                raise FilterError.at(
                    literal.pos, f"not a country: {literal.source}", 'use a code such as "DE"'
                )
            return code
        if field.kind == "language":
            try:
                language = normalize_language(value)
            except ValueError:
                language = None
            if language is None:
                raise FilterError.at(
                    literal.pos, f"not a language: {literal.source}", 'use a code such as "de"'
                )
            return language
        return value

    # ------------------------------------------------------------ conditions

    def comparison(self, node: Comparison) -> Sql:
        field = self.field(node.field)
        op, literal = node.op, node.value
        if field.kind in ("segment", "rfm_segment"):
            if op not in ("=", "!="):
                raise self.wrong_operator(field, op, node.pos)
            condition = self.named(field, [literal])
            return condition if op == "=" else _negate(condition)
        value = field.value(self.snapshot)
        if literal.kind == "null":
            if op not in ("=", "!="):
                raise FilterError.at(literal.pos, f"'{op}' cannot compare with null",
                                     "use = null or != null")  # fmt: skip
            return value.wrap("({} IS NULL)" if op == "=" else "({} IS NOT NULL)")
        if field.kind == "bool":
            if op not in ("=", "!=") or literal.kind != "bool":
                raise FilterError.at(
                    literal.pos if op in ("=", "!=") else node.pos,
                    f"'{field.name}' is yes/no",
                    f"write {field.name} = true or = false",
                )
            wanted = bool(literal.value) == (op == "=")
            return value if wanted else _negate(value)
        if field.kind in NUMERIC_KINDS:
            test = self.numeric_test(field, value, "=" if op == "!=" else op, [literal])
            return _negate(test) if op == "!=" else test
        if field.kind in TEXT_KINDS:
            if op not in ("=", "!="):
                raise self.wrong_operator(field, op, node.pos)
            test = self.text_equals(field, value, [literal])
            return test if op == "=" else _negate(test)
        if field.kind == "tags":
            raise FilterError.at(
                node.pos, f"'{field.name}' is a list", f'write "wholesale" in {field.name}'
            )
        raise self.wrong_operator(field, op, node.pos)

    def numeric_test(self, field: Field, value: Sql, op: str, literals: list[Literal]) -> Sql:
        numbers = [self.number(field, literal) for literal in literals]
        if field.name == "aov":
            # revenue / orders OP x  <=>  revenue OP x * orders: exact, no division.
            aov_op = "=" if op == "in" else op
            parts = [Sql(f"s.revenue {aov_op} ? * s.orders", (n,)) for n in numbers]
            return _any(parts)
        if field.keyed_by_customer is not None:
            table, column = field.keyed_by_customer
            value = Sql(column)
        if op == "in":
            test = (value + placeholders(numbers).wrap(" IN ({})")).wrap("({})")
        else:
            test = (value + Sql(f" {op} ?", (numbers[0],))).wrap("({})")
        if field.keyed_by_customer is not None:
            return test.wrap(f"(c.id IN (SELECT customer_id FROM {table} WHERE {{}}))")
        return test

    def text_equals(self, field: Field, value: Sql, literals: list[Literal]) -> Sql:
        texts = [self.text(field, literal) for literal in literals]
        if field.kind == "text":
            return (value + placeholders(texts).wrap(" COLLATE NOCASE IN ({})")).wrap("({})")
        return (value + placeholders(texts).wrap(" IN ({})")).wrap("({})")

    def in_list(self, node: InList) -> Sql:
        field = self.field(node.field)
        if field.kind in ("segment", "rfm_segment"):
            test = self.named(field, list(node.values))
        elif field.kind in NUMERIC_KINDS:
            test = self.numeric_test(field, field.value(self.snapshot), "in", list(node.values))
        elif field.kind in TEXT_KINDS:
            test = self.text_equals(field, field.value(self.snapshot), list(node.values))
        elif field.kind == "tags":
            raise FilterError.at(
                node.pos, f"'{field.name}' is a list", f'write "wholesale" in {field.name}'
            )
        else:
            raise self.wrong_operator(field, "in", node.pos)
        return _negate(test) if node.negated else test

    def has_item(self, node: HasItem) -> Sql:
        field = self.field(node.field)
        if field.kind != "tags":
            raise FilterError.at(
                node.pos, f"'{node.value.source} in {field.name}' needs a list field such as tags",
                f"to compare one value write {field.name} = {node.value.source}",
            )  # fmt: skip
        tag = self.text(field, node.value).strip()
        test = Sql("rt_has_tag(c.tags, ?)", (tag,))
        if tag.isascii():  # a cheap LIKE first spares most rows the Python function
            test = Sql("c.tags LIKE ? ESCAPE '\\' AND ", (like_pattern(tag, prefix=False),)) + test
        test = test.wrap("({})")
        return _negate(test) if node.negated else test

    def text_match(self, node: TextMatch) -> Sql:
        field = self.field(node.field)
        if field.kind not in (*TEXT_KINDS, "tags"):
            raise self.wrong_operator(field, node.op, node.pos)
        if node.value.kind != "text":
            raise FilterError.at(
                node.value.pos, f"'{node.op}' needs text in quotes, not {node.value.source}"
            )
        pattern = like_pattern(str(node.value.value), prefix=node.op == "startswith")
        test = (field.value(self.snapshot) + Sql(" LIKE ? ESCAPE '\\'", (pattern,))).wrap("({})")
        return _negate(test) if node.negated else test

    def truth(self, node: Truth) -> Sql:
        field = self.field(node.field)
        if field.kind != "bool":
            raise FilterError.at(
                node.field.pos + len(node.field.name),
                f"expected an operator after '{field.name}'",
                f"'{field.name}' is not yes/no; compare it, e.g. {_example(field)}",
            )
        return field.value(self.snapshot)

    def call(self, node: Call) -> Sql:
        function = FUNCTIONS.get(node.name.lower())
        if function is None:
            hint = did_you_mean(node.name, list(FUNCTIONS))
            if node.name.lower() in FIELDS:
                hint = f"'{node.name}' is a field, not a function"
            raise FilterError.at(
                node.pos, f"unknown function '{node.name}'",
                hint or f"functions: {', '.join(FUNCTIONS)}",
            )  # fmt: skip
        values = []
        for arg in node.args:
            if arg.kind not in ("text", "number"):
                raise FilterError.at(arg.pos, f"{function.name}() needs text, not {arg.source}")
            values.append(str(arg.value) if arg.kind == "text" else arg.source)
        return function.build(self.snapshot, values)

    def named(self, field: Field, literals: list[Literal]) -> Sql:
        """`rfm_segment = "At Risk"` or `segment in ("vip", "lapsed")` as one condition."""
        parts: list[Sql] = []
        for literal in literals:
            if literal.kind == "null" and field.kind == "rfm_segment":
                parts.append(Sql("(s.customer_id IS NULL)"))
                continue
            if literal.kind != "text":
                raise FilterError.at(
                    literal.pos, f"'{field.name}' needs a segment name in quotes, "
                    f"not {literal.source}",
                )  # fmt: skip
            name = str(literal.value)
            if field.kind == "segment":
                parts.append(self.segments.condition(name, literal.pos))
            else:
                parts.append(self.rfm_condition(name, literal.pos))
        return _any(parts)

    def rfm_condition(self, name: str, pos: int) -> Sql:
        rfm = self.snapshot.rfm
        canonical = {known.casefold(): known for known in rfm.names}.get(name.casefold())
        if canonical is None:
            raise FilterError.at(
                pos, f"unknown RFM segment '{name}'",
                did_you_mean(name, rfm.names) or f"RFM segments: {', '.join(rfm.names)}",
            )  # fmt: skip
        codes = rfm.codes()[canonical]
        if not codes:
            return FALSE
        return (self.snapshot.code_sql() + placeholders(codes).wrap(" IN ({})")).wrap("({})")

    def wrong_operator(self, field: Field, op: str, pos: int) -> FilterError:
        allowed = {
            "bool": "= true, = false",
            "tags": '"x" in tags, "x" not in tags, contains',
            "segment": "=, !=, in, not in",
            "rfm_segment": "=, !=, in, not in",
        }.get(field.kind)
        if allowed is None:
            allowed = (
                "=, !=, <, <=, >, >=, in, not in" if field.kind in NUMERIC_KINDS
                else "=, !=, in, not in, contains, startswith"
            )  # fmt: skip
        return FilterError.at(
            pos, f"'{op}' does not apply to {field.kind} field '{field.name}'", f"use {allowed}"
        )


def _example(field: Field) -> str:
    return {
        "date": f"{field.name} >= 2024-01-01",
        "money": f"{field.name} > 100",
        "decimal": f"{field.name} < 0.3",
        "text": f'{field.name} contains "example"',
        "country": f'{field.name} = "DE"',
        "language": f'{field.name} = "de"',
        "tags": f'"wholesale" in {field.name}',
        "rfm_segment": f'{field.name} = "At Risk"',
        "segment": f'{field.name} = "vip"',
    }.get(field.kind, f"{field.name} >= 2")
