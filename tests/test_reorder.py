"""Win-back's "time to reorder X?" only for products the shop's customers do reorder (#12).

A product's reorder share (buyers with it in >= 2 distinct counting orders / its buyers, up
to the as-of date) is checked against a plain Python reading on generated shops, and on
hand-made ones: a kettle everyone bought once is never suggested; tea bought again is.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.compose import Composer, Discount
from core.compose.reorder import ReorderProduct, best_for, reorder_products, suggestions
from core.demo import DEMO_SETTINGS
from core.importers import import_file
from core.store import Store, open_store
from tests.compose_support import TODAY

AS_OF = date(2026, 10, 31)
# (order number, customer, days before AS_OF, product, cancelled)
Order = tuple[int, int, int, str, bool]


def shop(path: Path, orders: list[Order]) -> Store:
    file = path.parent / f"{path.stem}.csv"
    with file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "ordered_at", "email", "accepts_marketing", "status",
                         "total", "product", "quantity", "price"])  # fmt: skip
        # An order on AS_OF keeps the store's as-of date there; after it, one that never counts.
        writer.writerow(["0", AS_OF.isoformat(), "anchor@example.com", "yes", "paid", "1.00",
                         "Anchor", "1", "1.00"])  # fmt: skip
        for number, customer, days, product, cancelled in orders:
            day = AS_OF - timedelta(days=days)
            writer.writerow([number, day.isoformat(), f"c{customer}@example.com", "yes",
                             "cancelled" if cancelled else "paid", "10.00", product, "1",
                             "10.00"])  # fmt: skip
    store = open_store(path, create=True)
    result = import_file(store, file, "orders")
    assert result.rows_rejected == 0, result.errors
    with store.write() as conn:
        conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?)", DEMO_SETTINGS.items())
    return store


def reference(orders: list[Order], percent: int, buyers_needed: int) -> dict[str, Fraction]:
    """The share of every product above the thresholds, read plainly from the orders."""
    counted: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for number, customer, days, product, cancelled in orders:
        if not cancelled and days >= 0:
            counted[product][customer].add(number)
    shares = {}
    for product, buyers in counted.items():
        repeaters = sum(1 for numbers in buyers.values() if len(numbers) >= 2)
        share = Fraction(repeaters, len(buyers))
        if len(buyers) >= buyers_needed and share * 100 >= percent:
            shares[product] = share
    return shares


@st.composite
def order_lists(draw: st.DrawFn) -> list[Order]:
    n = draw(st.integers(0, 60))
    return [
        (number, draw(st.integers(1, 8)), draw(st.integers(-3, 400)),
         draw(st.sampled_from(["Tea", "Kettle", "Mug", "Coffee"])), draw(st.booleans())
         and draw(st.booleans()))
        for number in range(1, n + 1)
    ]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders=order_lists(), percent=st.integers(0, 100), buyers=st.integers(1, 4))
def test_reorder_shares_match_a_brute_force_reading(
    tmp_path_factory, orders: list[Order], percent: int, buyers: int
) -> None:
    store = shop(tmp_path_factory.mktemp("shop") / "shop.db", orders)
    got = reorder_products(store, AS_OF, percent, buyers)
    expected = reference(orders, percent, buyers)
    expected.pop("Anchor", None)
    got.pop("Anchor", None)
    assert {key: p.share for key, p in got.items()} == expected
    # Each customer is offered their own highest-share product, if any.
    ids = {int(e[1:].split("@")[0]): cid for cid, e in store.execute(
        "SELECT id, email FROM customers WHERE email != 'anchor@example.com'")}  # fmt: skip
    offered = suggestions(store, AS_OF, got, list(ids.values()))
    for customer, cid in ids.items():
        own = {p for n, c, d, p, x in orders if c == customer and not x and d >= 0}
        candidates = [got[p] for p in own if p in got]
        assert offered.get(cid) == best_for(candidates)


def test_a_kettle_everyone_bought_once_is_never_suggested(tmp_path: Path) -> None:
    # 12 customers: each bought a kettle once; 3 of them bought tea twice, 9 tea once.
    orders: list[Order] = []
    number = 0
    for customer in range(1, 13):
        number += 1
        orders.append((number, customer, 200, "Kettle", False))
        for _ in range(2 if customer <= 3 else 1):
            number += 1
            orders.append((number, customer, 150 + number, "Tea", False))
    store = shop(tmp_path / "shop.db", orders)
    products = reorder_products(store, AS_OF)  # defaults: 20 %, 10 buyers
    assert set(products) == {"Tea"}  # 3 of 12 = 25 %; the kettle 0 of 12
    assert products["Tea"].share == Fraction(1, 4)
    assert reorder_products(store, AS_OF, 26, 10) == {}  # 25 % < 26 %
    assert set(reorder_products(store, AS_OF, 25, 12)) == {"Tea"}  # both ends included
    assert reorder_products(store, AS_OF, 25, 13) == {}

    composer = Composer(store, tmp_path / "mine", as_of=AS_OF, today=TODAY)
    ten = Discount(percent=Decimal(10))
    first = store.scalar("SELECT id FROM customers WHERE email = 'c1@example.com'")
    draft = composer.render(int(first), "win-back", "en", ten)  # type: ignore[call-overload]
    assert "Perhaps it's time to reorder Tea?" in draft.text
    assert "Kettle" not in draft.text


def test_no_line_without_evidence(tmp_path: Path) -> None:
    """Fewer buyers than the threshold: the sentence is left out, in text and HTML."""
    orders = [(1, 1, 200, "Tea", False), (2, 1, 150, "Tea", False)]
    store = shop(tmp_path / "shop.db", orders)
    composer = Composer(store, tmp_path / "mine", as_of=AS_OF, today=TODAY)
    cid = int(store.scalar("SELECT id FROM customers WHERE email = 'c1@example.com'"))  # type: ignore[arg-type]
    draft = composer.render(cid, "win-back", "de", Discount(percent=Decimal(10)))
    assert "Zeit für" not in draft.text and "Zeit für" not in (draft.html or "")


def test_ties_go_to_more_buyers_then_the_key() -> None:
    a = ReorderProduct("A", None, "A", 10, 5)
    b = ReorderProduct("B", None, "B", 20, 10)
    c = ReorderProduct("C", None, "C", 20, 10)
    assert best_for([a, b, c]) == b
    assert best_for([]) is None


def test_two_lines_of_one_order_are_not_a_reorder(tmp_path: Path) -> None:
    """Two kettle lines in one order (a gift, at another price): still one order."""
    orders = [(customer, customer, 100, "Kettle", False) for customer in range(1, 11)]
    store = shop(tmp_path / "shop.db", orders)
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "order_id,ordered_at,email,total,product,quantity,price\n"
        f"1,{AS_OF - timedelta(days=100)},c1@example.com,10.00,Kettle,1,10.00\n"
        f"1,{AS_OF - timedelta(days=100)},c1@example.com,10.00,Kettle,1,8.00\n",
        encoding="utf-8",
    )
    assert import_file(store, extra, "orders").rows_rejected == 0
    lines = "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id"
    assert store.scalar(f"{lines} WHERE o.external_id = '1'") == 2
    assert reorder_products(store, AS_OF, 1, 10) == {}


def test_helper_processes_draft_the_same_reorder_lines(tmp_path: Path) -> None:
    """An export's helpers get the parent's reorder evidence and write the same drafts."""
    from core.compose import export_drafts

    orders: list[Order] = []
    for customer in range(1, 13):
        for n in range(2 if customer <= 3 else 1):
            orders.append((customer * 10 + n, customer, 150 + n * 20, "Tea", False))
    store = shop(tmp_path / "shop.db", orders)
    ids = [int(r[0]) for r in store.execute("SELECT id FROM customers ORDER BY id")]
    texts = []
    for helpers in (0, 2):
        composer = Composer(store, tmp_path / "mine", as_of=AS_OF, today=TODAY)
        out = tmp_path / f"out{helpers}.csv"
        result = export_drafts(composer, ids, "win-back", out, fmt="csv",
                               discount=Discount(percent=Decimal(10)), helpers=helpers)  # fmt: skip
        assert result.helpers == helpers and result.drafted == 12
        texts.append(out.read_text(encoding="utf-8-sig"))
    assert texts[0] == texts[1]
    assert texts[0].count("Vielleicht ist es wieder Zeit für Tea?") == 12  # the shop speaks de
