"""docs/templates.md keeps up with the code: every variable, filter, setting and reason."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.compose import REASONS, Discount
from core.compose.context import Needs, reorder_variables
from core.compose.reorder import ReorderProduct
from core.compose.sandbox import VARIABLES, make_environment
from core.shop_settings import SPECS
from tests.compose_support import build_shop, composer_for

DOC = (Path(__file__).resolve().parent.parent / "docs" / "templates.md").read_text("utf-8")
OUR_FILTERS = ("money", "date", "percent", "number", "first_name_or", "name_or", "greeting")


def documented_variables(tmp_path: Path) -> list[str]:
    """`customer.first_name` ... for every field the composer hands a template."""
    composer = composer_for(build_shop(), tmp_path)
    compiled = composer.compiled(composer.template("come-back-bestsellers"), "de")
    record = composer.loader.records([2])[2]
    data = composer.loader.load([record], Needs())
    variables: dict[str, Any] = composer.variables(
        compiled, data[2], Discount(percent=Decimal(10)), "de_DE"
    )
    variables["feedback"] = composer.shop_vars.feedback(2, "de")
    names = [f"`{name}`" for name in variables]
    groups = {
        "customer": variables["customer"],
        "last_order": variables["last_order"],
        "line": variables["last_order"]["lines"][0],
        "shop": variables["shop"],
        "discount": variables["discount"],
        "product": variables["recommendations"][0],
        "feedback": variables["feedback"],
        "score": variables["feedback"]["scores"][0],
        "template": variables["template"],
        "summary": variables["last_order"]["summary"],
        "reorder": reorder_variables(ReorderProduct("TEA", "TEA", "Tea", 10, 3)),
    }
    for prefix, namespace in groups.items():
        names += [f"`{prefix}.{key}`" for key in namespace]
    return names


def test_every_variable_is_documented(tmp_path: Path) -> None:
    missing = [name for name in documented_variables(tmp_path) if name not in DOC]
    assert not missing, missing
    assert all(f"`{name}`" in DOC for name in VARIABLES)


@pytest.mark.parametrize("name", OUR_FILTERS)
def test_every_filter_is_documented(name: str) -> None:
    assert f"| `{name}` |" in DOC


def test_the_filter_list_is_complete(tmp_path: Path) -> None:
    composer = composer_for(build_shop(), tmp_path)
    env = make_environment(composer.env.loader)  # type: ignore[arg-type]
    ours = {name for name, f in env.filters.items() if f.__module__ == "core.compose.sandbox"}
    assert ours == set(OUR_FILTERS)
    assert "attr" not in env.filters


@pytest.mark.parametrize("key", sorted(SPECS))
def test_every_setting_is_documented(key: str) -> None:
    assert f"| `{key}` |" in DOC


@pytest.mark.parametrize("reason", sorted(REASONS))
def test_every_exclusion_reason_is_documented(reason: str) -> None:
    assert f"| `{reason}` |" in DOC
