"""`import responses`: survey answers (0-10) from a CSV file into the `responses` table.

A row names its customer by retain-tui's customer number (`retain_id`, what the feedback
link's `{customer_id}` carries), the shop's customer id (`customer_id`, as orders carry it)
or the email, in that order of preference; a customer the store does not know is reported,
never invented. One answer is (customer, `answered_at` as written, score): the same file
imported twice stores each answer once. A bad row is rejected by line and column and the rest
imports (unless strict); everything is written in one transaction, or nothing is.
Format and definitions: docs/nps.md.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from core.csvfile import DELIMITER_NAMES, CsvFile, FatalImportError, open_csv
from core.erasure import forget_hash
from core.importers.dates import FileDates
from core.importers.formats import RESPONSE_LAYOUTS, detect_format, resolve_columns
from core.importers.records import RowError, RowProblem
from core.store import Store, utc_now
from core.values import email_key

__all__ = ["MAX_COMMENT", "RESPONSE_FORMATS", "ResponsesResult", "import_responses"]

RESPONSE_FORMATS = ("auto", *RESPONSE_LAYOUTS)
MAX_COMMENT = 5_000
"""The longest comment kept, in characters: a survey answer, not a letter."""
KEPT_ERRORS = 100


@dataclass
class ResponsesResult:
    """What `import responses` prints (and `--json` emits)."""

    file: str
    format: str
    encoding: str
    delimiter: str
    kind: str = "responses"
    date_order: str | None = None
    rows_read: int = 0
    responses_added: int = 0
    responses_updated: int = 0
    """Answers stored before whose comment this file changed."""
    responses_unchanged: int = 0
    rows_rejected: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass(frozen=True, slots=True)
class _Answer:
    line: int
    who: str
    """The column that names the customer, as the file calls it (for errors)."""
    retain_id: int | None
    external_id: str | None
    email_key: str | None
    score: int
    answered_at: str
    answered_day: int
    comment: str | None


def import_responses(
    store: Store,
    path: str | Path,
    *,
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    strict: bool = False,
    date_format: str | None = None,
    today: date | None = None,
) -> ResponsesResult:
    """Read `path` and store its answers; answers dated after the day after `today` (default
    the real date) are rejected, as orders are."""
    started, started_at = time.perf_counter(), utc_now()
    file = open_csv(path)
    detected_kind, detected = detect_format(file.header)
    if detected_kind != "unknown":
        raise FatalImportError(
            f"{file.name}: this looks like a {detected} {detected_kind} export; "
            f"use `retain-tui import {detected_kind} {file.name}`"
        )
    if fmt not in RESPONSE_FORMATS:
        raise FatalImportError(
            f"unknown format {fmt!r}; choose one of {', '.join(RESPONSE_FORMATS)}"
        )
    layout = RESPONSE_LAYOUTS["generic" if fmt == "auto" else fmt]
    columns = resolve_columns(file, layout, mapping)
    dates = FileDates(file, columns, date_format)
    result = ResponsesResult(
        file=str(path), format=layout.name, encoding=file.encoding,
        delimiter=DELIMITER_NAMES[file.delimiter],
    )  # fmt: skip

    rejected: list[RowError] = []

    def reject(error: RowError) -> None:
        if strict:
            raise FatalImportError(f"{error} (--strict: nothing was imported)")
        rejected.append(error)

    reader = _Reader(file, columns, dates, (today or date.today()) + timedelta(days=1))
    answers: list[_Answer] = []
    for record in file.records():
        result.rows_read += 1
        if record.problem is not None:
            reject(RowError(file.name, record.line, "row", record.problem))
            continue
        try:
            answers.append(reader.answer(record.line, record.values))
        except RowProblem as problem:
            reject(RowError(file.name, record.line, problem.column, problem.reason))
    result.date_order = dates.applied or None
    with store.write() as conn:
        stored = _store(conn, answers, file.name, reject)
        result.responses_added, result.responses_updated, result.responses_unchanged = stored
        conn.execute(
            "INSERT INTO import_runs (started_at, finished_at, file, kind, format, rows_read, "
            "added, updated, unchanged, rejected) VALUES (?, ?, ?, 'responses', ?, ?, ?, ?, ?, ?)",
            (started_at, utc_now(), result.file, result.format, result.rows_read, *stored,
             len(rejected)),
        )  # fmt: skip
    result.rows_rejected = len(rejected)
    result.errors = [str(error) for error in sorted(rejected, key=lambda e: e.line)[:KEPT_ERRORS]]
    result.seconds = time.perf_counter() - started
    return result


class _Reader:
    """One file's columns: a row's cells -> an `_Answer`, or `RowProblem` naming the column."""

    def __init__(
        self, file: CsvFile, columns: dict[str, int], dates: FileDates, latest_day: date
    ) -> None:
        self.file, self.columns, self.dates, self.latest_day = file, columns, dates, latest_day

    def header(self, name: str) -> str:
        return self.file.header[self.columns[name]]

    def cell(self, values: list[str], name: str) -> str:
        index = self.columns.get(name)
        return values[index].strip() if index is not None and index < len(values) else ""

    def answer(self, line: int, values: list[str]) -> _Answer:
        retain_text = self.cell(values, "retain_id").lstrip("'")
        external_id = self.cell(values, "customer_id").lstrip("'").strip()
        email = self.cell(values, "email")
        who = next((name for name, text in (("retain_id", retain_text),
                    ("customer_id", external_id), ("email", email)) if text), None)  # fmt: skip
        if who is None:
            column = next(name for name in ("retain_id", "customer_id", "email")
                          if name in self.columns)  # fmt: skip
            raise RowProblem(self.header(column), "no customer: the id or email is missing")
        retain_id = None
        if retain_text:
            if not retain_text.isdigit():
                reason = f"not a customer number: {retain_text[:40]!r} (a whole number)"
                raise RowProblem(self.header("retain_id"), reason)
            retain_id = int(retain_text)
        answered_at, answered_day = self._when(self.cell(values, "answered_at"))
        return _Answer(
            line=line, who=self.header(who), retain_id=retain_id,
            external_id=external_id or None, email_key=email_key(email),
            score=self._score(self.cell(values, "score")), answered_at=answered_at,
            answered_day=answered_day, comment=self._comment(values),
        )  # fmt: skip

    def _score(self, text: str) -> int:
        column = self.header("score")
        if not text:
            raise RowProblem(column, "required value is missing")
        if not (text.isascii() and text.lstrip("-").isdigit()) or not 0 <= int(text) <= 10:
            raise RowProblem(column, f"not a score from 0 to 10: {text[:40]!r}")
        return int(text)

    def _when(self, text: str) -> tuple[str, int]:
        column = self.header("answered_at")
        if not text:
            raise RowProblem(column, "required value is missing")
        try:
            answered_at, day = self.dates.parse(text)
        except ValueError as exc:
            raise RowProblem(column, str(exc)) from None
        if day > self.latest_day.toordinal():
            reason = f"dated in the future: {text[:40]!r} (up to {self.latest_day} is accepted)"
            raise RowProblem(column, reason)
        return answered_at, day

    def _comment(self, values: list[str]) -> str | None:
        index = self.columns.get("comment")
        text = values[index] if index is not None and index < len(values) else ""
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(text) > MAX_COMMENT:
            reason = f"a comment of {len(text):,} characters (at most {MAX_COMMENT:,} are kept)"
            raise RowProblem(self.header("comment"), reason)
        return text or None


_STAGE_COLUMNS = (
    "line", "who", "retain_id", "external_id", "email_key", "score", "answered_at",
    "answered_day", "comment",
)  # fmt: skip


def _store(
    conn: sqlite3.Connection,
    answers: list[_Answer],
    file_name: str,
    reject: Callable[[RowError], None],
) -> tuple[int, int, int]:
    """Match the answers to customers and upsert them; (added, updated, unchanged)."""
    conn.execute("DROP TABLE IF EXISTS temp.stage_responses")
    conn.execute(
        f"CREATE TEMP TABLE stage_responses ({', '.join(_STAGE_COLUMNS)}, customer_id INTEGER, "
        "forgotten INTEGER DEFAULT 0)"
    )
    try:
        conn.executemany(
            f"INSERT INTO temp.stage_responses ({', '.join(_STAGE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_STAGE_COLUMNS))})",
            [tuple(getattr(answer, name) for name in _STAGE_COLUMNS) for answer in answers],
        )
        _match(conn)
        for line, who, forgotten, retain_id, external_id, email in conn.execute(
            "SELECT line, who, forgotten, retain_id, external_id, email_key "
            "FROM temp.stage_responses WHERE customer_id IS NULL OR forgotten ORDER BY line"
        ).fetchall():
            if forgotten:
                reason = "this person was forgotten (retain-tui forget): the answer is not stored"
            else:
                shown = retain_id if retain_id is not None else external_id or email
                reason = (
                    f"no customer {str(shown)[:60]!r} in the shop (not added: import them first)"
                )
            reject(RowError(file_name, line, who, reason))
        conn.execute("DELETE FROM temp.stage_responses WHERE customer_id IS NULL OR forgotten")
        # One answer twice in the file: the later row's comment wins, it is stored once.
        conn.execute(
            "DELETE FROM temp.stage_responses WHERE rowid NOT IN (SELECT max(rowid) FROM "
            "temp.stage_responses GROUP BY customer_id, answered_at, score)"
        )
        key = ("r.customer_id = s.customer_id AND r.answered_at = s.answered_at "
               "AND r.score = s.score")  # fmt: skip
        staged = conn.execute("SELECT count(*) FROM temp.stage_responses").fetchone()[0]
        updated = conn.execute(
            f"SELECT count(*) FROM temp.stage_responses s JOIN responses r ON {key} "
            "WHERE s.comment IS NOT NULL AND s.comment IS NOT r.comment"
        ).fetchone()[0]
        before = conn.execute("SELECT count(*) FROM responses").fetchone()[0]
        conn.execute(
            """
            INSERT INTO responses (customer_id, score, answered_at, answered_day, comment,
                                   source, imported_at)
            SELECT customer_id, score, answered_at, answered_day, comment, ?, ?
            FROM temp.stage_responses WHERE true ORDER BY line
            ON CONFLICT (customer_id, answered_at, score) DO UPDATE SET
                comment = excluded.comment, source = excluded.source,
                imported_at = excluded.imported_at
            WHERE excluded.comment IS NOT NULL AND excluded.comment IS NOT responses.comment
            """,
            (file_name, utc_now()),
        )
        added = conn.execute("SELECT count(*) FROM responses").fetchone()[0] - before
        return added, updated, staged - added - updated
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.stage_responses")


def _match(conn: sqlite3.Connection) -> None:
    """Each staged answer's customer: by number, else the shop's id, else the email; an
    erased person is recognised (by number, or by the hash `forget` keeps) and marked."""
    conn.execute(
        "UPDATE temp.stage_responses SET customer_id = c.id FROM customers c "
        "WHERE stage_responses.retain_id IS NOT NULL AND c.id = stage_responses.retain_id"
    )
    for column, stored in (("external_id", "external_id"), ("email_key", "email_key")):
        conn.execute(
            f"UPDATE temp.stage_responses SET customer_id = c.id FROM customers c "
            f"WHERE stage_responses.customer_id IS NULL AND stage_responses.retain_id IS NULL "
            f"AND c.{stored} = stage_responses.{column}"
        )
    conn.execute(
        "UPDATE temp.stage_responses SET forgotten = 1 "
        "WHERE customer_id IN (SELECT customer_id FROM forgotten)"
    )
    conn.create_function("rt_forget_hash", 2, forget_hash, deterministic=True)
    for kind, column in (("id", "external_id"), ("email", "email_key")):
        conn.execute(
            f"UPDATE temp.stage_responses SET forgotten = 1 WHERE customer_id IS NULL "
            f"AND rt_forget_hash('{kind}', {column}) IN (SELECT key_hash FROM forgotten)"
        )
