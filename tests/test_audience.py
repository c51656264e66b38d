"""Each template drafts only the customers its words are true for (issue 12).

Customers whose last order is 0-181 days before the one as-of date, on both sides of each
template's boundary: thank-you up to 7 days, win-back from 90, feedback 7 to 60. The same
decision in the list (compose), in the preview and in the export, with the reason.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.compose import Composer, Discount, export_drafts
from core.demo import DEMO_SETTINGS
from core.importers import import_file
from core.store import Store, open_store
from tests.compose_support import TODAY

AS_OF = date(2026, 10, 31)
DAYS = (0, 6, 7, 8, 59, 60, 61, 89, 90, 91)
TEN = Discount(percent=Decimal(10))
EXPECTED = {
    "thank-you": {0: None, 6: None, 7: None, 8: "order_too_old", 59: "order_too_old",
                  60: "order_too_old", 61: "order_too_old", 89: "order_too_old",
                  90: "order_too_old", 91: "order_too_old"},
    "win-back": {0: "ordered_recently", 6: "ordered_recently", 7: "ordered_recently",
                 8: "ordered_recently", 59: "ordered_recently", 60: "ordered_recently",
                 61: "ordered_recently", 89: "ordered_recently", 90: None, 91: None},
    "feedback": {0: "ordered_recently", 6: "ordered_recently", 7: None, 8: None, 59: None,
                 60: None, 61: "order_too_old", 89: "order_too_old", 90: "order_too_old",
                 91: "order_too_old"},
}  # fmt: skip


def build(path: Path) -> Store:
    """One customer per entry of DAYS, who last ordered that many days before AS_OF."""
    orders = path.parent / "orders.csv"
    with orders.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "ordered_at", "email", "first_name", "country",
                         "accepts_marketing", "total", "product", "quantity", "price"])  # fmt: skip
        for n, days in enumerate(DAYS, start=1):
            day = AS_OF - timedelta(days=days)
            writer.writerow([n, day.isoformat(), f"c{days}@example.com", f"C{days}", "GB", "yes",
                             "12.00", "Tea", "1", "12.00"])  # fmt: skip
    store = open_store(path, create=True)
    assert import_file(store, orders, "orders").rows_rejected == 0
    with store.write() as conn:
        conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?)", DEMO_SETTINGS.items())
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return build(tmp_path / "shop.db")


def ids_by_days(store: Store) -> dict[int, int]:
    rows = store.execute("SELECT id, email FROM customers").fetchall()
    return {int(email[1:].split("@")[0]): cid for cid, email in rows}


@pytest.mark.parametrize("template", sorted(EXPECTED))
def test_list_preview_and_export_agree_on_both_sides_of_each_boundary(
    store: Store, tmp_path: Path, template: str
) -> None:
    composer = Composer(store, tmp_path / "mine", as_of=AS_OF, today=TODAY)
    assert composer.as_of == AS_OF  # the store's as-of date: its latest order
    by_days = ids_by_days(store)
    ids = [by_days[days] for days in DAYS]
    discount = TEN if template == "win-back" else None
    listed = composer.recipients(ids, template, discount=discount)
    assert {days: r.reason for days, r in zip(DAYS, listed, strict=True)} == EXPECTED[template]
    for days, cid in by_days.items():
        preview = composer.render(cid, template, discount=discount)
        assert preview.excluded == EXPECTED[template][days], days
    result = export_drafts(composer, ids, template, tmp_path / "out", discount=discount)
    drafted = sorted(int(f.stem.split("-")[1]) for f in (tmp_path / "out").iterdir())
    assert drafted == sorted(by_days[d] for d, why in EXPECTED[template].items() if why is None)
    left_out = [why for why in EXPECTED[template].values() if why]
    assert result.skipped == {why: left_out.count(why) for why in set(left_out)}


def test_the_owner_moves_a_boundary_in_their_own_copy(store: Store, tmp_path: Path) -> None:
    from tests.compose_support import without_audience

    mine = tmp_path / "mine"
    without_audience(mine, "thank-you")
    toml = mine / "thank-you" / "template.toml"
    toml.write_text(toml.read_text() + "max_days_since_last_order = 59\n")
    composer = Composer(store, mine, as_of=AS_OF, today=TODAY)
    by_days = ids_by_days(store)
    listed = composer.recipients([by_days[days] for days in DAYS], "thank-you")
    got = {days: r.reason for days, r in zip(DAYS, listed, strict=True)}
    assert got == {d: None if d <= 59 else "order_too_old" for d in DAYS}


def test_a_later_as_of_date_moves_everyone(store: Store, tmp_path: Path) -> None:
    """Days count to the as-of date, not to the clock: a week later, 0 days is 7, 1 is 8."""
    composer = Composer(store, tmp_path / "mine", as_of=AS_OF + timedelta(days=1), today=TODAY)
    by_days = ids_by_days(store)
    got = composer.recipients([by_days[6], by_days[7]], "thank-you")
    assert [r.reason for r in got] == [None, "order_too_old"]


def test_an_impossible_audience_is_a_broken_template(tmp_path: Path) -> None:
    from core.compose import list_templates
    from tests.compose_support import FOOTER_EN, write_template

    rules = "min_days_since_last_order = 60\nmax_days_since_last_order = 7\n"
    files = {"en.subject.txt": "Hi", "en.txt": "Hi" + FOOTER_EN}
    write_template(tmp_path, "never", files, extra=rules)
    info = {i.name: i for i in list_templates(tmp_path)}["never"]
    assert not info.available
    assert "min_days_since_last_order (60) is more than max_days_since_last_order (7)" in (
        info.status
    )
