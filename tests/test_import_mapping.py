"""Column mappings of generic CSVs (core/importers/mapping.py) and what an import will make
of a file before it runs (core/importers/preview.py): checked, remembered per header set,
used by `retain-tui import` when no --map is given."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.csvfile import FatalImportError
from core.importers import import_file, parse_mapping
from core.importers.mapping import (
    header_set_key,
    mapping_from_choices,
    remember_mapping,
    remembered_mapping,
)
from core.importers.preview import date_order, preview_file
from core.store import open_store
from tui.cli import build_app
from tui.commands.common import ExitCode

GERMAN = (
    "Nr;Datum;Kunde;Betrag;Status\n"
    "A-1;03/11/2024;anna@example.com;12,50;storniert\n"
    "A-2;25/11/2024;bo@example.com;5,00;cancelled\n"
)
MAPPING = {"Nr": "order_id", "Datum": "ordered_at", "Kunde": "email", "Betrag": "total"}
"""The owner's choice for GERMAN: `Status` left out on purpose (its words are not ours)."""


@pytest.fixture
def german(tmp_path: Path) -> Path:
    path = tmp_path / "bestellungen.csv"
    path.write_text(GERMAN, encoding="utf-8")
    return path


def test_the_header_set_key_ignores_order_case_and_spacing() -> None:
    key = header_set_key(["Nr", "Datum", "Kunde"])
    assert key == header_set_key(["kunde ", "NR", "datum"])
    assert key != header_set_key(["Nr", "Datum", "Kunde", "Betrag"])


def test_two_fields_from_one_column_are_refused() -> None:
    assert mapping_from_choices({"order_id": "Nr", "total": "Betrag"}) == {
        "Nr": "order_id",
        "Betrag": "total",
    }
    with pytest.raises(FatalImportError, match="order_id and customer_id are both read from"):
        mapping_from_choices({"order_id": "Nr", "customer_id": "nr"})


def test_map_options_naming_a_column_or_a_field_twice_are_refused() -> None:
    with pytest.raises(FatalImportError, match="column 'Nr' is already read as order_id"):
        parse_mapping(["Nr=order_id", "Nr=customer_id"])
    with pytest.raises(FatalImportError, match="field order_id is named twice"):
        parse_mapping(["Nr=order_id", "Id=order_id"])


def test_a_remembered_mapping_is_kept_per_kind_and_header_set(tmp_path: Path) -> None:
    with open_store(tmp_path / "shop.db", create=True) as store:
        header = ["Nr", "Datum", "Kunde", "Betrag", "Status"]
        assert remembered_mapping(store, "orders", header) is None
        remember_mapping(store, "orders", header, MAPPING)
        kept = remembered_mapping(store, "orders", list(reversed(header)))
        assert kept is not None and kept.mapping == MAPPING
        assert remembered_mapping(store, "customers", header) is None
        assert remembered_mapping(store, "orders", header[:-1]) is None
        remember_mapping(store, "orders", header, None)  # back to the column names
        assert remembered_mapping(store, "orders", header) is None


def test_an_import_reads_the_remembered_columns_and_only_those(tmp_path: Path, german: Path):
    with open_store(tmp_path / "shop.db", create=True) as store:
        with pytest.raises(FatalImportError, match="no column for order_id"):
            import_file(store, german, "orders", remembered=True)
        remember_mapping(store, "orders", ["Nr", "Datum", "Kunde", "Betrag", "Status"], MAPPING)
        result = import_file(store, german, "orders", remembered=True)
        assert result.remembered_mapping == MAPPING
        assert (result.orders_added, result.rows_rejected, result.date_order) == (2, 0, "DMY")
        # `Status` would be read by its name; the owner left it out, so no order is cancelled.
        rows = store.conn.execute(
            "SELECT external_id, ordered_at, total, status, cancelled FROM orders ORDER BY 1"
        ).fetchall()
        assert rows == [("A-1", "2024-11-03", 1250, None, 0), ("A-2", "2024-11-25", 500, None, 0)]


def test_the_cli_uses_a_remembered_mapping_says_so_and_map_overrides_it(
    tmp_path: Path, german: Path
) -> None:
    db = tmp_path / "shop.db"
    with open_store(db, create=True) as store:
        remember_mapping(store, "orders", ["Nr", "Datum", "Kunde", "Betrag", "Status"], MAPPING)
    runner = CliRunner()
    result = runner.invoke(build_app(), ["import", "orders", str(german), "--db", str(db)])
    assert result.exit_code == ExitCode.OK, result.output
    assert "note: columns read as remembered for this header set: Nr=order_id" in " ".join(
        result.stderr.split()
    )
    as_json = runner.invoke(
        build_app(), ["import", "orders", str(german), "--db", str(db), "--json"]
    )
    assert json.loads(as_json.stdout)["remembered_mapping"] == MAPPING
    mapped = runner.invoke(
        build_app(),
        ["import", "orders", str(german), "--db", str(db), "--json", "--map", "Nr=order_id",
         "--map", "Datum=ordered_at", "--map", "Kunde=email", "--map", "Betrag=total"],
    )  # fmt: skip
    summary = json.loads(mapped.stdout)
    assert summary["remembered_mapping"] is None
    assert summary["orders_updated"] == 2  # `Status` read by its name now: A-2 is cancelled
    with open_store(db) as store:
        assert store.scalar("SELECT cancelled FROM orders WHERE external_id = 'A-2'") == 1


def test_the_preview_says_what_the_import_will_read(tmp_path: Path, german: Path) -> None:
    with open_store(tmp_path / "shop.db", create=True) as store:
        preview = preview_file(german, "orders", store=store)
        assert (preview.encoding, preview.delimiter, preview.detected) == (
            "utf-8-sig",
            "semicolon",
            "generic",
        )
        assert preview.rows[0] == ["A-1", "03/11/2024", "anna@example.com", "12,50", "storniert"]
        assert preview.mappable and preview.recognised == {"status": "Status"}
        assert preview.missing(preview.choices) == [
            "order_id", "ordered_at", "total", "customer_id or email",
        ]  # fmt: skip
        remember_mapping(store, "orders", preview.header, MAPPING)
        again = preview_file(german, "orders", store=store)
        assert again.choices == {v: k for k, v in MAPPING.items()}
        assert again.missing(again.choices) == []
    assert date_order(german, again.choices) == "DMY"
    assert date_order(german, again.choices, "MDY") == "MDY"
    assert date_order(german, {}) == ""  # no date column: no order to decide


def test_a_file_of_the_other_kind_is_previewed_with_the_reason(tmp_path: Path) -> None:
    shopify = tmp_path / "customers_export.csv"
    shopify.write_text(
        "Customer ID,First Name,Email,Accepts Email Marketing,Total Spent\n1,Ada,a@x.org,yes,1\n"
    )
    preview = preview_file(shopify, "orders")
    assert preview.layout is None and "looks like a shopify customers export" in (
        preview.problem or ""
    )
    assert not preview.mappable


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file (byte 8 is NUL"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a spreadsheet? save it as 'CSV UTF-8'"),
        (b"order_id\x00,email\nA1,a@example.com\n", "not a CSV file (byte 8 is NUL"),
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
    ],
)
def test_binary_and_empty_files_are_refused_by_the_preview_and_the_import(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(FatalImportError, match=re.escape(message)):
        preview_file(path, "orders")
    with open_store(tmp_path / "shop.db", create=True) as store:
        with pytest.raises(FatalImportError, match=re.escape("export.csv")):
            import_file(store, path, "orders")
        assert store.scalar("SELECT count(*) FROM orders") == 0


def test_a_stray_nul_in_a_later_row_of_a_text_file_does_not_refuse_the_file(
    tmp_path: Path,
) -> None:
    """Only binary files are refused whole: a NUL inside a customer's name is a character."""
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"order_id,ordered_at,email,first_name,total\n"
        b"A1,2026-03-01,ann@example.com,An\x00n,10.00\n"
        b"A2,2026-03-02,bob@example.com,Bob,12.00\n"
    )
    with open_store(tmp_path / "shop.db", create=True) as store:
        result = import_file(store, path, "orders")
        assert result.orders_added == 2
        assert store.scalar("SELECT count(*) FROM orders") == 2
