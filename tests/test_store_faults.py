"""A shop on a read-only mount or a full disk: reading commands work, writing ones refuse
with one line naming the cause, and the database is unchanged.

Both are real: a read-only bind mount and a full tmpfs (we run as root, where chmod alone
stops nothing); skipped where mounting is not permitted.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.compose_support import build_shop
from tests.conftest import shop_state
from tests.disks import fill, small_tmpfs
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()


def mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "300"})


def frozen_state(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return shop_state(conn)
    finally:
        conn.close()


@pytest.fixture
def read_only_shop(tmp_path: Path) -> Iterator[Path]:
    """A shop seen through a read-only bind mount of its folder."""
    source, view = tmp_path / "source", tmp_path / "view"
    source.mkdir()
    view.mkdir()
    build_shop(source / "shop.db").close()
    mount("--bind", str(source), str(view))
    try:
        mount("-o", "remount,bind,ro", str(view))
        yield view / "shop.db"
    finally:
        subprocess.run(["umount", "--lazy", str(view)], check=True)


def test_a_read_only_shop_reads_and_refuses_writes(
    read_only_shop: Path, data: Callable[[str], Path]
) -> None:
    before = frozen_state(read_only_shop)
    stats = invoke("stats", "--db", read_only_shop)
    assert stats.exit_code == 0, stats.output
    assert "Customers" in stats.stdout
    for args in (["config", "set", "shop.name", "Nordlicht"],
                 ["segment", "add", "Regulars", "orders > 1"],
                 ["import", "orders", str(data("generic_orders.csv"))]):  # fmt: skip
        result = invoke(*args, "--db", read_only_shop)
        assert result.exit_code == ExitCode.REFUSED, result.output
        assert result.stderr == (
            f"error: {read_only_shop}: cannot write the shop database: read-only file system; "
            "nothing was changed\n"
        )
    assert frozen_state(read_only_shop) == before
    assert sorted(p.name for p in read_only_shop.parent.iterdir()) == ["shop.db"]


@pytest.fixture
def shop_on_a_full_disk(tmp_path: Path) -> Iterator[Path]:
    """A shop on a real 2 MiB tmpfs whose last free byte is then taken."""
    with small_tmpfs(tmp_path / "disk", "2m") as folder:
        build_shop(folder / "shop.db").close()
        fill(folder)
        yield folder / "shop.db"


def test_a_full_disk_reads_and_refuses_writes(
    shop_on_a_full_disk: Path, data: Callable[[str], Path]
) -> None:
    db = shop_on_a_full_disk
    before = frozen_state(db)
    stats = invoke("stats", "--db", db)
    assert stats.exit_code == 0, stats.output
    result = invoke("import", "orders", data("generic_orders.csv"), "--db", db)
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert result.stderr.startswith(f"error: {db}: cannot write the shop database: ")
    assert result.stderr.endswith("; nothing was changed\n")
    assert "no space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert frozen_state(db) == before


@pytest.mark.parametrize("shop", ["existing", "new"])
def test_a_full_temporary_folder_during_an_import_refuses_it_and_changes_nothing(
    tmp_path: Path, shop: str
) -> None:
    """An import stages its rows in SQLite's temporary files (SQLITE_TMPDIR): when that disk
    is full, the import stops with one line naming the folder, exit 2, and the shop is as it
    was (a new one is not left behind)."""
    db = tmp_path / "shop.db"
    if shop == "existing":
        build_shop(db).close()
    before = frozen_state(db) if shop == "existing" else None
    orders = tmp_path / "orders.csv"  # enough rows for the staged tables to leave the cache
    with orders.open("w", encoding="utf-8") as out:
        out.write("order_id,ordered_at,email,total,sku,product,quantity,price\n")
        for n in range(30_000):
            amount = f"{10 + n % 90}.50"
            out.write(f"F{n},2024-05-{1 + n % 28:02d},buyer{n % 9000}@example.com,{amount},"
                      f"SKU-{n % 40},Product {n % 40},1,{amount}\n")  # fmt: skip
    with small_tmpfs(tmp_path / "tmp", "256k") as folder:
        fill(folder)
        done = subprocess.run(
            [sys.executable, "-m", "tui", "import", "orders", str(orders), "--db", str(db)],
            capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent,
            env={**os.environ, "SQLITE_TMPDIR": str(folder)},
        )  # fmt: skip
    assert done.returncode == ExitCode.REFUSED, done.stderr
    assert done.stderr.startswith("error: ") and f"temporary folder {folder}" in done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    if shop == "existing":
        assert frozen_state(db) == before
    else:
        assert not db.exists()
