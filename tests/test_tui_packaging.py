"""The wheel ships the app's stylesheet: without it the installed app would not start."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_the_app_stylesheet(tmp_path: Path):
    source = tmp_path / "src"
    shutil.copytree(ROOT / "core", source / "core")
    shutil.copytree(ROOT / "tui", source / "tui")
    shutil.copy(ROOT / "pyproject.toml", source)
    for name in ("templates", "sample_data"):  # shipped folders the wheel maps in
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name)
        else:
            (source / name).mkdir()
    readme = ROOT / "README.md"
    (source / "README.md").write_text(readme.read_text() if readme.exists() else "retain-tui\n")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=source, check=True, capture_output=True,
    )  # fmt: skip
    wheel = next(tmp_path.glob("retain_tui-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tui/app.tcss" in names
    assert "tui/app.py" in names and "tui/screens/customers.py" in names
    assert {"tui/screens/segments.tcss", "tui/screens/compose.tcss"} <= names  # screens' own CSS
