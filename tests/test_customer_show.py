"""Contact history (core/contact_history.py) and `retain-tui customer show ID [--json]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.contact_history import contact_history
from core.importers import import_file
from core.store import Store, open_store
from tests.codes_support import GENERIC_HEADER, add_campaign, write_csv
from tui.cli import build_app
from tui.commands.common import ExitCode

app = build_app()
HEADER = [*GENERIC_HEADER, "first_name", "sku", "product", "quantity", "price"]


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def build_shop(store: Store, tmp_path: Path) -> dict[str, int]:
    """Ann got a code in a win-back and redeemed it; Bob was held out and used Ann's code;
    a later campaign left Ann out. Returns the customer ids by first name."""
    add_campaign(
        store, "winback-1", {"WINBACK-7KQ2M9XD": 1}, created_at="2024-11-30T12:00:00+00:00"
    )
    with store.write() as conn:
        conn.execute(
            "INSERT INTO campaign_recipients (campaign_id, customer_id, outcome, recorded_at) "
            "VALUES (1, 2, 'held_out', '2024-11-30T12:00:01+00:00')"
        )
    add_campaign(store, "winback-2", {}, created_at="2024-12-03T09:00:00+00:00")
    with store.write() as conn:
        conn.execute(
            "INSERT INTO campaign_recipients (campaign_id, customer_id, outcome, reason, "
            "recorded_at) VALUES (2, 1, 'left_out', 'contacted_recently', "
            "'2024-12-03T09:00:00+00:00')"
        )
    file = write_csv(tmp_path / "orders.csv", HEADER, [
        ["A-1", "2024-10-01", "ann@example.com", "20.00", "paid", "", "Ann", "TEA", "Tea", "2",
         "10.00"],
        ["A-2", "2024-12-02", "ann@example.com", "30.00", "paid", "winback-7kq2m9xd", "Ann",
         "MUG", "[bold]Mug[/bold]\x1b[2J", "1", "30.00"],
        ["B-1", "2024-12-05", "bob@example.com", "25.00", "paid", "WINBACK-7KQ2M9XD ", "Bob",
         "TEA", "Tea", "1", "25.00"],
    ])  # fmt: skip
    import_file(store, file, "orders")
    ids = dict(store.execute("SELECT first_name, id FROM customers"))
    assert ids == {"Ann": 1, "Bob": 2}  # the ids the campaigns above were written for
    return ids


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with open_store(path, create=True) as store:
        build_shop(store, tmp_path)
    return path


def test_history_lists_contacts_codes_and_redemptions(db: Path) -> None:
    with open_store(db) as store:
        ann, bob = contact_history(store, 1), contact_history(store, 2)
    assert [(c.campaign, c.outcome, c.reason) for c in ann.contacts] == [
        ("winback-1", "drafted", None), ("winback-2", "left_out", "contacted_recently"),
    ]  # fmt: skip
    assert [(c.code, c.value_text, c.expires, c.redeemed_by) for c in ann.codes] == [
        ("WINBACK-7KQ2M9XD", "10 %", "2024-12-31", ["A-2", "B-1"])
    ]
    assert [(r.code, r.order, r.ordered_on, r.net, r.own_code) for r in ann.redemptions] == [
        ("WINBACK-7KQ2M9XD", "A-2", "2024-12-02", 3000, True)
    ]
    assert [(c.campaign, c.outcome) for c in bob.contacts] == [("winback-1", "held_out")]
    assert bob.codes == []
    assert [(r.order, r.own_code) for r in bob.redemptions] == [("B-1", False)]
    assert [(e.when[:10], e.campaign, e.what) for e in ann.events()] == [
        ("2024-11-30", "winback-1", "drafted"),
        ("2024-11-30", "winback-1", "code"),
        ("2024-12-02", "winback-1", "redeemed"),
        ("2024-12-03", "winback-2", "left out"),
    ]


def test_customer_show_json(db: Path) -> None:
    result = invoke("customer", "show", "1", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert set(shown) == {"customer", "orders", "history", "responses", "loyalty", "referrals"}
    counting = [o["net"] for o in shown["orders"] if not o["cancelled"]]
    assert shown["loyalty"]["points"] == sum(net * 10 // 100 for net in counting)
    assert shown["loyalty"]["tier"] == "Bronze" and shown["loyalty"]["adjustments"] == []
    customer = shown["customer"]
    assert (customer["id"], customer["email"], customer["name"], customer["forgotten"]) == (
        1, "ann@example.com", "Ann", False,
    )  # fmt: skip
    assert (customer["orders"], customer["first_order"], customer["last_order"]) == (
        2, "2024-10-01", "2024-12-02",
    )  # fmt: skip
    assert [o["external_id"] for o in shown["orders"]] == ["A-1", "A-2"]  # oldest first
    assert shown["orders"][0]["lines"] == [
        {"position": 0, "sku": "TEA", "product": "Tea", "quantity": 2, "unit_price": 1000}
    ]
    history = shown["history"]
    assert [c["outcome"] for c in history["contacts"]] == ["drafted", "left_out"]
    assert history["codes"][0]["redeemed_by"] == ["A-2", "B-1"]
    assert history["codes"][0]["value_text"] == "10 %"
    assert history["redemptions"][0]["order"] == "A-2"


def test_customer_show_prints_untrusted_text_as_text(db: Path) -> None:
    result = invoke("customer", "show", "ann@example.com", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Customer 1 · Ann <ann@example.com>" in out
    assert "1 × [bold]Mug[/bold]␛[2J (MUG) at 30.00" in out  # markup and ESC shown, not run
    assert "\x1b" not in out
    assert "2024-12-02  winback-1  redeemed: WINBACK-7KQ2M9XD with order A-2 (30.00)" in out
    assert "2024-12-03  winback-2  left out: contacted_recently" in out


def test_a_customer_without_history_says_so(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with open_store(db, create=True) as store:
        row = ["A-1", "2024-10-01", "cy@example.com", "20.00", "paid", ""]
        file = write_csv(tmp_path / "o.csv", GENERIC_HEADER, [row])
        import_file(store, file, "orders")
    result = invoke("customer", "show", "1", "--db", db)
    assert "Contact history (0)" in result.stdout
    assert "no campaign has selected this customer yet" in result.stdout


def test_an_unknown_customer_is_refused(db: Path) -> None:
    result = invoke("customer", "show", "99", "--db", db)
    assert result.exit_code == ExitCode.REFUSED
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_a_forgotten_customer_shows_what_remains(db: Path) -> None:
    assert invoke("forget", "ann@example.com", "--yes", "--db", db).exit_code == 0
    result = invoke("customer", "show", "1", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    customer = shown["customer"]
    assert customer["forgotten"] is True
    assert (customer["email"], customer["first_name"], customer["name"]) == (None, None, "")
    assert [o["external_id"] for o in shown["orders"]] == ["A-1", "A-2"]
    # The campaign history stays (the figures count it): the contacts, the code, and the
    # redemption, whose order keeps the campaign's code and nothing else the cell held.
    assert [c["outcome"] for c in shown["history"]["contacts"]] == ["drafted", "left_out"]
    assert shown["history"]["codes"][0]["redeemed_by"] == ["A-2", "B-1"]
    assert shown["orders"][1]["discount_code"] == "WINBACK-7KQ2M9XD"
    text = invoke("customer", "show", "1", "--db", db).stdout
    assert "Customer 1 · forgotten (personal data erased; orders kept anonymised)" in text
    assert "ann@example.com" not in text


def test_the_access_request_includes_the_contact_history(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "ann.json"
    assert invoke("customer", "export", "1", "--out", out, "--db", db).exit_code == 0
    record = json.loads(out.read_text())
    assert [c["campaign"] for c in record["contact_history"]["contacts"]] == [
        "winback-1", "winback-2",
    ]  # fmt: skip
    assert record["contact_history"]["codes"][0]["code"] == "WINBACK-7KQ2M9XD"
