"""docs/segments.md keeps up with the code: every field, function, error example and command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.filtersql import FUNCTIONS
from core.segment_fields import FIELDS
from core.segments import validate_expression
from core.store import open_store
from tui.cli import build_app

app = build_app()

DOC = (Path(__file__).resolve().parent.parent / "docs" / "segments.md").read_text("utf-8")


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_field_is_documented(name: str) -> None:
    assert re.search(rf"\| (`\w+`, )*`{name}`[ ,|]", DOC), name


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_is_documented(name: str) -> None:
    assert f"`{name}(" in DOC


# The error examples in the docs, with the expressions that produce them.
ERRORS = {
    "ordrs > 1": "unknown field 'ordrs' at column 1; did you mean 'orders'?",
    "orders > ": "expected a value after '>', found the end of the expression at column 10",
    "'; DROP TABLE customers; --": "unterminated text starting with ' at column 1; "
    "close it with a matching '",
    "(orders > 1": "'(' is never closed at column 1; expected ')' at column 12",
    "country = DE": "expected a value after '=', found the name DE at column 11; "
    'text needs quotes: "DE"',
    "spent > 1.234": "'spent' takes at most 2 decimals, not 1.234 at column 9",
    'country < "DE"': "'<' does not apply to country field 'country' at column 9; "
    "use =, !=, in, not in, contains, startswith",
    'segment = "At Rsik"': "unknown segment 'At Rsik' at column 11; did you mean 'At Risk'?",
}


@pytest.mark.parametrize(("expression", "message"), ERRORS.items())
def test_documented_errors_are_the_real_ones(expression: str, message: str) -> None:
    store = open_store(":memory:")
    assert str(validate_expression(store, expression)) == message
    assert message in DOC


@pytest.mark.parametrize(
    "command", [["segments"], ["segment", "add"], ["segment", "rm"], ["segment", "show"],
                ["segment", "rfm-table"], ["customers"]],
)  # fmt: skip
def test_every_command_has_help_and_docs(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"retain-tui {' '.join(command)}" in DOC
