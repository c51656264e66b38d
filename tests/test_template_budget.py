"""Runaway templates: a template that would loop for hours or make gigabytes of text stops
at the budget of one draft with an error naming the template, in `templates check` and in
an export (which then writes nothing and stops at the first customer)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.compose import composer, sandbox
from tests.compose_support import build_shop
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()

# Jinja's sandbox refuses range() over 100,000 items, so range(10**6) is no runaway; two
# nested loops of 100,000 are: 10**10 steps (before the budget, `templates check` ran for hours).
NESTED = "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"
SILENT = (
    "{% set r = range(100000)|list %}{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}done"
)
HUGE = "{{ 'x' * 1000000000 }}"
POWER = "{{ 7 ** 1000000000 }}"  # Python would compute this for hours
LONG = "{% for a in range(100000) %}{{ 'y' * 100 }}{% endfor %}"


def own_template(folder: Path, body: str) -> Path:
    template = folder / "runaway"
    template.mkdir(parents=True)
    (template / "template.toml").write_text('kind = "transactional"\ndescription = "loops"\n')
    (template / "en.subject.txt").write_text("Hello")
    (template / "en.txt").write_text(f"Hello\n{body}\n")
    return folder


@pytest.fixture(autouse=True)
def short_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 0.3)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        # 10**10 "x": whichever budget a machine reaches first stops it
        (
            NESTED,
            "(took longer than 0.3 s to render one draft|makes more than 1,000,000 characters)",
        ),
        (SILENT, "took longer than 0.3 s to render one draft"),
        (HUGE, "would make 1,000,000,000 characters, more than 1,000,000 characters"),
        (POWER, "is too large for a template"),
        (LONG, "makes more than 1,000,000 characters for one draft"),
    ],
    ids=["nested-loops", "silent-loops", "huge-string", "huge-power", "long-output"],
)
def test_templates_check_reports_a_runaway_template(tmp_path: Path, body: str, says: str) -> None:
    folder = own_template(tmp_path / "mine", body)
    started = time.monotonic()
    result = CliRunner().invoke(
        app, ["templates", "check", "--templates", str(folder)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "runaway/en.txt" in result.output and re.search(says, result.output)
    assert time.monotonic() - started < 60


def test_an_export_stops_at_the_first_runaway_draft_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "shop.db"
    build_shop(db).close()
    # SILENT writes nothing, so only the time budget can stop it, on any machine
    folder = own_template(tmp_path / "mine", SILENT)
    out = tmp_path / "out.mbox"
    rendered: list[object] = []
    real_render = composer.render

    def counted_render(template: object, variables: dict) -> str:
        rendered.append(template)
        return real_render(template, variables)  # type: ignore[arg-type]

    monkeypatch.setattr(composer, "render", counted_render)
    result = CliRunner().invoke(
        app,
        ["export", "--db", str(db), "--templates", str(folder), "-t", "runaway",
         "-c", "1,2,3,4,5,6,7,8,9", "--as-of", "2026-11-05", "--out", str(out)],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert result.stderr.startswith("error: runaway/en.txt, line 2: took longer than 0.3 s")
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())
    assert rendered, "the export never rendered through the budgeted sandbox"
    body_renders = [t for t in rendered if getattr(t, "name", "").endswith("en.txt")]
    assert len(body_renders) == 1, rendered  # stopped at the first customer, not after each


def test_a_real_template_is_far_within_the_budget(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    build_shop(db).close()
    result = CliRunner().invoke(
        app,
        ["export", "--db", str(db), "-t", "thank-you", "-c", "1,3,5", "--as-of", "2026-11-05",
         "--dry-run"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
