"""Reading exports as they come: encodings, delimiters, line numbers, broken files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.csvfile import FatalImportError, open_csv
from tests.unprivileged import Unprivileged, unprivileged  # noqa: F401  (the fixture)


def test_plain_utf8_comma_file(data: Callable[[str], Path]) -> None:
    file = open_csv(data("shopify_orders.csv"))
    assert file.delimiter == ","
    assert file.encoding.startswith("utf-8")
    assert file.header[0] == "Name"
    assert not file.decimal_comma
    records = list(file.records())
    assert len(records) == 10
    assert records[0].line == 2
    assert records[0].values[file.header.index("Billing Name")] == "Anna Schmidt"


def test_bom_is_not_part_of_the_first_header(data: Callable[[str], Path]) -> None:
    assert data("utf8_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    file = open_csv(data("utf8_bom.csv"))
    assert file.header[0] == "order_id"
    names = [record.values[3] + " " + record.values[4] for record in file.records()]
    assert names == ["Bjørn Ødegård", "Jürgen Müller"]


def test_cp1252_from_excel_is_decoded_not_mangled(data: Callable[[str], Path]) -> None:
    raw = data("generic_semicolon_decimal_comma.csv").read_bytes()
    assert b"\xfc" in raw and b"\x80" in raw  # ü and € in Windows-1252
    file = open_csv(data("generic_semicolon_decimal_comma.csv"))
    assert file.encoding == "cp1252"
    assert file.delimiter == ";"
    assert file.decimal_comma
    rows = [record.values for record in file.records()]
    assert rows[0][3:5] == ["Jürgen", "Müller"]
    assert rows[1][3] == "Zoë"
    assert rows[1][6] == "€ 12,50"
    assert rows[2][3:5] == ["François", "Lefèvre"]
    assert [record.line for record in file.records()] == [2, 3, 4]


def test_a_late_non_utf8_byte_is_caught_by_reading_the_whole_file(tmp_path: Path) -> None:
    # UTF-8 for the first megabyte, then one Windows-1252 byte: the whole file is cp1252.
    path = tmp_path / "late.csv"
    filler = "".join(f"{n},2024-01-01,a@example.com,1.00\n" for n in range(40_000))
    path.write_bytes(b"order_id,ordered_at,email,total\n" + filler.encode() + b"X,2024-01-02,"
                     b"M\xfcller@example.com,1.00\n")  # fmt: skip
    assert path.stat().st_size > 1 << 20
    file = open_csv(path)
    assert file.encoding == "cp1252"
    assert list(file.records())[-1].values[2] == "Müller@example.com"


def test_tab_delimited(data: Callable[[str], Path]) -> None:
    file = open_csv(data("generic_tab.tsv"))
    assert file.delimiter == "\t"
    rows = [record.values for record in file.records()]
    assert rows[0][6] == "Earl Grey, loose"  # a comma inside a tab-delimited field
    assert len(rows) == 3


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("a,b,c", ","),
        ("a;b;c", ";"),
        ("a\tb\tc", "\t"),
        ('"a;b",c,d', ","),  # a delimiter inside quotes does not count
        ('"Name, full";Email;Total', ";"),
        ("only", ","),
    ],
)
def test_delimiter_comes_from_the_header(tmp_path: Path, header: str, delimiter: str) -> None:
    path = tmp_path / "file.csv"
    path.write_text(header + "\n", encoding="utf-8")
    assert open_csv(path).delimiter == delimiter


def test_line_numbers_count_physical_lines(data: Callable[[str], Path]) -> None:
    # The first record spans lines 2-3 (a quoted line break): the next one starts on line 4.
    file = open_csv(data("bad_rows.csv"))
    records = list(file.records())
    assert [record.line for record in records] == [2, 4, 5, 6, 7, 8, 9]
    assert records[0].values[4] == "Tea\nwith a line break"


def test_blank_lines_are_skipped_and_numbered(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("a,b\n1,2\n\n\n3,4\n,\n5,6\n", encoding="utf-8")
    records = list(open_csv(path).records())
    assert [(record.line, record.values) for record in records] == [
        (2, ["1", "2"]), (5, ["3", "4"]), (7, ["5", "6"]),
    ]  # fmt: skip


def test_leading_blank_lines_before_the_header(data: Callable[[str], Path]) -> None:
    file = open_csv(data("leading_blank_lines.csv"))
    assert file.header == ["order_id", "ordered_at", "email", "total"]
    records = list(file.records())
    assert [(record.line, record.values[0]) for record in records] == [(4, "N-1")]


def test_header_names_are_trimmed(tmp_path: Path) -> None:
    path = tmp_path / "spaces.csv"
    path.write_text(" Order ID , Total \n1,2\n", encoding="utf-8")
    assert open_csv(path).header == ["Order ID", "Total"]


def test_progress_reports_bytes_up_to_the_size(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("a,b\n" + "".join(f"{n},x\n" for n in range(20_000)), encoding="utf-8")
    calls: list[tuple[int, int]] = []
    file = open_csv(path)
    assert sum(1 for _ in file.records(lambda done, total: calls.append((done, total)))) == 20_000
    size = path.stat().st_size
    assert len(calls) >= 3
    assert all(total == size for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (size, size)
    assert any(0 < done < size for done, _ in calls)


def test_unbalanced_quote_is_fatal_and_names_the_line(data: Callable[[str], Path]) -> None:
    file = open_csv(data("unbalanced_quote.csv"))
    with pytest.raises(FatalImportError, match=r"unbalanced_quote\.csv:3: malformed CSV"):
        list(file.records())


def test_unbalanced_quote_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text('order_id,"ordered_at,total\n1,2024-01-01,3\n', encoding="utf-8")
    with pytest.raises(FatalImportError, match=r"header\.csv:1: malformed header"):
        open_csv(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", r"empty\.csv: the file is empty"),
        ("utf16.csv", r"utf16\.csv: UTF-16 files are not supported"),
        ("undecodable.csv", r"undecodable\.csv: byte 48 is neither UTF-8 nor Windows-1252"),
    ],
)
def test_files_that_cannot_be_read_are_fatal(
    data: Callable[[str], Path], name: str, message: str
) -> None:
    with pytest.raises(FatalImportError, match=message):
        open_csv(data(name))


def test_missing_file_and_directory_are_fatal(tmp_path: Path) -> None:
    with pytest.raises(FatalImportError, match=r"nope\.csv: cannot read: No such file"):
        open_csv(tmp_path / "nope.csv")
    with pytest.raises(FatalImportError, match="cannot read"):
        open_csv(tmp_path)


def test_unreadable_file_is_fatal(unprivileged: Unprivileged) -> None:  # noqa: F811
    """As a user who is not root (root reads a mode-0 file): tests/unprivileged.py."""
    path = unprivileged.home / "secret.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    unprivileged.own(path)
    path.chmod(0)
    read = unprivileged.run(
        [],
        code="from core.csvfile import FatalImportError, open_csv\n"
        f"try:\n    open_csv({str(path)!r})\n"
        "except FatalImportError as exc:\n    print(exc)\n",
    )
    assert read.stdout.strip() == f"{path}: cannot read: Permission denied", read.stderr


def test_an_unreadable_file_given_to_import_is_one_line(unprivileged: Unprivileged) -> None:  # noqa: F811
    """The command says what the library says: one line, exit 2, no usage box."""
    path = unprivileged.home / "secret.csv"
    path.write_text("Name,Email\n#1001,a@example.com\n", encoding="utf-8")
    unprivileged.own(path)
    path.chmod(0)
    db = unprivileged.home / "shop.db"
    result = unprivileged.run(["import", "orders", str(path), "--db", str(db)])
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: cannot read: Permission denied (nothing was imported)"
    ]
    assert not db.exists()
