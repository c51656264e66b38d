"""A shop with a recorded campaign to send, made the way an owner makes one: the fixture shop
of tests/compose_support.py and `retain-tui export` (unique codes, a real campaign record)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from tests.compose_support import build_shop, without_audience
from tests.smtp_server import Server
from tui.cli import build_app

app = build_app()
runner = CliRunner()
CAMPAIGN = "wb"
REACHABLE = [1, 2, 3, 4, 5, 7, 8]
"""The fixture shop's customers with an address and marketing consent (6: no, 9: no email)."""


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.output


def campaign_shop(tmp_path: Path, *, name: str = CAMPAIGN, fmt: str = "eml") -> Path:
    """shop.db with campaign `name`: win-back with 10 % and a unique code for each of the
    seven reachable customers."""
    db = tmp_path / "shop.db"
    if not db.exists():
        build_shop(db).close()
        without_audience(tmp_path / "mine", "win-back")
    out = tmp_path / f"drafts-{name}.{fmt}" if fmt != "eml" else tmp_path / f"drafts-{name}"
    code, output = invoke(
        "export", "--db", str(db), "--templates", str(tmp_path / "mine"), "--as-of",
        "2026-11-05", "-t", "win-back", "-c", ",".join(map(str, REACHABLE)), "--discount",
        "10%", "--campaign", name, "--format", fmt, "--out", str(out), "--min-gap-days", "0",
    )  # fmt: skip
    assert code == 0, output
    return db


def configure(db: Path, server: Server, **extra: str) -> None:
    """Point the shop at `server` (written as `config set` would store it)."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.executemany(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                server.settings(**extra).items(),
            )
    finally:
        conn.close()


def rows(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def states(db: Path) -> dict[str, str]:
    """Address -> outbox state."""
    return {str(a): str(s) for a, s in rows(db, "SELECT address, state FROM outbox")}


def codes(db: Path) -> dict[int, str]:
    """Customer id -> the unique code the campaign gave them."""
    return {int(c): str(k) for c, k in rows(db, "SELECT customer_id, code FROM discount_codes")}
