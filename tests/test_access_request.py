"""`retain-tui customer export`: everything stored about a person, as a private JSON file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.access_request import access_record, write_private_json
from core.importers import import_file
from core.store import open_store
from tui.cli import build_app

DATA = Path(__file__).parent / "data"
app = build_app()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        import_file(store, DATA / "shopify_customers.csv", "customers")
        import_file(store, DATA / "shopify_orders.csv", "orders")
    return path


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["customer", "export", *(str(arg) for arg in args)])


def test_the_file_holds_everything_stored_and_only_the_owner_can_read_it(
    db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "anna.json"
    result = invoke("Anna@Example.com", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    record = json.loads(out.read_text(encoding="utf-8"))
    customer = record["customer"]
    assert (customer["id"], customer["email"], customer["last_name"]) == (
        1, "anna@example.com", "Schmidt"
    )  # fmt: skip
    assert customer["tags"] == "vip, newsletter"
    assert [event["source"] for event in record["consent_events"]] == ["import"]
    with open_store(db) as store:
        orders = store.execute(
            "SELECT external_id, total FROM orders WHERE customer_id = 1 ORDER BY order_day, id"
        ).fetchall()
        assert record == json.loads(json.dumps(access_record(store, 1)))
    assert [(order["external_id"], order["total"]) for order in record["orders"]] == [
        tuple(row) for row in orders
    ]
    assert all(order["lines"] for order in record["orders"])
    assert "repeat" in record["segments"]
    assert {run["kind"] for run in record["import_runs"]} <= {"customers", "orders"}
    assert record["import_runs"], "the runs that added or changed the customer"
    assert not list(tmp_path.glob(".anna.json.*")), "no temporary file left behind"


def test_an_id_and_standard_output_work_too(db: Path) -> None:
    result = invoke("2", "--out", "-", "--db", db)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["customer"]["email"] == "Jurgen@Example.org"


def test_unknown_person_is_refused_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "nobody.json"
    result = invoke("nobody@example.com", "--out", out, "--db", db)
    assert result.exit_code == 2
    assert "no customer with this email address or id" in result.stderr
    assert not out.exists()


def test_an_existing_file_is_replaced_whole_or_left_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "record.json"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        write_private_json({"not json": object()}, out)
    assert out.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [out]
    write_private_json({"a": 1}, out)
    assert json.loads(out.read_text(encoding="utf-8")) == {"a": 1}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_folder_or_unwritable_place_is_one_line_error(db: Path, tmp_path: Path) -> None:
    result = invoke("1", "--out", tmp_path, "--db", db)
    assert result.exit_code == 2
    assert "is a folder" in result.stderr
    result = invoke("1", "--out", tmp_path / "missing" / "x.json", "--db", db)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --out")
