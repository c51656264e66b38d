"""`retain-tui import responses`: survey answers from a CSV file, through Typer's CliRunner.

Every bad row is named by line and column and not stored, the rest imports (exit 3); a bad
file is refused whole (exit 2); the same file twice is stored once."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from core.access_request import access_record
from core.importers import import_file
from core.nps.importer import MAX_COMMENT, import_responses
from core.store import open_store
from tui.cli import build_app
from tui.commands.common import ExitCode

DATA = Path(__file__).parent / "data"
app = build_app()
ANNA, JURGEN = "7100000000001", "7100000000002"
HEADER = "customer_id,email,score,answered_at,comment\n"


def make_shop(path: Path) -> Path:
    """Anna (customer 1), Jürgen (2) and the rest of the Shopify fixture, with their orders."""
    with open_store(path, create=True) as store:
        import_file(store, DATA / "shopify_customers.csv", "customers")
        import_file(store, DATA / "shopify_orders.csv", "orders")
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return make_shop(tmp_path / "shop.db")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def write(folder: Path, text: str, name: str = "answers.csv") -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def answers(db: Path) -> list[tuple[object, ...]]:
    with open_store(db) as store:
        return store.execute(
            "SELECT customer_id, score, answered_at, answered_day, comment FROM responses "
            "ORDER BY id"
        ).fetchall()


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_answers_by_shop_id_or_email_are_stored_and_counted(db: Path, tmp_path: Path) -> None:
    file = write(tmp_path, HEADER + f"{ANNA},,9,2026-03-01 10:15:00,Lovely tea\n"
                 ",JURGEN@example.org,4,02.03.2026,\n")  # fmt: skip
    result = invoke("import", "responses", file, "--db", db)
    assert result.exit_code == ExitCode.OK, result.output
    out = flat(result.stdout)
    assert "(generic responses, utf-8-sig, comma-delimited)" in out
    for label, value in (("rows read", 2), ("answers added", 2), ("rows rejected", 0)):
        assert re.search(rf"{label} +{value}\b", out), label
    assert [row[:3] for row in answers(db)] == [(1, 9, "2026-03-01T10:15:00"), (2, 4, "2026-03-02")]
    again = invoke("import", "responses", file, "--db", db, "--json")
    assert again.exit_code == ExitCode.OK
    summary = json.loads(again.stdout)
    assert (summary["responses_added"], summary["responses_unchanged"]) == (0, 2)
    assert len(answers(db)) == 2


def test_the_feedback_link_format_reads_customer_id_as_retain_tuis_number(
    db: Path, tmp_path: Path
) -> None:
    """The link's {customer_id} is the customer's number here: 2 is Jürgen, not a shop id."""
    file = write(tmp_path, "customer_id,score,answered_at\n2,10,2026-03-01T08:00:00+01:00\n")
    result = invoke("import", "responses", file, "--format", "link", "--db", db)
    assert result.exit_code == ExitCode.OK, result.output
    assert answers(db) == [(2, 10, "2026-03-01T08:00:00+01:00", answers(db)[0][3], None)]
    # Read as the shop's customer id, "2" names nobody: reported, not invented.
    generic = invoke("import", "responses", file, "--db", db)
    assert generic.exit_code == ExitCode.PARTIAL
    assert "answers.csv:2: customer_id: no customer '2' in the shop" in flat(generic.stdout)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (f"{ANNA},,11,2026-03-01,", "score", "not a score from 0 to 10: '11'"),
        (f"{ANNA},,-1,2026-03-01,", "score", "not a score from 0 to 10: '-1'"),
        (f"{ANNA},,abc,2026-03-01,", "score", "not a score from 0 to 10: 'abc'"),
        (f"{ANNA},,9.5,2026-03-01,", "score", "not a score from 0 to 10: '9.5'"),
        (f"{ANNA},,,2026-03-01,", "score", "required value is missing"),
        (f"{ANNA},,9,2026-02-30,", "answered_at", "not a date: '2026-02-30'"),
        (f"{ANNA},,9,yesterday,", "answered_at", "not a date: 'yesterday'"),
        (f"{ANNA},,9,,", "answered_at", "required value is missing"),
        (f"{ANNA},,9,2100-01-01,", "answered_at", "dated in the future: '2100-01-01'"),
        ("7199999999999,,9,2026-03-01,", "customer_id", "no customer '7199999999999' in the shop"),
        (",nobody@example.com,9,2026-03-01,", "email", "no customer 'nobody@example.com'"),
        (",,9,2026-03-01,", "customer_id", "no customer: the id or email is missing"),
        (f"{ANNA},,9,2026-03-01,{'x' * (MAX_COMMENT + 1)}", "comment",
         f"a comment of {MAX_COMMENT + 1:,} characters"),
        (f"{ANNA},,9", "row", "3 fields where the header has 5"),
    ],
)  # fmt: skip
def test_a_bad_row_is_named_by_line_and_column_and_not_stored(
    db: Path, tmp_path: Path, row: str, column: str, reason: str
) -> None:
    file = write(tmp_path, HEADER + f"{JURGEN},,8,2026-03-01,fine\n{row}\n")
    result = invoke("import", "responses", file, "--db", db)
    assert result.exit_code == ExitCode.PARTIAL, result.output
    assert f"answers.csv:3: {column}: {reason}" in flat(result.stdout)
    assert re.search(r"rows rejected +1\b", result.stdout)
    assert [row[:2] for row in answers(db)] == [(2, 8)]  # the good row is in
    strict = invoke("import", "responses", file, "--strict", "--db", make_shop(tmp_path / "s.db"))
    assert strict.exit_code == ExitCode.REFUSED
    assert "answers.csv:3:" in flat(strict.stderr) and "nothing was imported" in strict.stderr
    assert answers(tmp_path / "s.db") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("customer_id,answered_at\nx,2026-03-01\n", "answers.csv:1: no column for score"),
        ("customer_id,score\nx,9\n", "answers.csv:1: no column for answered_at"),
        ("score,answered_at\n9,2026-03-01\n", "no column for retain_id or customer_id or email"),
        ("", "answers.csv: the file is empty"),
        ('customer_id,score,answered_at\n"x,9,2026-03-01\n', "malformed CSV"),
        ("Name,Created at,Lineitem quantity,Total\n#1,2026-03-01,1,10\n",
         "this looks like a shopify orders export"),
        ("customer_id,score,answered_at\nx,9,03/04/2026\n", "may be day first or month first"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_whole(db: Path, tmp_path: Path, text: str, message: str) -> None:
    result = invoke("import", "responses", write(tmp_path, text), "--db", db)
    assert result.exit_code == ExitCode.REFUSED, result.output
    assert message in flat(result.stderr) and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert answers(db) == []


def test_a_missing_shop_is_not_created(tmp_path: Path) -> None:
    file = write(tmp_path, HEADER + f"{ANNA},,9,2026-03-01,\n")
    result = invoke("import", "responses", file, "--db", tmp_path / "none.db")
    assert result.exit_code == ExitCode.REFUSED
    assert not (tmp_path / "none.db").exists()


def test_an_interrupted_import_stores_nothing(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or SIGTERM, SIGHUP: the same KeyboardInterrupt) while the answers are matched,
    inside the write transaction: exit 130, no answer and no import run recorded."""
    import core.nps.importer

    def interrupted(conn: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(core.nps.importer, "_match", interrupted)
    file = write(tmp_path, HEADER + f"{ANNA},,9,2026-03-01,\n")
    result = invoke("import", "responses", file, "--db", db)
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "error: interrupted: nothing was imported" in flat(result.stderr)
    assert answers(db) == []
    with open_store(db) as store:
        assert store.scalar("SELECT count(*) FROM import_runs WHERE kind = 'responses'") == 0


def test_the_demo_shop_takes_no_answers(db: Path, tmp_path: Path) -> None:
    from core.demo import DEMO_MARKER

    with open_store(db) as store:
        store.set_setting(DEMO_MARKER, "2026-03-01")
    result = invoke("import", "responses", write(tmp_path, HEADER + f"{ANNA},,9,2026-03-01,\n"),
                    "--db", db)  # fmt: skip
    assert result.exit_code == ExitCode.REFUSED
    assert "is the demo shop" in flat(result.stderr) and answers(db) == []


HOSTILE = '[bold]Great[/] \x1b[2J\x1b]52;c;aGk=\x07 =HYPERLINK("http://x")'
HOSTILE_CELL = '"' + HOSTILE.replace('"', '""') + '"'


def test_a_hostile_comment_is_stored_as_written_and_shown_harmless(
    db: Path, tmp_path: Path
) -> None:
    long = "ü" * 1_000
    text = (HEADER + f"{ANNA},,2,2026-03-01,{HOSTILE_CELL}\r\n"
            f'{JURGEN},,10,2026-03-02,"two\r\nlines"\r\n'
            f"{ANNA},,3,2026-03-03,{long}\r\n")  # fmt: skip
    result = invoke("import", "responses", write(tmp_path, text), "--db", db)
    assert result.exit_code == ExitCode.OK, result.output
    assert [row[4] for row in answers(db)] == [HOSTILE, "two\nlines", long]
    shown = invoke("customer", "show", "1", "--db", db)
    assert shown.exit_code == ExitCode.OK
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "[bold]Great[/] ␛[2J" in shown.stdout and long in shown.stdout.replace("\n", "")
    document = json.loads(invoke("customer", "show", "1", "--json", "--db", db).stdout)
    assert [(a["score"], a["comment"]) for a in document["responses"]] == [(2, HOSTILE), (3, long)]
    assert document["customer"]["nps_score"] == 3


def test_a_changed_comment_updates_the_answer_and_an_empty_one_keeps_it(
    db: Path, tmp_path: Path
) -> None:
    invoke("import", "responses", write(tmp_path, HEADER + f"{ANNA},,9,2026-03-01,first\n"),
           "--db", db)  # fmt: skip
    for comment, stored, updated in (("second", "second", 1), ("", "second", 0)):
        file = write(tmp_path, HEADER + f"{ANNA},,9,2026-03-01,{comment}\n")
        summary = json.loads(invoke("import", "responses", file, "--json", "--db", db).stdout)
        assert (summary["responses_added"], summary["responses_updated"]) == (0, updated)
        assert [row[4] for row in answers(db)] == [stored]


def test_forget_deletes_the_answers_and_a_later_import_does_not_bring_them_back(
    db: Path, tmp_path: Path
) -> None:
    file = write(tmp_path, HEADER + f"{ANNA},,9,2026-03-01,mine\n,jurgen@example.org,5,"
                 "2026-03-01,\n")  # fmt: skip
    invoke("import", "responses", file, "--db", db)
    with open_store(db) as store:
        record = access_record(store, 1)
    assert [(a["score"], a["comment"]) for a in record["survey_responses"]] == [(9, "mine")]
    report = json.loads(invoke("forget", "1", "--yes", "--json", "--db", db).stdout)
    assert report["cleared"]["responses"] == 1
    assert [row[0] for row in answers(db)] == [2]
    again = invoke("import", "responses", file, "--db", db)
    assert again.exit_code == ExitCode.PARTIAL
    assert "answers.csv:2: customer_id: this person was forgotten" in flat(again.stdout)
    link = write(tmp_path, "customer_id,score,answered_at\n1,9,2026-03-01\n", "link.csv")
    by_number = invoke("import", "responses", link, "--format", "link", "--db", db)
    assert "link.csv:2: customer_id: this person was forgotten" in flat(by_number.stdout)
    assert [row[0] for row in answers(db)] == [2]


ROWS = [
    f"{ANNA},,9,2026-03-01,a",
    f"{ANNA},,9,2026-03-01,a",  # the same answer twice in one file
    f"{ANNA},,3,2026-03-01,",
    f"{ANNA},,3,2026-03-01T09:00:00,b",
    ",anna@example.com,7,2026-03-05,",
    f"{JURGEN},,0,01.03.2026,c",
    f"{JURGEN},,11,2026-03-01,",  # rejected every time
    "7199999999999,,5,2026-03-01,",  # unknown every time
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ROWS), max_size=12))
def test_importing_a_file_twice_stores_what_importing_it_once_does(rows: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = make_shop(Path(folder) / "shop.db")
        file = write(Path(folder), HEADER + "".join(row + "\n" for row in rows))
        with open_store(db) as store:
            first = import_responses(store, file)
            once = store.execute("SELECT * FROM responses ORDER BY id").fetchall()
            second = import_responses(store, file)
            twice = store.execute("SELECT * FROM responses ORDER BY id").fetchall()
        strip = [row[:6] for row in once]  # all but the import's file name and time
        assert [row[:6] for row in twice] == strip
        assert second.responses_added == second.responses_updated == 0
        assert second.responses_unchanged == first.responses_added + first.responses_unchanged
        assert second.errors == first.errors
