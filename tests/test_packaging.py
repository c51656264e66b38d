"""A non-editable install (`pip install .`) must carry the demo shop and the templates.

`templates/` and `sample_data/` live at the top of the repository; the wheel maps them under
`core/_shipped/`, where `core.paths.shipped_dir` looks first.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from core.paths import shipped_dir

ROOT = Path(__file__).resolve().parent.parent
FIND_SHIPPED = """
import sys
sys.path.insert(0, sys.argv[1])
import core
from core.paths import shipped_dir
print(core.__file__)
print(shipped_dir("sample_data"))
"""


def test_shipped_dir_resolves_in_a_checkout() -> None:
    sample = shipped_dir("sample_data")
    assert sample == ROOT / "sample_data"
    assert (sample / "orders_export.csv").is_file()
    assert (sample / "customers_export.csv").is_file()


def test_wheel_ships_resources_and_an_unpacked_copy_finds_them(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    (wheel,) = out.glob("retain_tui-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in ("core/_shipped/sample_data/orders_export.csv",
                     "core/_shipped/sample_data/customers_export.csv",
                     "core/paths.py", "core/store.py", "tui/cli.py"):  # fmt: skip
            assert name in names, name
        for template in (ROOT / "templates").rglob("*"):
            if template.is_file():
                relative = template.relative_to(ROOT / "templates").as_posix()
                assert f"core/_shipped/templates/{relative}" in names, relative
        if (ROOT / "tui" / "app.tcss").is_file():
            assert "tui/app.tcss" in names
        assert not any(name.startswith("tests/") for name in names)
        site = tmp_path / "site"
        archive.extractall(site)  # what pip does with a pure-Python wheel
    # Run from outside the checkout, so only the unpacked copy can be found.
    found = subprocess.run(
        [sys.executable, "-c", FIND_SHIPPED, str(site)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    module_file, sample = found.stdout.splitlines()
    assert Path(module_file).is_relative_to(site)
    assert Path(sample) == site / "core" / "_shipped" / "sample_data"
    assert (Path(sample) / "orders_export.csv").stat().st_size == (
        ROOT / "sample_data" / "orders_export.csv"
    ).stat().st_size
