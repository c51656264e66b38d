"""`retain-tui import orders|customers` and `retain-tui demo`, through Typer's CliRunner."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.paths import DB_ENV
from core.store import open_store
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()

JSON_KEYS = {
    "file", "kind", "format", "encoding", "delimiter", "date_order", "rows_read", "orders_added",
    "orders_updated", "orders_unchanged", "customers_added", "customers_updated",
    "rows_rejected", "errors", "warnings", "consent_suppressed", "codes_redeemed", "codes_reused",
    "referrals_credited", "referrals_reversed", "remembered_mapping", "points_codes_used",
    "points_codes_returned",
    "seconds", "merge_seconds",
    "rows_per_second", "predictions",
}  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "shop.db"


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args], env=env)


def flat(text: str) -> str:
    """Output with Rich's line wrapping undone, for substring checks."""
    return re.sub(r"\s+", " ", text)


def count(db: Path, sql: str) -> object:
    with open_store(db) as store:
        return store.scalar(sql)


def test_import_orders_prints_a_summary(db: Path, data: Callable[[str], Path]) -> None:
    result = invoke("import", "orders", data("shopify_orders.csv"), "--db", db)
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "(shopify orders, utf-8-sig, comma-delimited)" in out
    for label, value in (("rows read", 10), ("orders added", 6), ("orders updated", 0),
                         ("orders unchanged", 0), ("customers added", 3),
                         ("customers updated", 0), ("rows rejected", 0)):  # fmt: skip
        assert re.search(rf"{label} +{value}\b", out), label
    assert re.search(r"took \d+\.\d\d s \([\d,]+ rows/s\)", out)
    assert result.stderr == ""
    assert count(db, "SELECT count(*) FROM orders") == 6


def test_import_customers(db: Path, data: Callable[[str], Path]) -> None:
    result = invoke("import", "customers", data("shopify_customers.csv"), "--db", db)
    assert result.exit_code == 0, result.output
    assert re.search(r"customers added +5\b", result.stdout)
    assert "orders added" not in result.stdout


def test_json_output(db: Path, data: Callable[[str], Path]) -> None:
    result = invoke("import", "orders", data("generic_orders.csv"), "--db", db, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == JSON_KEYS
    assert summary["orders_added"] == 5 and summary["format"] == "generic"
    assert summary["predictions"]["state"] == "none"  # no fit stored (docs/predictions.md)
    assert 0 < summary["merge_seconds"] <= summary["seconds"]
    again = json.loads(invoke("import", "orders", data("generic_orders.csv"), "--db", db,
                              "--json").stdout)  # fmt: skip
    assert (again["orders_added"], again["orders_unchanged"]) == (0, 5)


def test_rejected_rows_are_listed_up_to_twenty(tmp_path: Path, db: Path) -> None:
    rows = "".join(f"R-{n},not a date,r{n}@example.com,1.00\n" for n in range(25))
    path = tmp_path / "many_bad.csv"
    path.write_text("order_id,ordered_at,email,total\nOK-1,2024-01-01,a@example.com,1.00\n" + rows,
                    encoding="utf-8")  # fmt: skip
    result = invoke("import", "orders", path, "--db", db)
    assert result.exit_code == ExitCode.PARTIAL == 3, result.output
    assert count(db, "SELECT count(*) FROM orders") == 1  # the good row is in
    out = flat(result.stdout)
    assert re.search(r"rows rejected +25\b", out)
    assert out.count("many_bad.csv:") == 20
    assert "many_bad.csv:3: ordered_at: not a date: 'not a date'" in out
    assert "… and 5 more" in out
    as_json = invoke("import", "orders", path, "--db", db, "--json")
    assert as_json.exit_code == ExitCode.PARTIAL
    summary = json.loads(as_json.stdout)
    assert summary["rows_rejected"] == 25 and len(summary["errors"]) == 25


def test_rejected_values_are_printed_literally_not_as_markup(tmp_path: Path, db: Path) -> None:
    path = tmp_path / "markup.csv"
    path.write_text("order_id,ordered_at,email,total\nM-1,2024-01-01,a@example.com,[bold]12[/]\n",
                    encoding="utf-8")  # fmt: skip
    result = invoke("import", "orders", path, "--db", db)
    assert result.exit_code == ExitCode.PARTIAL, result.output
    assert "'[bold]12[/]'" in flat(result.stdout)


def test_strict_fails_and_imports_nothing(db: Path, data: Callable[[str], Path]) -> None:
    result = invoke("import", "orders", data("bad_rows.csv"), "--db", db, "--strict")
    assert result.exit_code == ExitCode.REFUSED == 2
    err = flat(result.stderr)
    assert "error:" in err and "bad_rows.csv:4: ordered_at:" in err and "--strict" in err
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not db.exists()  # a failed first import leaves no empty shop behind


def test_map_option(db: Path, data: Callable[[str], Path]) -> None:
    args = ["--map", "Bestellnr=order_id", "--map", "Bestelldatum=ordered_at",
            "--map", "Summe=total", "--map", "Erstattet=refunded"]  # fmt: skip
    result = invoke("import", "orders", data("generic_semicolon_decimal_comma.csv"), "--db", db,
                    "--json", *args)  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["encoding"], summary["delimiter"], summary["orders_added"]) == (
        "cp1252", "semicolon", 3,
    )  # fmt: skip
    assert count(db, "SELECT sum(total - refunded) FROM orders") == 123456 + 1250 - 250 + 9990


def test_format_option(db: Path, data: Callable[[str], Path]) -> None:
    result = invoke("import", "orders", data("generic_tab.tsv"), "--db", db, "--format",
                    "generic", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format"] == "generic"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["orders", "unbalanced_quote.csv"], "unbalanced_quote.csv:3: malformed CSV"),
        (["orders", "missing.csv"], "cannot read: No such file or directory"),
        (["orders", "generic_orders.csv", "--map", "oops"], "--map 'oops': expected COLUMN=FIELD"),
        (["orders", "shopify_customers.csv"], "import customers"),
        (["orders", "empty.csv"], "the file is empty"),
    ],
)
def test_fatal_errors_go_to_stderr_without_traceback(
    db: Path, data: Callable[[str], Path], args: list[str], message: str
) -> None:
    kind, name, *rest = args
    path = data("empty.csv").with_name(name) if name == "missing.csv" else data(name)
    result = invoke("import", kind, path, "--db", db, *rest)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    err = flat(result.stderr)
    assert err.startswith("error: ") and message in err, err
    assert "nothing was imported" in err
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not db.exists()  # a failed first import leaves no empty shop behind


def test_an_unknown_format_is_refused_with_the_choices(
    db: Path, data: Callable[[str], Path]
) -> None:
    result = invoke("import", "orders", data("generic_orders.csv"), "--db", db, "--format", "x")
    assert result.exit_code == ExitCode.REFUSED
    assert "Invalid value for '--format': 'x' is not one of 'auto', 'shopify'" in result.stderr
    assert "Traceback" not in result.output
    assert not db.exists() or count(db, "SELECT count(*) FROM orders") == 0


def test_ctrl_c_says_nothing_was_imported(
    db: Path, data: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.commands.importing as importing

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(importing, "import_file", interrupted)
    result = invoke("import", "orders", data("generic_orders.csv"), "--db", db)
    assert result.exit_code == 130
    assert "interrupted: nothing was imported" in flat(result.stderr)


def test_unusable_database_is_a_clean_error(tmp_path: Path, data: Callable[[str], Path]) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello\n" * 100, encoding="utf-8")
    result = invoke("import", "orders", data("generic_orders.csv"), "--db", not_a_db)
    assert result.exit_code == 2
    assert "not a retain-tui database" in flat(result.stderr)
    assert "Traceback" not in result.output


def test_db_location_option_then_environment(tmp_path: Path, data: Callable[[str], Path]) -> None:
    from_env, from_option = tmp_path / "env" / "shop.db", tmp_path / "opt" / "shop.db"
    env = {DB_ENV: str(from_env)}
    assert invoke("import", "orders", data("generic_orders.csv"), env=env).exit_code == 0
    assert from_env.exists() and not from_option.exists()
    result = invoke("import", "orders", data("utf8_bom.csv"), "--db", from_option, env=env)
    assert result.exit_code == 0
    assert count(from_option, "SELECT count(*) FROM orders") == 2
    assert count(from_env, "SELECT count(*) FROM orders") == 5
    # --db given before the subcommand works too.
    result = invoke("--db", from_option, "import", "orders", data("generic_tab.tsv"), env=env)
    assert result.exit_code == 0
    assert count(from_option, "SELECT count(*) FROM orders") == 4


def test_import_help_lists_the_options() -> None:
    result = invoke("import", "orders", "--help")
    assert result.exit_code == 0
    for option in ("--format", "--map", "--strict", "--db", "--json"):
        assert option in result.stdout


# -- the demo shop ------------------------------------------------------------------------------


def test_demo_loads_the_sample_shop_into_a_new_file(db: Path) -> None:
    result = invoke("demo", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    customers, orders = json.loads(result.stdout)
    assert (customers["kind"], orders["kind"]) == ("customers", "orders")
    assert customers["rows_rejected"] == 0 and orders["rows_rejected"] == 0
    assert customers["customers_added"] == 2000
    assert 7000 <= orders["orders_added"] <= 8500
    assert orders["file"].endswith("orders_export.csv") and "retain-demo-" not in orders["file"]
    # Every buyer is in the customers file, and the orders change none of them.
    assert (orders["customers_added"], orders["customers_updated"]) == (0, 0)
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM customers") == 2000
        non_ascii = store.scalar(
            "SELECT count(*) FROM customers WHERE first_name || last_name GLOB '*[^ -~]*'"
        )
        assert non_ascii >= 5  # type: ignore[operator]
        assert store.scalar("SELECT count(*) FROM customers WHERE last_name = 'Müller'")
        opted_out = store.scalar("SELECT avg(accepts_marketing = 0) FROM customers")
        assert 0.10 <= opted_out <= 0.20  # type: ignore[operator]
        assert store.scalar("SELECT count(*) FROM orders WHERE cancelled") > 0  # type: ignore[operator]
        assert store.scalar("SELECT count(*) FROM orders WHERE customer_id IS NULL") == 0
        assert store.get_setting("shop.currency") == "EUR"
        order_count = store.scalar("SELECT count(*) FROM orders")
    again = invoke("demo", "--db", db, "--json")  # an earlier demo is replaced, not doubled
    assert again.exit_code == 0, again.output
    customers, orders = json.loads(again.stdout)
    assert (customers["customers_added"], orders["orders_added"]) == (2000, order_count)
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM customers") == 2000
        assert store.scalar("SELECT count(*) FROM orders") == order_count


def test_demo_prints_where_it_loaded(db: Path) -> None:
    result = invoke("demo", "--db", db)
    assert result.exit_code == 0, result.output
    assert "Demo shop loaded into" in flat(result.stdout)
    assert str(db) in result.stdout.replace("\n", "")
