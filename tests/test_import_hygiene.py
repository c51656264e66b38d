"""`core/` is the headless domain: it must never import textual (harlequin enforces the same).

Each module is imported in a fresh interpreter, so one module importing textual cannot hide
behind another test having imported it already.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import core

ROOT = Path(__file__).resolve().parent.parent
CORE_MODULES = sorted(info.name for info in pkgutil.walk_packages(core.__path__, prefix="core."))
FORBIDDEN = ("textual", "textual_plotext", "tui")
CHECK = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in sys.argv[2:])))
"""


def test_the_walk_found_the_core_modules() -> None:
    for name in ("core.store", "core.values", "core.csvfile", "core.importers.loader"):
        assert name in CORE_MODULES


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_textual(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK, module, *FORBIDDEN],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{module} imports {result.stdout.strip()}"
