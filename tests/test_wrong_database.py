"""A wrong `--db` is an error, not an empty shop; a file that is not ours is never touched.

Every command that reads (and `config set`) refuses a missing database with exit 2 and one
line naming the path and how to make a shop; only `import` and `demo` create one. A SQLite
file of another program is refused by every command, byte for byte unchanged.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.paths import DB_ENV
from core.store import open_store
from tui.cli import build_app

app = build_app()

READ_COMMANDS = [
    ["stats"],
    ["stats", "--json"],
    ["customers"],
    ["segments"],
    ["segment", "show", "champions"],
    ["segment", "add", "big", "orders >= 3"],
    ["segment", "rfm-table"],
    ["export", "-t", "thank-you", "-s", "champions", "-o", "drafts.mbox"],
    ["templates", "check", "--own-shop"],
    ["config", "get", "shop.name"],
    ["config", "list"],
    ["config", "set", "shop.name", "Typo Shop"],
    ["config", "unset", "shop.name"],
]


def invoke(args: list[str], db: Path | None = None, env: dict[str, str] | None = None) -> Result:
    options = [] if db is None else ["--db", str(db)]
    return CliRunner().invoke(app, [*options, *args], env=env)


def one_line_error(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_a_missing_database_is_refused_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # where `export -o` would write
    missing = tmp_path / "nosuchdir" / "typo.db"
    result = invoke(args, missing)
    assert result.exit_code == 2, result.output
    line = one_line_error(result)
    assert str(missing) in line and "no such shop database" in line
    assert f"retain-tui import orders FILE --db {missing}" in line
    assert list(tmp_path.iterdir()) == []  # no folder, no file, no drafts


def test_the_environment_names_a_missing_database_too(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = invoke(["stats"], env={DB_ENV: str(missing)})
    assert result.exit_code == 2
    assert str(missing) in one_line_error(result)
    assert not missing.exists()


def test_root_db_option_is_checked_like_the_commands_own(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "typo.db"), "customers"])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_the_default_database_is_not_created_by_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    result = invoke(["stats"])
    assert result.exit_code == 2
    line = one_line_error(result)
    assert line.endswith("create your shop with: retain-tui import orders FILE")
    assert not (tmp_path / "xdg").exists()


def test_after_trying_the_demo_the_missing_shop_says_where_the_demo_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`retain-tui demo`, then `retain-tui stats`: the shop does not exist yet, the demo does."""
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert invoke(["demo", "--json"]).exit_code == 0
    demo = tmp_path / "xdg" / "retain-tui" / "demo.db"
    result = invoke(["stats"])
    assert result.exit_code == 2
    assert one_line_error(result).endswith(f"(the demo shop is in {demo}: add --db {demo})")
    assert not (tmp_path / "xdg" / "retain-tui" / "shop.db").exists()
    assert invoke(["stats", "--db", str(demo)]).exit_code == 0


def test_an_empty_file_is_a_new_shop_only_for_import(
    tmp_path: Path, data: Callable[[str], Path]
) -> None:
    path = tmp_path / "shop.db"
    path.touch()
    result = invoke(["stats"], path)
    assert result.exit_code == 2
    assert "empty, not a retain-tui database" in one_line_error(result)
    assert path.stat().st_size == 0
    imported = invoke(["import", "orders", str(data("generic_orders.csv"))], path)
    assert imported.exit_code == 0, imported.output
    assert invoke(["stats"], path).exit_code == 0


# -- another program's SQLite file ----------------------------------------------------------------


@pytest.fixture
def foreign_db(tmp_path: Path) -> Path:
    """A SQLite database of some other program (rollback journal, its own tables)."""
    path = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    "args", [*READ_COMMANDS, ["import", "orders", "ORDERS"], ["demo"]], ids=" ".join
)
def test_another_programs_database_is_refused_and_left_untouched(
    foreign_db: Path,
    data: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.chdir(foreign_db.parent)
    before = digest(foreign_db)
    args = [str(data("generic_orders.csv")) if arg == "ORDERS" else arg for arg in args]
    result = invoke(args, foreign_db)
    assert result.exit_code == 2, result.output
    line = one_line_error(result)
    assert str(foreign_db) in line
    assert "not a retain-tui database" in line or "already holds" in line
    assert digest(foreign_db) == before
    assert sorted(p.name for p in foreign_db.parent.iterdir()) == ["notes.sqlite"]


def test_a_retain_database_made_before_the_marker_is_recognised_and_stamped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        store.set_setting("shop.name", "Old Shop")
        store.execute("PRAGMA application_id = 0")  # as every file was before the marker
    result = invoke(["config", "get", "shop.name"], path)
    assert (result.exit_code, result.stdout) == (0, "Old Shop\n")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x52545549


def test_a_failed_first_import_leaves_no_empty_shop(tmp_path: Path) -> None:
    db = tmp_path / "new" / "folders" / "shop.db"
    result = invoke(["import", "orders", str(tmp_path / "no-such.csv")], db)
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []  # neither the file nor the folders made for it


def test_a_failed_import_into_an_existing_shop_keeps_it(
    tmp_path: Path, data: Callable[[str], Path]
) -> None:
    db = tmp_path / "shop.db"
    assert invoke(["import", "orders", str(data("generic_orders.csv"))], db).exit_code == 0
    assert invoke(["import", "orders", str(tmp_path / "no-such.csv")], db).exit_code == 2
    assert invoke(["stats"], db).exit_code == 0


def test_a_command_says_where_it_kept_the_old_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.store

    db = tmp_path / "shop.db"
    with monkeypatch.context() as older:
        older.setattr(core.store, "MIGRATIONS", core.store.MIGRATIONS[:1])
        older.setattr(core.store, "SCHEMA_VERSION", 1)
        open_store(db, create=True).close()
    result = invoke(["config", "list"], db)
    assert result.exit_code == 0, result.output
    assert f"the old one is kept in {tmp_path / 'shop.db.v1.bak'}" in " ".join(
        result.stderr.split()
    )
