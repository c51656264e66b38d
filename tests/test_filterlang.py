"""The filter language's grammar: every operator, literal and error, and hostile input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.filterlang import (
    MAX_DEPTH,
    AllOf,
    AnyOf,
    Call,
    Comparison,
    FilterError,
    HasItem,
    InList,
    Not,
    TextMatch,
    Truth,
    parse,
    tokenize,
)


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_comparisons(op: str) -> None:
    node = parse(f"orders {op} 2")
    assert isinstance(node, Comparison)
    assert (node.field.name, node.op, node.value.value) == ("orders", op, Decimal(2))


def test_operator_spellings() -> None:
    eq, ne = parse("orders == 2"), parse("orders <> 2")
    assert isinstance(eq, Comparison) and isinstance(ne, Comparison)
    assert eq.op == "=" and ne.op == "!="


def test_in_and_not_in() -> None:
    node = parse('country in ("DE", "AT")')
    assert isinstance(node, InList) and not node.negated
    assert [v.value for v in node.values] == ["DE", "AT"]
    negated = parse("orders NOT IN (1, 2)")
    assert isinstance(negated, InList) and negated.negated


def test_item_in_list_field() -> None:
    node = parse('"wholesale" in tags')
    assert isinstance(node, HasItem) and node.field.name == "tags" and not node.negated
    negated = parse("'b2b' not in tags")
    assert isinstance(negated, HasItem) and negated.negated and negated.value.value == "b2b"


@pytest.mark.parametrize("op", ["contains", "startswith"])
def test_text_matches(op: str) -> None:
    node = parse(f'email {op} "@example"')
    assert isinstance(node, TextMatch) and node.op == op and not node.negated
    negated = parse(f'email not {op} "x"')
    assert isinstance(negated, TextMatch) and negated.negated


def test_and_or_not_and_parentheses_precedence() -> None:
    node = parse("orders > 1 or spent > 5 and not (country = 'DE' or accepts_marketing)")
    assert isinstance(node, AnyOf)
    first, second = node.operands
    assert isinstance(first, Comparison)
    assert isinstance(second, AllOf)
    negation = second.operands[1]
    assert isinstance(negation, Not) and isinstance(negation.operand, AnyOf)
    assert isinstance(negation.operand.operands[1], Truth)


def test_keywords_ignore_case() -> None:
    node = parse("orders > 1 AND NOT spent < 2 Or accepts_marketing = TRUE")
    assert isinstance(node, AnyOf)


def test_function_calls() -> None:
    node = parse("bought(\"SKU-123\", 'SKU-9')")
    assert isinstance(node, Call) and node.name == "bought"
    assert [a.value for a in node.args] == ["SKU-123", "SKU-9"]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ('"a \\"quoted\\" word"', "text", 'a "quoted" word'),
        ("'it\\'s'", "text", "it's"),
        ('"back\\\\slash"', "text", "back\\slash"),
        ("12", "number", Decimal(12)),
        ("-3", "number", Decimal(-3)),
        ("500.50", "number", Decimal("500.50")),
        ("2024-03-05", "date", date(2024, 3, 5)),
        ("true", "bool", True),
        ("False", "bool", False),
        ("null", "null", None),
    ],
)
def test_literals(text: str, kind: str, value: object) -> None:
    node = parse(f"x = {text}")
    assert isinstance(node, Comparison)
    assert (node.value.kind, node.value.value) == (kind, value)


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "empty expression", 0),
        ("   ", "empty expression", 0),
        (
            "orders > ",
            "expected a value after '>', found the end of the expression at column 10",
            9,
        ),
        ('country = "DE', 'unterminated text starting with " at column 11', 10),
        ("country = 'DE", "unterminated text starting with ' at column 11", 10),
        ("(orders > 1", "'(' is never closed at column 1; expected ')' at column 12", 0),
        ("orders > 1)", "unexpected ')' without a matching '(' at column 11", 10),
        ("orders > 1 spent > 2", "unexpected 'spent' at column 12", 11),
        ("orders 2", "expected an operator after 'orders', found '2' at column 8", 7),
        ("country = DE", 'found the name DE at column 11; text needs quotes: "DE"', 10),
        ("orders > 1 and", "expected a condition, found the end of the expression", 14),
        ("orders ; 1", "unexpected character ';' at column 8", 7),
        ("first_order > 2024-13-01", "not a date: '2024-13-01' at column 15", 14),
        ("spent > 12abc", "not a number or date: '12abc' at column 9", 8),
        ("country = \u201cDE\u201d", "use straight quotes", 10),
        ("5 < orders", "a condition starts with a field name, not 5", 0),
        ('country in "DE"', "expected '(' after 'in'", 11),
        ('country in ("DE" "AT")', "expected ',' or ')' in the list", 17),
        ('country in ("DE",', "expected a value after ','", 17),
        ("bought()", "bought() needs at least one value", 7),
        ('bought("a" "b")', "expected ',' or ')' in bought(...)", 11),
        ('"x" in', "expected a field name after 'in'", 6),
        ("orders > 1 or or", "expected a condition, found 'or'", 14),
    ],
)
def test_errors_say_what_and_where(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert caught.value.position == position


def test_sql_injection_text_is_an_unterminated_string() -> None:
    with pytest.raises(FilterError) as caught:
        parse("'; DROP TABLE customers; --")
    assert caught.value.position == 0
    assert "unterminated text" in str(caught.value)


def test_sql_inside_a_quoted_value_is_just_text() -> None:
    node = parse('email = "x\'); DROP TABLE customers; --"')
    assert isinstance(node, Comparison)
    assert node.value.value == "x'); DROP TABLE customers; --"


def test_ten_thousand_nested_parentheses_are_refused_cleanly() -> None:
    text = "(" * 10_000 + "orders > 1" + ")" * 10_000
    with pytest.raises(FilterError, match="too long"):
        parse(text)


@pytest.mark.parametrize("opener", ["(", "not "])
def test_deep_nesting_within_the_length_limit_is_refused(opener: str) -> None:
    text = opener * 1_000 + "orders > 1" + (")" * 1_000 if opener == "(" else "")
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert f"nested too deeply (at most {MAX_DEPTH} levels)" in str(caught.value)
    ok = opener * MAX_DEPTH + "orders > 1" + (")" * MAX_DEPTH if opener == "(" else "")
    parse(ok)


def test_unbalanced_parentheses_at_depth() -> None:
    with pytest.raises(FilterError, match="never closed"):
        parse("(" * 20 + "orders > 1" + ")" * 19)
    with pytest.raises(FilterError, match="without a matching"):
        parse("(" * 19 + "orders > 1" + ")" * 20)


def test_too_many_conditions() -> None:
    with pytest.raises(FilterError, match="too many conditions"):
        parse(" or ".join(["f=1"] * 500))


def test_control_characters_are_rejected() -> None:
    for char in ("\x00", "\x1b", "\x07"):
        with pytest.raises(FilterError, match="unexpected character"):
            parse(f"orders > 1 {char}")


def test_tokens_carry_positions() -> None:
    tokens = tokenize('orders >= 2 and "x" in tags')
    assert [(t.kind, t.pos) for t in tokens] == [
        ("ident", 0), ("op", 7), ("number", 10), ("keyword", 12), ("text", 16),
        ("keyword", 20), ("ident", 23), ("end", 27),
    ]  # fmt: skip
