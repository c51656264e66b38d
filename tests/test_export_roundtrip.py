"""Property: export then parse round-trips names, subjects and bodies (issue 11).

End to end: customers with hostile names (markup, CR/LF, zero-width and other invisible
characters, 1,000 characters, non-Latin scripts, formula starts) are imported from a CSV,
drafted by `retain-tui export` into a folder of .eml files, an mbox and a CSV, and read back
with the standard library only (`email`, `mailbox`, `csv`). What comes back must be what the
composer rendered for them: the display name as documented (one line, cut at 78 characters
with an ellipsis: `core.addresses`), the subject, and the body text; the CSV holds the
rendered values, a formula start quoted with one apostrophe (`neutralise_cell`).
(tests/test_export_mime.py checks the MIME writer alone on any text.)
"""

from __future__ import annotations

import csv
import email
import mailbox
import tempfile
from datetime import date
from email import policy
from email.message import EmailMessage
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from core.addresses import MAX_DISPLAY_NAME, ellipsized, header_text
from core.compose import Composer, Draft
from core.compose.draft_writers import neutralise_cell
from core.importers import import_file
from tests.compose_support import build_shop
from tui.cli import build_app

app = build_app()
AS_OF = "2026-11-05"
HOSTILE = st.sampled_from([
    "[bold]Anna[/bold]", "<script>x</script>", "Anna\r\nBcc: evil@example.com", "Ann\u200bBell",
    "\ufeffBOM", "Zoë\u00adSoft", "x" * 1000, "Юлия", "山田", "محمد", "Ελένη", "\U0001f600 Emoji",
    "=HYPERLINK(\"x\")", "+49 Anna", "@anna", "-minus", '"Quoted" O\'Brien', "Søren, Ærø; (x)",
    "=?utf-8?q?evil?=", "a\tb", "Line\u2028Sep", "\x1b[31mred", "  spaced  ", "0 \xa00",
])  # fmt: skip
NAMES = st.one_of(HOSTILE, st.text(max_size=60), st.text(min_size=500, max_size=1000))


def address(n: int) -> str:
    return f"roundtrip{n}@example.com"


def write_orders(path: Path, people: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "ordered_at", "customer_id", "email", "first_name",
                         "last_name", "country", "total", "status", "sku", "product",
                         "quantity", "price"])  # fmt: skip
        for n, (first, last) in enumerate(people, start=1):
            writer.writerow([f"R{n}", "2026-11-01", f"R{n}", address(n), first, last, "DE",
                             "12.50", "paid", "TEA-1", "Tea", "1", "12.50"])  # fmt: skip


def export(db: Path, ids: list[int], out: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["export", "--db", str(db), "-t", "thank-you", "-c", ",".join(map(str, ids)),
         "--as-of", AS_OF, "--out", str(out), "--campaign", f"round trip to {out.name}"],
    )  # fmt: skip  # each format its own campaign: a re-run of one would draft nobody again
    assert result.exit_code == 0, result.output


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def check_message(message: EmailMessage, draft: Draft) -> None:
    assert not message.defects
    to = message["To"].addresses[0]
    assert to.addr_spec == draft.to_address
    assert to.display_name == ellipsized(header_text(draft.to_name), MAX_DISPLAY_NAME)
    assert len(to.display_name) <= MAX_DISPLAY_NAME
    assert str(message["Subject"]) == header_text(draft.subject)
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert text.rstrip("\n") == draft.text.replace("\r\n", "\n").rstrip("\n")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(people=st.lists(st.tuples(NAMES, NAMES), min_size=1, max_size=3))
def test_export_then_parse_gives_back_what_the_composer_rendered(
    people: list[tuple[str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        db = folder / "shop.db"
        store = build_shop(db)
        try:
            write_orders(folder / "orders.csv", people)
            imported = import_file(store, folder / "orders.csv", "orders", fmt="generic")
            assert imported.rows_rejected == 0, imported.errors
            ids = [
                int(store.scalar("SELECT id FROM customers WHERE email = ?", (address(n),)))
                for n in range(1, len(people) + 1)
            ]
            composer = Composer(store, folder / "no-own-templates", as_of=date.fromisoformat(AS_OF))
            drafts = {cid: composer.render(cid, "thank-you") for cid in ids}
        finally:
            store.close()

        export(db, ids, folder / "eml")
        eml_files = sorted((folder / "eml").glob("*.eml"))
        assert len(eml_files) == len(ids)
        for path in eml_files:
            message = parse(path.read_bytes())
            to = message["To"].addresses[0].addr_spec
            check_message(message, next(d for d in drafts.values() if d.to_address == to))

        export(db, ids, folder / "drafts.mbox")
        box = mailbox.mbox(folder / "drafts.mbox")
        assert len(box) == len(ids)
        for key in box.iterkeys():
            message = parse(box.get_bytes(key))
            to = message["To"].addresses[0].addr_spec
            check_message(message, next(d for d in drafts.values() if d.to_address == to))

        export(db, ids, folder / "drafts.csv")
        with (folder / "drafts.csv").open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert sorted(int(row["customer_id"]) for row in rows) == sorted(ids)
        for row in rows:
            draft = drafts[int(row["customer_id"])]
            assert row["name"] == neutralise_cell(draft.to_name)
            assert row["subject"] == neutralise_cell(draft.subject)
            assert row["text"] == neutralise_cell(draft.text)
            assert row["email"] == draft.to_address
