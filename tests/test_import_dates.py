"""Dates as shop owners' spreadsheets write them: 03.11.2026, 03/11/2026, 2026-11-03T10:00Z.

Day first or month first is decided per file from every date in it, or by `--date-format`;
a file that never says, or says both, is refused naming the option or the lines. Checked by
hand on small files and against the truth on generated dates written every way.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from core.importers import FatalImportError, import_file
from core.store import Store, open_store
from core.values import NeedsDateOrder, date_order_evidence, parse_timestamp
from tui.cli import build_app

HEADER = ["order_id", "ordered_at", "email", "total"]


def write_orders(path: Path, stamps: list[str], cancelled: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER + (["cancelled_at"] if cancelled else []))
        for number, stamp in enumerate(stamps, start=1):
            row = [f"O-{number}", stamp, f"c{number}@example.com", "10.00"]
            writer.writerow(row + ([cancelled[number - 1]] if cancelled else []))
    return path


def days(store: Store) -> dict[str, date]:
    rows = store.execute("SELECT external_id, order_day FROM orders").fetchall()
    return {order_id: date.fromordinal(day) for order_id, day in rows}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with open_store(tmp_path / "shop.db", create=True) as store:
        yield store


# -- one value -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "order", "iso"),
    [
        ("03.11.2026", None, "2026-11-03"),
        ("3.11.2026", "MDY", "2026-11-03"),  # dots are day first, whatever the option
        ("03.11.2026 10:00", None, "2026-11-03T10:00:00"),
        ("03/11/2026", "DMY", "2026-11-03"),
        ("03/11/2026", "MDY", "2026-03-11"),
        ("03-11-2026 10:00:05", "DMY", "2026-11-03T10:00:05"),
        ("11/3/2026 2:15 PM", "MDY", "2026-11-03T14:15:00"),
        ("11/3/2026 12:15 am", "MDY", "2026-11-03T00:15:00"),
        ("03/11/2026T10:00:00Z", "DMY", "2026-11-03T10:00:00+00:00"),
        ("03/11/2026 10:00 +0100", "DMY", "2026-11-03T10:00:00+01:00"),
        ("03/11/2026 23:30 -02:00", "DMY", "2026-11-03T23:30:00-02:00"),  # the local day
        ("2026/11/03", None, "2026-11-03"),
        ("2026-11-03T10:00:00Z", None, "2026-11-03T10:00:00+00:00"),
        (" 2026-11-03 ", "MDY", "2026-11-03"),  # ISO is never read by the option
    ],
)
def test_written_dates(text: str, order: str | None, iso: str) -> None:
    stamp, day = parse_timestamp(text, order)
    assert stamp == iso and day == date.fromisoformat(iso[:10]).toordinal()


def test_a_slash_date_needs_an_order() -> None:
    with pytest.raises(NeedsDateOrder, match="--date-format DMY or MDY"):
        parse_timestamp("25/03/2026")  # even one that could only be day first: the file decides
    with pytest.raises(ValueError, match=r"not a date: '25/03/2026' \(read month first, MDY\)"):
        parse_timestamp("25/03/2026", "MDY")


@pytest.mark.parametrize(
    ("text", "evidence"),
    [("25/03/2026", "DMY"), ("03/25/2026 10:00", "MDY"), ("03-11-2026", "either"),
     ("12/12/2026", "either"), ("25/25/2026", None), ("32/01/2026", None), ("0/5/2026", None),
     ("03.11.2026", None),
     ("2026-03-25", None), ("2026/03/25", None), ("yesterday", None)],
)  # fmt: skip
def test_what_one_date_says_about_its_file(text: str, evidence: str | None) -> None:
    assert date_order_evidence(text) == evidence


# -- one file ------------------------------------------------------------------------------


def test_dotted_dates_import_day_first(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "o.csv", ["03.11.2026", "04.11.2026 09:30"])
    result = import_file(store, path, "orders")
    assert (result.rows_rejected, result.date_order) == (0, None)  # nothing to decide
    assert days(store) == {"O-1": date(2026, 11, 3), "O-2": date(2026, 11, 4)}


def test_one_day_above_12_makes_the_whole_file_day_first(store: Store, tmp_path: Path) -> None:
    # The deciding date is the last one: every earlier row waits for it.
    stamps = ["03/11/2026", "2026-11-05T10:00:00Z", "04/11/2026 10:00", "25/11/2026"]
    result = import_file(store, write_orders(tmp_path / "o.csv", stamps), "orders")
    assert result.date_order == "DMY"
    assert days(store) == {"O-1": date(2026, 11, 3), "O-2": date(2026, 11, 5),
                           "O-3": date(2026, 11, 4), "O-4": date(2026, 11, 25)}  # fmt: skip


def test_one_month_part_above_12_makes_it_month_first(store: Store, tmp_path: Path) -> None:
    stamps = ["03-11-2026", "11-25-2026"]
    result = import_file(store, write_orders(tmp_path / "o.csv", stamps), "orders")
    assert result.date_order == "MDY"
    assert days(store) == {"O-1": date(2026, 3, 11), "O-2": date(2026, 11, 25)}


def test_the_cancelled_at_column_also_decides(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "o.csv", ["03/11/2026"], cancelled=["11/14/2026"])
    import_file(store, path, "orders")
    assert days(store) == {"O-1": date(2026, 3, 11)}
    assert store.scalar("SELECT cancelled_at FROM orders") == "2026-11-14"


def test_a_file_ambiguous_throughout_is_refused_naming_the_option(
    store: Store, tmp_path: Path
) -> None:
    path = write_orders(tmp_path / "orders.csv", ["2026-01-02", "03/11/2026", "04/11/2026"])
    with pytest.raises(FatalImportError) as refused:
        import_file(store, path, "orders")
    message = str(refused.value)
    assert message.startswith("orders.csv:3: ordered_at: '03/11/2026' may be day first or")
    assert "--date-format DMY" in message and "--date-format MDY" in message
    assert store.scalar("SELECT count(*) FROM orders") == 0  # nothing half-written
    import_file(store, path, "orders", date_format="dmy")
    assert days(store)["O-2"] == date(2026, 11, 3)


def test_a_file_written_both_ways_is_refused_with_both_lines(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.csv", ["03/11/2026", "25/11/2026", "11/26/2026"])
    with pytest.raises(FatalImportError) as refused:
        import_file(store, path, "orders")
    message = str(refused.value)
    assert "'25/11/2026' in ordered_at, line 3" in message
    assert "'11/26/2026' in ordered_at, line 4" in message
    assert store.scalar("SELECT count(*) FROM orders") == 0


def test_the_option_wins_and_rows_it_cannot_read_are_rejected(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.csv", ["03/11/2026", "25/11/2026", "11/26/2026"])
    result = import_file(store, path, "orders", date_format="MDY")
    assert result.errors == [
        "orders.csv:3: ordered_at: not a date: '25/11/2026' (read month first, MDY)"
    ]
    assert days(store) == {"O-1": date(2026, 3, 11), "O-3": date(2026, 11, 26)}


def test_reimporting_with_the_other_order_updates_the_orders(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.csv", ["2026-01-02", "03/11/2026"])
    import_file(store, path, "orders", date_format="DMY")
    again = import_file(store, path, "orders", date_format="DMY")
    assert (again.orders_updated, again.orders_unchanged) == (0, 2)
    other = import_file(store, path, "orders", date_format="MDY")
    assert (other.orders_updated, other.orders_unchanged) == (1, 1)  # the ISO one is the same
    assert days(store)["O-2"] == date(2026, 3, 11)


def test_customers_files_read_their_dates_the_same_way(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("email,created_at\na@example.com,03/11/2026\nb@example.com,\n", "utf-8")
    with pytest.raises(FatalImportError, match="--date-format"):
        import_file(store, path, "customers")
    import_file(store, path, "customers", date_format="MDY")
    assert store.scalar("SELECT created_at FROM customers WHERE email = 'a@example.com'") == (
        "2026-03-11"
    )


def test_an_unknown_date_format_is_refused(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.csv", ["2026-01-02"])
    with pytest.raises(FatalImportError, match="--date-format 'YMD': choose DMY"):
        import_file(store, path, "orders", date_format="YMD")


# -- the command ---------------------------------------------------------------------------


def test_the_command_takes_the_option_and_refuses_with_exit_code_2(tmp_path: Path) -> None:
    app, db = build_app(), tmp_path / "shop.db"
    path = write_orders(tmp_path / "orders.csv", ["03/11/2026"])
    refused = CliRunner().invoke(app, ["import", "orders", str(path), "--db", str(db)])
    assert refused.exit_code == 2
    assert "--date-format DMY" in refused.stderr and "nothing was imported" in refused.stderr
    done = CliRunner().invoke(
        app, ["import", "orders", str(path), "--date-format", "DMY", "--db", str(db)]
    )
    assert done.exit_code == 0, done.output
    assert "comma-delimited, dates day first)" in done.stdout
    bad = CliRunner().invoke(app, ["import", "customers", str(path), "--date-format", "x"])
    assert bad.exit_code == 2 and "'--date-format': 'x' is not one of 'auto', 'DMY', 'MDY'" in (
        bad.stderr
    )


# -- generated dates, written every way ----------------------------------------------------

STYLES = {
    "iso": lambda m: m.strftime("%Y-%m-%d"),
    "iso-utc": lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "shopify": lambda m: m.strftime("%Y-%m-%d %H:%M:%S +0100"),
    "year-slash": lambda m: m.strftime("%Y/%m/%d"),
    "dots": lambda m: m.strftime("%d.%m.%Y"),
    "dots-time": lambda m: m.strftime("%d.%m.%Y %H:%M"),
    "dmy": lambda m: m.strftime("%d/%m/%Y"),
    "dmy-time": lambda m: m.strftime("%d/%m/%Y %H:%M:%S"),
    "dmy-dash": lambda m: f"{m.day}-{m.month}-{m.year}",
    "mdy": lambda m: m.strftime("%m/%d/%Y"),
    "mdy-12h": lambda m: (
        f"{m.month}/{m.day}/{m.year} {(m.hour - 1) % 12 + 1}:{m.minute:02d} "
        + ("PM" if m.hour >= 12 else "AM")
    ),
}
ORDER_OF = {"dmy": "DMY", "dmy-time": "DMY", "dmy-dash": "DMY", "mdy": "MDY", "mdy-12h": "MDY"}


@settings(max_examples=60)
@given(
    moments=st.lists(
        st.datetimes(datetime(1990, 1, 1), datetime(2025, 12, 31)), min_size=1, max_size=8
    ),
    style=st.sampled_from(sorted(STYLES)),
    tell=st.booleans(),
)
def test_generated_dates_import_as_the_truth(
    tmp_path_factory, moments: list[datetime], style: str, tell: bool
) -> None:
    folder = tmp_path_factory.mktemp("dates")
    path = write_orders(folder / "orders.csv", [STYLES[style](m) for m in moments])
    order = ORDER_OF.get(style)
    date_format = order if tell else None
    # The rule: a slash or dash file is decided by a date whose day is above 12.
    decided = order is None or tell or any(m.day > 12 for m in moments)
    with open_store(folder / "shop.db", create=True) as store:
        if not decided:
            with pytest.raises(FatalImportError, match="--date-format"):
                import_file(store, path, "orders", date_format=date_format)
            return
        result = import_file(store, path, "orders", date_format=date_format)
        assert result.rows_rejected == 0, result.errors
        expected = {f"O-{n}": m.date() for n, m in enumerate(moments, start=1)}
        assert days(store) == expected


def test_a_late_deciding_date_in_a_big_file(store: Store, tmp_path: Path) -> None:
    """Deciding reads the file once more; the rows read before it wait in no list."""
    first = date(2025, 1, 1)
    stamps = [(first + timedelta(days=n % 300)).strftime("%m/%d/%Y") for n in range(20_000)]
    stamps = [stamp for stamp in stamps if int(stamp[3:5]) <= 12] + ["12/31/2025"]
    import_file(store, write_orders(tmp_path / "big.csv", stamps), "orders")
    got = days(store)
    assert len(got) == len(stamps)
    assert got[f"O-{len(stamps)}"] == date(2025, 12, 31)
    assert got["O-1"] == first


def test_slash_dates_that_read_neither_way_are_rejected_rows(store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.csv", ["2026-01-02", "32/13/2026"])
    result = import_file(store, path, "orders")
    assert result.errors == [
        "orders.csv:3: ordered_at: not a date: '32/13/2026' (read day first, DMY)"
    ]
    assert days(store) == {"O-1": date(2026, 1, 2)}
