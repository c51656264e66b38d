"""File permissions as a user who is not root: a 0400 shop is read and never written, an
unreadable CSV is refused. (As root, chmod alone stops nothing: see tests/unprivileged.py;
the core's own message for an unreadable file: tests/test_csvfile.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import data_path
from tests.unprivileged import Unprivileged, unprivileged  # noqa: F401  (the fixture)
from tui.commands.common import ExitCode


def shop_of(user: Unprivileged) -> Path:
    """A shop the user owns, imported by the user, then made read-only (0400)."""
    orders = user.home / "orders.csv"
    shutil.copy(data_path("generic_orders.csv"), orders)
    user.own(orders)
    made = user.run(["import", "orders", str(orders), "--db", "shop.db", "--format", "generic"])
    assert made.returncode == 0, made.stderr
    db = user.home / "shop.db"
    db.chmod(0o400)
    return db


def test_a_0400_shop_is_read_and_never_written(unprivileged: Unprivileged) -> None:  # noqa: F811
    db = shop_of(unprivileged)
    before, files = db.read_bytes(), sorted(p.name for p in unprivileged.home.iterdir())

    stats = unprivileged.run(["stats", "--db", str(db), "--json"])
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["orders"] == 4

    for args in (
        ["import", "orders", str(unprivileged.home / "orders.csv"), "--db", str(db)],
        ["config", "set", "shop.name", "Elsewhere", "--db", str(db)],
        ["segment", "add", "two", "orders >= 2", "--db", str(db)],
    ):
        refused = unprivileged.run(args)
        assert refused.returncode == ExitCode.REFUSED, (args, refused.stderr)
        assert refused.stderr.strip().splitlines() == [
            f"error: {db}: cannot write the shop database: permission denied; nothing was changed"
        ]
    assert db.read_bytes() == before
    assert sorted(p.name for p in unprivileged.home.iterdir()) == files  # no -wal, -shm


def test_an_unreadable_csv_is_one_line_and_makes_no_shop(
    unprivileged: Unprivileged,  # noqa: F811
) -> None:
    secret = unprivileged.home / "secret.csv"
    secret.write_text("order_id,email,total\n1,a@example.com,5\n", encoding="utf-8")
    unprivileged.own(secret)
    secret.chmod(0)
    result = unprivileged.run(["import", "orders", str(secret), "--db", "shop.db"])
    assert result.returncode == ExitCode.REFUSED, result.stderr
    # Typer checks the argument first: its usage error names the file (not one line).
    assert "secret.csv' is not readable" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not (unprivileged.home / "shop.db").exists()
