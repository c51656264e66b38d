"""`retain-tui referral codes`: stable personal codes, unique with campaign codes, written in
the shop-import formats as multi-use codes not limited to an address."""

from __future__ import annotations

import csv
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.campaigns.codes import CODE_PATTERN
from core.campaigns.records import codes_in_use
from core.importers import import_file
from core.referrals.codes import ensure_codes
from core.store import open_store
from tests.codes_support import GENERIC_HEADER, add_campaign, generic_row, write_csv
from tui.cli import build_app

app = build_app()
EMAILS = ["ann@example.com", "bob@example.com", "=HYPERLINK(1)@example.com"]


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Three customers (ids 1-3) and a campaign code of ann's."""
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        rows = [generic_row(f"A-{n}", email, f"2024-10-0{n}", "30.00", "")
                for n, email in enumerate(EMAILS, start=1)]  # fmt: skip
        import_file(store, write_csv(tmp_path / "orders.csv", GENERIC_HEADER, rows), "orders")
        add_campaign(store, "winback", {"WINBACK-7KQ2M9XD": 1})
    return path


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def stored(db: Path) -> dict[int, str]:
    with open_store(db) as store:
        return dict(store.execute("SELECT customer_id, code FROM referral_codes"))


def test_csv_names_each_code_s_referrer_and_limits_it_to_nobody(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "codes.csv"
    result = invoke("referral", "codes", "--customers", "1,2", "--customers", "3", "--out", out,
                    "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote 3 referral codes (3 new, 10% off for the new customer, csv)" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    codes = stored(db)
    rows = read(out)
    assert [row["code"] for row in rows] == [codes[1], codes[2], codes[3]]
    assert all(CODE_PATTERN.fullmatch(code) and code.startswith("REF-") for code in codes.values())
    assert {(row["value"], row["type"], row["customer_email"], row["expires"]) for row in rows} == {
        ("10", "percent", "", "")
    }
    # formula-safe: the third customer's address starts with '='
    assert [row["referrer_email"] for row in rows] == [*EMAILS[:2], "'" + EMAILS[2]]


def test_re_runs_keep_codes_and_add_new_ones(db: Path, tmp_path: Path) -> None:
    assert invoke("referral", "codes", "--customers", "1", "--out", tmp_path / "a.csv",
                  "--db", db).exit_code == 0  # fmt: skip
    first = stored(db)
    result = invoke("referral", "codes", "--customers", "1,2", "--prefix", "friend",
                    "--out", tmp_path / "b.csv", "--db", db, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["new"] == 1
    second = stored(db)
    assert second[1] == first[1] and second[2].startswith("FRIEND-")
    assert [row["code"] for row in read(tmp_path / "b.csv")] == [second[1], second[2]]


def test_shopify_rows_have_no_usage_limit_once_per_customer(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "shopify.csv"
    result = invoke("referral", "codes", "--customers", "1,2", "--format", "shopify",
                    "--discount", "5EUR", "--out", out, "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert len(rows) == 2
    for row in rows:
        assert (row["Title"], row["Command"], row["Value Type"], row["Value"]) == (
            "Referral codes", "MERGE", "Fixed Amount", "5.00"
        )  # fmt: skip
        assert (row["Limit Total Times"], row["Limit One Use Per Customer"], row["Ends At"]) == (
            "", "TRUE", ""
        )  # fmt: skip


def test_woocommerce_rows_are_not_limited_to_an_address(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "woo.csv"
    result = invoke("referral", "codes", "--customers", "1", "--format", "woocommerce",
                    "--discount", "12.5%", "--out", out, "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = read(out)
    assert (row["post_title"], row["discount_type"], row["coupon_amount"]) == (
        stored(db)[1], "percent", "12.5"
    )  # fmt: skip
    assert (row["usage_limit"], row["usage_limit_per_user"], row["customer_email"]) == ("", "1", "")


def test_a_segment_gives_its_members_codes(db: Path, tmp_path: Path) -> None:
    assert invoke("segment", "add", "early", "orders >= 1", "--db", db).exit_code == 0
    result = invoke("referral", "codes", "--segment", "early", "--out", tmp_path / "s.csv",
                    "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(stored(db)) == [1, 2, 3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "choose customers: --segment NAME and/or --customers IDS"),
        (["--customers", "7"], "--customers: no customer has id 7 (nothing was written)"),
        (["--customers", "x"], "--customers 'x': customer ids are numbers"),
        (["--customers", "1", "--prefix", "a-b"], "--prefix 'a-b': use 1 to 16 letters"),
        (["--customers", "1", "--discount", "5USD%"], "--discount: discount:"),
        (["--segment", "nope"], "--segment:"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_stored(
    db: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = invoke("referral", "codes", *args, "--out", tmp_path / "x.csv", "--db", db)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.output
    assert stored(db) == {} and not (tmp_path / "x.csv").exists()


def test_an_existing_file_is_refused_before_any_code_is_drawn(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    out.write_text("mine", encoding="utf-8")
    result = invoke("referral", "codes", "--customers", "1", "--out", out, "--db", db)
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert out.read_text(encoding="utf-8") == "mine" and stored(db) == {}


def test_codes_are_unique_with_campaign_codes(db: Path) -> None:
    """A referral code never repeats a campaign code nor the other way round: the drawing
    skips codes in either table, and the triggers refuse one stored by a racing writer."""
    with open_store(db) as store:
        with store.write() as conn:
            assert codes_in_use(conn, ["WINBACK-7KQ2M9XD", "REF-22222222"]) == ["WINBACK-7KQ2M9XD"]
            with pytest.raises(sqlite3.IntegrityError, match="issued by a campaign"):
                conn.execute("INSERT INTO referral_codes VALUES ('WINBACK-7KQ2M9XD', 2, 'now')")
        ensure_codes(store, [2], "REF")
        code = store.scalar("SELECT code FROM referral_codes WHERE customer_id = 2")
        with store.write() as conn:
            assert codes_in_use(conn, [code]) == [code]
        with pytest.raises(sqlite3.IntegrityError, match="issued as a referral code"):
            add_campaign(store, "another", {code: 3})


def test_drawing_skips_a_code_a_campaign_holds(db: Path) -> None:
    """The generator's first draw is a campaign's code (bytes that spell it): drawn again."""
    with open_store(db) as store:
        add_campaign(store, "ref-like", {"REF-22222222": 3})
        draws = iter([bytes([0] * 8), bytes([1] * 8)])  # '2' * 8, then '3' * 8
        found, drawn = ensure_codes(store, [1], "REF", token=lambda n: next(draws)[:n])
    assert drawn == 1 and found == {1: "REF-33333333"}
