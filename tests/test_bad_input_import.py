"""Bad input in import files, by class: numbers out of range, dates in the future, negative
totals, ragged rows and endless lines. Each is refused for its row (or, for a line too long
to read, the file) with a message naming the place and the value, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.csvfile import MAX_FIELD, MAX_LINE, FatalImportError, open_csv
from core.importers import import_file
from core.store import open_store
from core.values import MAX_CENTS, MAX_QUANTITY, parse_cents, parse_quantity

HEADER = "order_id,ordered_at,email,first_name,country,total,quantity\n"


def run_import(tmp_path: Path, body: str, header: str = HEADER, kind: str = "orders"):
    path = tmp_path / "orders.csv"
    path.write_text(header + body, encoding="utf-8")
    with open_store(tmp_path / "shop.db", create=True) as store:
        result = import_file(store, path, kind)
        ids = {row[0] for row in store.conn.execute("SELECT external_id FROM orders")}
    return result, ids


def test_numbers_out_of_range_reject_their_row_only(tmp_path: Path) -> None:
    result, ids = run_import(
        tmp_path,
        "A1,2024-03-01,a@example.com,Ann,DE,100000000000000000000.00,1\n"
        "A2,2024-03-02,b@example.com,Bob,DE,10.00,100000000000000000000\n"
        "A3,2024-03-03,c@example.com,Cem,DE,10.00,1e20\n"
        "A4,2024-03-04,d@example.com,Dee,DE,10.00,2\n",
    )
    assert ids == {"A4"}
    assert result.errors == [
        "orders.csv:2: total: amount out of range: '100000000000000000000.00' "
        "(at most 10000000000.00)",
        "orders.csv:3: quantity: quantity out of range: '100000000000000000000' "
        "(at most 1,000,000)",
        "orders.csv:4: quantity: quantity out of range: '1e20' (at most 1,000,000)",
    ]


def test_an_order_dated_in_the_future_is_rejected_and_does_not_move_the_as_of(
    tmp_path: Path,
) -> None:
    tomorrow = date.today() + timedelta(days=1)
    later = tomorrow + timedelta(days=1)
    result, ids = run_import(
        tmp_path,
        "F1,2100-03-02,a@example.com,Ann,DE,10.00,1\n"
        f"F2,{tomorrow},b@example.com,Bob,DE,10.00,1\n"
        f"F3,{later},c@example.com,Cem,DE,10.00,1\n"
        "F4,2024-03-02,d@example.com,Dee,DE,10.00,1\n",
    )
    assert ids == {"F2", "F4"}  # tomorrow is allowed: somewhere it is already tomorrow
    assert result.errors == [
        f"orders.csv:2: ordered_at: dated in the future: '2100-03-02' "
        f"(orders up to {tomorrow} are accepted)",
        f"orders.csv:4: ordered_at: dated in the future: '{later}' "
        f"(orders up to {tomorrow} are accepted)",
    ]


def test_a_negative_total_is_rejected(tmp_path: Path) -> None:
    result, ids = run_import(
        tmp_path,
        "N1,2024-03-01,a@example.com,Ann,DE,-12.50,1\nN2,2024-03-01,b@example.com,Bob,DE,3,1\n",
    )
    assert ids == {"N2"}
    assert result.errors == [
        "orders.csv:2: total: negative total: -12.50 (a refund belongs in its order's refunds)"
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("R1,2024-03-01,a@example.com,Ann,yes,DE,10.00,1", "8 fields where the header has 7"),
        ("R1,2024-03-01,a@example.com,Ann,10.00,1", "6 fields where the header has 7"),
    ],
)
def test_ragged_rows_are_rejected_by_line(tmp_path: Path, row: str, reason: str) -> None:
    result, ids = run_import(tmp_path, f"{row}\nR2,2024-03-01,b@example.com,Bob,IT,4.00,1\n")
    assert ids == {"R2"}
    hint = "(a line break or a delimiter in an unquoted value?)"
    assert result.errors == [f"orders.csv:2: row: {reason} {hint}"]


def test_a_bare_carriage_return_splitting_a_record_rejects_both_halves(tmp_path: Path) -> None:
    result, ids = run_import(
        tmp_path,
        "C1,2024-03-01,a@example.com,Ann\rDE,3.00,1\nC2,2024-03-01,b@example.com,Bob,IT,4.00,1\n",
    )
    assert ids == {"C2"}
    assert [error.split(": row: ")[0] for error in result.errors] == [
        "orders.csv:2",
        "orders.csv:3",
    ]
    with open_store(tmp_path / "shop.db") as store:
        assert store.scalar("SELECT count(*) FROM customers WHERE email = 'yes'") == 0


def test_a_ragged_row_rejects_the_whole_order_it_is_in(tmp_path: Path) -> None:
    result, ids = run_import(
        tmp_path,
        "L1,2024-03-01,a@example.com,Ann,DE,10.00,1\n"
        "L1,2024-03-01,a@example.com,Ann,DE,10.00\n"
        "L2,2024-03-01,b@example.com,Bob,IT,4.00,1\n",
    )
    assert ids == {"L2"}
    assert result.errors[0] == "orders.csv:2: row: belongs to the order rejected at line 3"
    assert result.errors[1].startswith("orders.csv:3: row: 6 fields where the header has 7")


def test_a_trailing_delimiter_and_unnamed_trailing_columns_are_allowed(tmp_path: Path) -> None:
    result, ids = run_import(
        tmp_path,
        "T1,2024-03-01,a@example.com,Ann,DE,10.00,1,\n"  # one empty field too many
        "T2,2024-03-01,b@example.com,Bob,IT,4.00,1\n",  # the unnamed column left out
        header=HEADER.rstrip("\n") + ",\n",
    )
    assert (ids, result.errors) == ({"T1", "T2"}, [])


def test_customers_file_ragged_row(tmp_path: Path) -> None:
    header = "customer_id,email,first_name,country\n"
    result, _ = run_import(
        tmp_path, "C1,a@example.com,Ann\nC2,b@example.com,Bob,IT\n", header, "customers"
    )
    assert result.customers_added == 1
    assert result.errors[0].startswith("orders.csv:2: row: 3 fields where the header has 4")


def test_every_fixture_is_rectangular(data) -> None:
    """The real exports in tests/data read without a ragged row."""
    for path in sorted(Path(data("generic_orders.csv")).parent.glob("*.[ct]sv")):
        if path.name in {"utf16.csv", "undecodable.csv", "unbalanced_quote.csv", "empty.csv"}:
            continue
        records = list(open_csv(path).records())
        assert [r.line for r in records if r.problem] == [], path.name


@settings(max_examples=80, deadline=None)
@given(st.integers())
def test_any_integer_amount_or_quantity_is_a_value_or_a_clear_error(number: int) -> None:
    for text, parse, limit in ((f"{number}.00", parse_cents, MAX_CENTS // 100),
                               (str(number), parse_quantity, MAX_QUANTITY)):  # fmt: skip
        if 0 <= number <= limit or (parse is parse_cents and abs(number) <= limit):
            parse(text)
        else:
            with pytest.raises(ValueError, match=r"out of range|negative quantity"):
                parse(text)


# -- lines and fields too long ----------------------------------------------------------

_MEASURE = textwrap.dedent(
    """
    import resource, sys
    from core.csvfile import FatalImportError, open_csv
    try:
        file = open_csv(sys.argv[1])
        for record in file.records():
            pass
        print("read")
    except FatalImportError as exc:
        print(exc)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def _read_in_child(path: Path) -> tuple[str, int]:
    """The message reading `path` ends with, and the child's peak memory in KiB."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    message, peak = done.stdout.strip().rsplit("\n", 1)
    return message, int(peak)


def _baseline(tmp_path: Path) -> int:
    small = tmp_path / "small.csv"
    small.write_text(HEADER + "A1,2024-03-01,a@example.com,Ann,DE,1.00,1\n", encoding="utf-8")
    return _read_in_child(small)[1]


@pytest.mark.parametrize("where", ["field", "quoted field", "header"])
def test_an_endless_line_is_refused_with_bounded_memory(tmp_path: Path, where: str) -> None:
    size = 50 << 20
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as out:
        if where != "header":
            out.write(HEADER + "A1,2024-03-01,a@example.com,")
        if where == "quoted field":
            out.write('"')
        chunk = "x" * (1 << 20)
        for _ in range(size >> 20):
            out.write(chunk)
        out.write("\n")
    message, peak = _read_in_child(path)
    line = 1 if where == "header" else 2
    if where == "quoted field":  # quoted newlines make long records: the field limit counts
        assert (
            message == f"huge.csv:{line}: a line longer than {MAX_LINE:,} characters "
            f"(a field may hold at most {MAX_FIELD:,}); is this a CSV file?"
        )
    else:
        assert message.startswith(f"huge.csv:{line}: a line longer than {MAX_LINE:,} characters")
    assert "quote" not in message
    assert peak - _baseline(tmp_path) < 40_000, peak  # KiB: a fraction of the 50 MB line


def test_a_field_over_the_limit_across_quoted_lines_names_the_field_limit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "long.csv"
    lines = "\n".join("y" * 1000 for _ in range(1100))  # 1.1 M characters, short lines
    path.write_text(f'{HEADER}A1,2024-03-01,a@example.com,"{lines}",DE,1.00,1\n')
    with pytest.raises(FatalImportError) as caught:
        list(open_csv(path).records())
    assert str(caught.value) == f"long.csv:2: a field longer than {MAX_FIELD:,} characters"
