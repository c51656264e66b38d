"""The owner's filter language, read into a tree: `orders >= 2 and country in ("DE", "AT")`.

Only the grammar lives here; what a field means (and its SQL) is `core.filtersql`'s job.
Nothing here ever reaches SQL as text: literals become parameters downstream, and names are
looked up in a fixed table of fields and functions.

    expression := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expression ")" | condition
    condition  := FIELD OP literal | FIELD ["not"] "in" "(" literal ("," literal)* ")"
                | FIELD ["not"] ("contains" | "startswith") literal
                | literal ["not"] "in" FIELD            -- "wholesale" in tags
                | FUNCTION "(" literal ("," literal)* ")"   -- bought("SKU-1")
                | FIELD                                 -- a yes/no field on its own
    literal    := "text" | 'text' | 12 | 12.50 | 2024-03-05 | true | false | null
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.addresses import ellipsized
from core.segment_errors import SegmentError

MAX_LENGTH = 5_000
MAX_NUMBER = 10**15
"""The largest number a filter may name (either sign): above any figure a shop has, and far
enough inside SQLite's 64-bit integers that money in cents and sums stay exact."""
MAX_DEPTH = 50
MAX_CONDITIONS = 200
MAX_LIST_ITEMS = 500

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
KEYWORDS = frozenset({"and", "or", "not", "in", "contains", "startswith", "true", "false", "null"})
TEXT_MATCHES = ("contains", "startswith")


class FilterError(SegmentError):
    """A filter expression the app cannot use; `position` is the 0-based column of the problem."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    @classmethod
    def at(cls, position: int, problem: str, hint: str | None = None) -> FilterError:
        """'<problem> at column N[; hint]' with N counted from 1 as editors do."""
        message = f"{problem} at column {position + 1}"
        return cls(f"{message}; {hint}" if hint else message, position)


# ---------------------------------------------------------------- tree


@dataclass(frozen=True)
class Literal:
    """A value as typed: kind is text, number, date, bool or null."""

    kind: str
    value: str | Decimal | date | bool | None
    pos: int
    source: str


@dataclass(frozen=True)
class FieldRef:
    name: str
    pos: int


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str
    value: Literal
    pos: int


@dataclass(frozen=True)
class InList:
    """`field in (a, b)` / `field not in (a, b)`."""

    field: FieldRef
    values: tuple[Literal, ...]
    negated: bool
    pos: int


@dataclass(frozen=True)
class HasItem:
    """`"wholesale" in tags`: a value among a list-valued field's items."""

    value: Literal
    field: FieldRef
    negated: bool
    pos: int


@dataclass(frozen=True)
class TextMatch:
    field: FieldRef
    op: str  # contains | startswith
    value: Literal
    negated: bool
    pos: int


@dataclass(frozen=True)
class Truth:
    """A yes/no field standing alone: `accepts_marketing`."""

    field: FieldRef


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Literal, ...]
    pos: int


@dataclass(frozen=True)
class Not:
    operand: Node
    pos: int


@dataclass(frozen=True)
class AllOf:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Node, ...]


Node = Comparison | InList | HasItem | TextMatch | Truth | Call | Not | AllOf | AnyOf


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # ident keyword text number date op ( ) , end
    value: object
    pos: int
    source: str


_SPACE = re.compile(r"\s+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\w.-])")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?![\w.])")
_OPERATOR = re.compile(r"==|!=|<>|<=|>=|=|<|>")
_OPERATOR_ALIASES = {"==": "=", "<>": "!="}
_QUOTES = "\"'"
_LOOKALIKE_QUOTES = "\u201c\u201d\u201e\u2018\u2019\u201a\u00ab\u00bb\u2039\u203a"


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise FilterError(
            f"expression is too long ({len(text):,} characters; at most {MAX_LENGTH:,})",
            MAX_LENGTH,
        )
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
            continue
        char = text[pos]
        if char in "(),":
            tokens.append(Token(char, char, pos, char))
            pos += 1
        elif char in _QUOTES:
            tokens.append(_read_string(text, pos))
            pos += len(tokens[-1].source)
        elif match := _DATE.match(text, pos):
            tokens.append(Token("date", _read_date(match.group(), pos), pos, match.group()))
            pos = match.end()
        elif match := _NUMBER.match(text, pos):
            tokens.append(Token("number", _read_number(match.group(), pos), pos, match.group()))
            pos = match.end()
        elif match := _IDENT.match(text, pos):
            word = match.group()
            lowered = word.lower()
            if lowered in KEYWORDS:
                tokens.append(Token("keyword", lowered, pos, word))
            else:
                tokens.append(Token("ident", word, pos, word))
            pos = match.end()
        elif match := _OPERATOR.match(text, pos):
            op = _OPERATOR_ALIASES.get(match.group(), match.group())
            tokens.append(Token("op", op, pos, match.group()))
            pos = match.end()
        elif char in _LOOKALIKE_QUOTES:
            raise FilterError.at(pos, f"unexpected {char!r}", "use straight quotes \" or '")
        elif char.isdigit() or (char == "-" and text[pos + 1 : pos + 2].isdigit()):
            end = pos + 1
            while end < len(text) and not text[end].isspace() and text[end] not in "(),":
                end += 1
            raise FilterError.at(
                pos, f"not a number or date: {text[pos:end]!r}",
                "numbers look like 12 or 12.50, dates like 2024-03-05",
            )  # fmt: skip
        else:
            raise FilterError.at(pos, f"unexpected character {char!r}")
    tokens.append(Token("end", None, len(text), ""))
    return tokens


def _read_number(source: str, pos: int) -> Decimal:
    value = Decimal(source)
    if abs(value) > MAX_NUMBER:
        shown = ellipsized(source, 30)
        raise FilterError.at(pos, f"number out of range: {shown}", f"at most {MAX_NUMBER:,}")
    return value


def _read_string(text: str, start: int) -> Token:
    quote = text[start]
    chars: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
            continue
        if char == quote:
            return Token("text", "".join(chars), start, text[start : pos + 1])
        chars.append(char)
        pos += 1
    raise FilterError.at(
        start, f"unterminated text starting with {quote}", f"close it with a matching {quote}"
    )


def _read_date(source: str, pos: int) -> date:
    try:
        return date.fromisoformat(source)
    except ValueError:
        raise FilterError.at(pos, f"not a date: {source!r}", "dates look like 2024-03-05") from None


# ---------------------------------------------------------------- parser


def parse(text: str) -> Node:
    """The tree for `text`, or a `FilterError` pointing at the first problem."""
    return _Parser(tokenize(text)).parse()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.conditions = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.token
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def is_keyword(self, word: str, token: Token | None = None) -> bool:
        token = token or self.token
        return token.kind == "keyword" and token.value == word

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise FilterError("empty expression: write a condition such as orders >= 2", 0)
        node = self.expression()
        if self.token.kind != "end":
            token = self.token
            if token.kind == ")":
                raise FilterError.at(token.pos, "unexpected ')' without a matching '('")
            raise FilterError.at(
                token.pos, f"unexpected {_describe(token)}", "join conditions with and / or"
            )
        return node

    def expression(self) -> Node:
        operands = [self.term()]
        while self.is_keyword("or"):
            self.advance()
            operands.append(self.term())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def term(self) -> Node:
        operands = [self.factor()]
        while self.is_keyword("and"):
            self.advance()
            operands.append(self.factor())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def factor(self) -> Node:
        token = self.token
        if self.is_keyword("not"):
            self.advance()
            with self.nested(token):
                return Not(self.factor(), token.pos)
        if token.kind == "(":
            self.advance()
            with self.nested(token):
                node = self.expression()
            if self.token.kind != ")":
                raise FilterError.at(
                    token.pos, "'(' is never closed", f"expected ')' at column {self.token.pos + 1}"
                )
            self.advance()
            return node
        return self.condition()

    def nested(self, token: Token) -> _Nesting:
        return _Nesting(self, token)

    def condition(self) -> Node:
        token = self.token
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise FilterError.at(token.pos, f"too many conditions (at most {MAX_CONDITIONS})")
        if token.kind in ("text", "number", "date"):
            return self.item_in_field()
        if token.kind != "ident":
            raise FilterError.at(token.pos, f"expected a condition, found {_describe(token)}")
        self.advance()
        if self.token.kind == "(":
            return self.call(token)
        field = FieldRef(str(token.value), token.pos)
        op = self.token
        if op.kind == "op":
            self.advance()
            return Comparison(field, str(op.value), self.literal(), op.pos)
        negated = False
        if self.is_keyword("not"):
            nxt = self.peek()
            if nxt.kind == "keyword" and nxt.value in ("in", *TEXT_MATCHES):
                self.advance()
                negated = True
        if self.is_keyword("in"):
            self.advance()
            return InList(field, self.literal_list(), negated, op.pos)
        if self.token.kind == "keyword" and self.token.value in TEXT_MATCHES:
            match = self.advance()
            return TextMatch(field, str(match.value), self.literal(), negated, op.pos)
        if op.kind == "end" or op.kind == ")" or self.is_keyword("and") or self.is_keyword("or"):
            return Truth(field)
        raise FilterError.at(
            op.pos,
            f"expected an operator after '{field.name}', found {_describe(op)}",
            "operators: = != < <= > >= in, not in, contains, startswith",
        )

    def item_in_field(self) -> Node:
        value = self.literal()
        negated = False
        if self.is_keyword("not") and self.is_keyword("in", self.peek()):
            self.advance()
            negated = True
        if not self.is_keyword("in"):
            raise FilterError.at(
                value.pos,
                f"a condition starts with a field name, not {value.source}",
                'write e.g. orders >= 2, or "wholesale" in tags',
            )
        self.advance()
        token = self.token
        if token.kind != "ident":
            raise FilterError.at(token.pos, f"expected a field name after 'in', found "
                                 f"{_describe(token)}")  # fmt: skip
        self.advance()
        return HasItem(value, FieldRef(str(token.value), token.pos), negated, value.pos)

    def call(self, name: Token) -> Node:
        self.advance()
        args: list[Literal] = []
        if self.token.kind == ")":
            raise FilterError.at(self.token.pos, f"{name.value}() needs at least one value")
        while True:
            args.append(self.literal())
            if len(args) > MAX_LIST_ITEMS:
                raise FilterError.at(self.token.pos, f"too many values (at most {MAX_LIST_ITEMS})")
            if self.token.kind == ",":
                self.advance()
                continue
            if self.token.kind == ")":
                self.advance()
                return Call(str(name.value), tuple(args), name.pos)
            raise FilterError.at(
                self.token.pos,
                f"expected ',' or ')' in {name.value}(...), found {_describe(self.token)}",
            )

    def literal_list(self) -> tuple[Literal, ...]:
        if self.token.kind != "(":
            raise FilterError.at(
                self.token.pos,
                f"expected '(' after 'in', found {_describe(self.token)}",
                'write the values in parentheses: in ("DE", "AT")',
            )
        opening = self.advance()
        values: list[Literal] = []
        while True:
            values.append(self.literal())
            if len(values) > MAX_LIST_ITEMS:
                raise FilterError.at(self.token.pos, f"too many values (at most {MAX_LIST_ITEMS})")
            if self.token.kind == ",":
                self.advance()
                continue
            if self.token.kind == ")":
                self.advance()
                return tuple(values)
            if self.token.kind == "end":
                raise FilterError.at(opening.pos, "'(' is never closed", "end the list with ')'")
            raise FilterError.at(
                self.token.pos, f"expected ',' or ')' in the list, found {_describe(self.token)}"
            )

    def literal(self) -> Literal:
        token = self.token
        after = self.tokens[self.index - 1] if self.index else None
        if token.kind in ("text", "number", "date"):
            self.advance()
            return Literal(token.kind, token.value, token.pos, token.source)  # type: ignore[arg-type]
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.advance()
            return Literal("bool", token.value == "true", token.pos, token.source)
        if self.is_keyword("null"):
            self.advance()
            return Literal("null", None, token.pos, token.source)
        where = f" after '{after.source}'" if after is not None else ""
        if token.kind == "ident":
            raise FilterError.at(
                token.pos,
                f"expected a value{where}, found the name {token.value}",
                f'text needs quotes: "{token.value}"',
            )
        raise FilterError.at(token.pos, f"expected a value{where}, found {_describe(token)}")


class _Nesting:
    """Counts parentheses and `not`s: deep nesting gets an error, never a RecursionError."""

    def __init__(self, parser: _Parser, token: Token) -> None:
        self.parser = parser
        self.token = token

    def __enter__(self) -> None:
        self.parser.depth += 1
        if self.parser.depth > MAX_DEPTH:
            raise FilterError.at(
                self.token.pos, f"expression nested too deeply (at most {MAX_DEPTH} levels)"
            )

    def __exit__(self, *exc: object) -> None:
        self.parser.depth -= 1


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the expression"
    if token.kind == "text":
        return f"text {token.source}"
    if token.kind == "ident":
        return f"'{token.source}'"
    return f"'{token.source}'"


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children."""
    out: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        if isinstance(current, AllOf | AnyOf):
            stack.extend(reversed(current.operands))
        elif isinstance(current, Not):
            stack.append(current.operand)
    return out
