"""`customers --csv` and `segments --csv`: the --json fields as CSV, every text cell
formula-safe, UTF-8 on stdout; `--csv` with `--json` refused."""

from __future__ import annotations

import csv
import io
import json
from contextlib import redirect_stdout
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from core.customer_list import ROW_FIELDS
from core.importers import import_file
from core.segments import SegmentInfo
from core.store import open_store
from tests.segment_shop import fixture_store
from tui.cli import build_app
from tui.commands.common import print_csv

app = build_app()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    fixture_store(tmp_path).close()
    return tmp_path / "shop.db"


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--db", str(db)])


def csv_rows(result: Result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8"), newline="")))


def as_csv_cell(value: object) -> str:
    """What a --json value reads as in the CSV, written independently of print_csv."""
    if value is None:
        return ""
    if value is True or value is False:
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    text = "; ".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def test_customers_csv_has_the_json_fields_and_values(db: Path) -> None:
    data = json.loads(invoke(db, "customers", "--json").stdout)
    result = invoke(db, "customers", "--csv")
    assert result.stdout.splitlines()[0] == ",".join(ROW_FIELDS)
    rows = csv_rows(result)
    assert len(rows) == len(data) == 7
    assert list(data[0]) == list(ROW_FIELDS)
    for row, expected in zip(rows, data, strict=True):
        assert row == {key: as_csv_cell(value) for key, value in expected.items()}


def test_segments_csv_has_the_json_fields_and_values(db: Path) -> None:
    data = json.loads(invoke(db, "segments", "--json").stdout)
    rows = csv_rows(invoke(db, "segments", "--csv"))
    assert list(rows[0]) == [field.name for field in fields(SegmentInfo)]
    assert rows == [{key: as_csv_cell(value) for key, value in info.items()} for info in data]


def test_no_matching_customer_still_prints_the_header(db: Path) -> None:
    result = invoke(db, "customers", "--csv", "--where", "orders > 1000")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == (",".join(ROW_FIELDS) + "\r\n").encode()


def test_hostile_names_stay_text_in_a_spreadsheet(db: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(
        "customer_id,email,first_name,last_name,country,tags\n"
        'H1,h@example.com,"=HYPERLINK(""http://x"",""y"")","Ünïcødé, ""Jr""\r\nBcc: x",DE,'
        '"@SUM(1), +1"\n'
        "H2,h2@example.com,\u200b-2+3,\t=1,FR,\n",
        encoding="utf-8",
    )
    with open_store(db) as store:
        result = import_file(store, hostile, "customers", fmt="generic")
        assert result.rows_rejected == 0, result.errors
    ok = invoke(db, "segment", "add", "=cmd|' /C calc'!A0", "orders >= 0")
    assert ok.exit_code == 0, ok.output
    rows = {
        row["external_id"]: row
        for row in csv_rows(invoke(db, "customers", "--csv", "--where", 'country in ("DE", "FR")'))
    }
    assert rows["H1"]["first_name"] == '\'=HYPERLINK("http://x","y")'
    assert rows["H1"]["last_name"] == 'Ünïcødé, "Jr"\r\nBcc: x'
    assert rows["H1"]["tags"].startswith("'@SUM(1)")
    assert rows["H2"]["first_name"] == "'\u200b-2+3"
    for row in rows.values():
        for value in row.values():
            assert not value.lstrip(" \u200b").startswith(("=", "+", "@", "\t", "\r")), value
    segments = {row["name"]: row for row in csv_rows(invoke(db, "segments", "--csv"))}
    assert "'=cmd|' /C calc'!A0" in segments


def test_json_and_csv_together_are_refused(db: Path) -> None:
    for command in ("customers", "segments"):
        result = invoke(db, command, "--json", "--csv")
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert result.stderr.strip() == (
            "error: --json and --csv each choose what is printed: give one of them"
        )


INVISIBLE = " \u00a0\u00ad\u200b\u200c\u200d\u2060\ufeff"
"""Spaces and zero-width characters a spreadsheet skips before it sees a formula."""
CELL_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(), st.lists(st.text(alphabet=st.characters(blacklist_characters=";")), max_size=3),
)  # fmt: skip


@example(rows=[{"a": "=1+1", "b": ["@x", "y"]}, {"a": "\u200b-2", "b": 'a,"b"\r\nc'}])
@example(rows=[{"a": -3, "b": "\t=x"}, {"a": " +1", "b": "ok 😀"}])
@given(rows=st.lists(st.fixed_dictionaries({"a": CELL_VALUES, "b": CELL_VALUES}), max_size=5))
def test_any_cells_read_back_as_written_and_formula_safe(rows: list[dict[str, object]]) -> None:
    """Whatever the values (quotes, CR/LF, commas, formulas, emoji), a CSV reader gets each
    cell back: the value, or the value behind one added quote when it could run."""
    out = io.BytesIO()
    with redirect_stdout(io.TextIOWrapper(out, encoding="utf-8")) as wrapper:
        print_csv(["a", "b"], rows)
        wrapper.flush()
    read = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    assert read[0] == ["a", "b"]
    assert len(read) == len(rows) + 1
    for row, cells in zip(rows, read[1:], strict=True):
        for value, cell in zip((row["a"], row["b"]), cells, strict=True):
            plain = as_csv_cell(value) if not isinstance(value, str) else value
            if isinstance(value, str | list) and cell != plain:
                assert cell == "'" + (value if isinstance(value, str) else "; ".join(value))
            else:
                assert cell == plain or (isinstance(value, float) and float(cell) == value)
            if isinstance(value, str | list):
                assert not cell.lstrip(INVISIBLE).startswith(("=", "+", "-", "@", "\t", "\r"))
