"""Recommendations on small baskets checked by hand: lift, the minimum support, reasons, the
bestsellers that fill the list, replenishment reminders, the `recommend` command and the
`replenishment` flow trigger (docs/recommendations.md)."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from core.demo import DEMO_SETTINGS
from core.flows import add_flow, enable_flow, parse_trigger, run_flows
from core.importers import import_file
from core.recommend import Recommender, Rules
from core.schema_programme import add_recommend_tables
from core.store import Store, open_store
from tests.flows_support import NOTE, entries, owner_templates
from tui.cli import build_app

TODAY = date(2026, 11, 5)
NAMES = {"TEA-EARL": "Earl Grey Classic", "BIS-LEMON": "Lemon Cookies",
         "COF-ESPR": "Espresso", "ACC-MUG": "Mug"}  # fmt: skip
COLUMNS = ["order_id", "ordered_at", "total", "refunded", "status", "customer_id", "email",
           "sku", "product", "quantity", "price"]  # fmt: skip

# (order, customer, days before TODAY, SKUs). Customers 1-3 bought Earl Grey and Lemon
# Cookies (1 and 2 in one order, 3 months apart), 4 Earl Grey alone; 5 Espresso alone, 6 and
# 7 Espresso with a mug.
BASKETS = [
    ("1", 1, 10, ["TEA-EARL", "BIS-LEMON"]),
    ("2", 2, 20, ["TEA-EARL", "BIS-LEMON"]),
    ("3", 3, 80, ["TEA-EARL"]),
    ("4", 3, 5, ["BIS-LEMON"]),
    ("5", 4, 30, ["TEA-EARL"]),
    ("6", 5, 40, ["COF-ESPR"]),
    ("7", 6, 50, ["COF-ESPR", "ACC-MUG"]),
    ("8", 7, 60, ["COF-ESPR", "ACC-MUG"]),
]


def write_orders(
    path: Path, orders: list[tuple[str, int, int, list[str]]], names: dict[str, str]
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for number, customer, days_ago, skus in orders:
            day = (TODAY - timedelta(days=days_ago)).isoformat()
            for sku in skus:
                writer.writerow([number, day, "10.00", "0", "paid", f"C{customer}",
                                 f"c{customer}@example.com", sku, names.get(sku, sku), 1,
                                 "5.00"])  # fmt: skip
    return path


def shop(
    folder: Path, orders: list[tuple[str, int, int, list[str]]], names: dict[str, str] = NAMES
) -> tuple[Store, dict]:
    store = open_store(folder / "shop.db", create=True)
    result = import_file(store, write_orders(folder / "orders.csv", orders, names), "orders")
    assert result.rows_rejected == 0, result.errors
    with store.write() as conn:  # complete settings, so flows can draft
        conn.executemany("INSERT INTO settings(key, value) VALUES (?, ?)", DEMO_SETTINGS.items())
    ids = {
        int(label[1:]): cid for cid, label in store.execute("SELECT id, external_id FROM customers")
    }
    return store, ids


def listed(store: Store, customer: int, rules: Rules | None = None, count: int = 3) -> list:
    found = Recommender(store, TODAY, rules).for_customers([customer], count)[customer]
    return [(item.sku, item.kind, item.reason, item.score) for item in found]


def test_a_complement_is_ranked_by_lift_with_its_reason(tmp_path: Path) -> None:
    store, ids = shop(tmp_path, BASKETS)
    # 7 customers; Earl Grey bought by 4, Lemon Cookies by 3, both by 3 (two in one order,
    # one months apart): lift 3 * 7 / (4 * 3) = 1.75.
    assert listed(store, ids[4])[0] == (
        "BIS-LEMON",
        "complement",
        "often bought with Earl Grey Classic",
        1.75,
    )
    # Then the bestsellers they lack: Espresso (3 orders; ties by key, BIS < COF), the mug (2).
    assert [sku for sku, *_ in listed(store, ids[4])] == ["BIS-LEMON", "COF-ESPR", "ACC-MUG"]


def test_two_customers_are_below_the_minimum_support(tmp_path: Path) -> None:
    store, ids = shop(tmp_path, BASKETS)
    # Espresso with a mug: 2 customers, under the default minimum of 3: only bestsellers.
    assert listed(store, ids[5]) == [
        ("TEA-EARL", "bestseller", "a bestseller", 0.5),  # 4 of the 8 orders
        ("BIS-LEMON", "bestseller", "a bestseller", 0.375),
        ("ACC-MUG", "bestseller", "a bestseller", 0.25),
    ]
    # With a minimum of 2 the mug is a complement: lift 2 * 7 / (3 * 2) = 2.3333.
    assert listed(store, ids[5], Rules(min_support=2))[0] == (
        "ACC-MUG",
        "complement",
        "often bought with Espresso",
        2.3333,
    )


def test_never_what_they_bought_even_when_little_is_left(tmp_path: Path) -> None:
    store, ids = shop(tmp_path, BASKETS)
    # Customer 1 has Earl Grey and Lemon Cookies: no complement left, two bestsellers.
    assert [sku for sku, *_ in listed(store, ids[1], count=5)] == ["COF-ESPR", "ACC-MUG"]
    everything = [*BASKETS, ("9", 1, 1, ["COF-ESPR", "ACC-MUG"])]
    store.close()
    (tmp_path / "all").mkdir()
    store, ids = shop(tmp_path / "all", everything)
    assert listed(store, ids[1]) == []
    assert Recommender(store, TODAY).nothing_to_recommend([ids[1], ids[4]]) == {ids[1]}


def refill_orders() -> list[tuple[str, int, int, list[str]]]:
    """Customers 1-5 reorder Earl Grey every 30 days, 6-10 every 40 (long ago); 11 bought it
    once, 35 days before TODAY. Median (lower) of the ten intervals: 30."""
    orders = []
    for customer in range(1, 11):
        gap = 30 if customer <= 5 else 40
        orders += [(f"R{customer}a", customer, 300, ["TEA-EARL"]),
                   (f"R{customer}b", customer, 300 - gap, ["TEA-EARL"])]  # fmt: skip
    return [*orders, ("R11", 11, 35, ["TEA-EARL"])]


def test_a_reminder_is_due_once_the_interval_has_passed(tmp_path: Path) -> None:
    store, ids = shop(tmp_path, refill_orders())
    assert listed(store, ids[11])[0] == (
        "TEA-EARL", "replenish",
        "time to reorder: last bought 35 days ago, customers reorder it every 30 days", 1.1667,
    )  # fmt: skip
    for days_since, due in ((29, False), (30, True), (59, True), (60, False)):
        as_of = TODAY - timedelta(days=35 - days_since)
        found = Recommender(store, as_of).for_customers([ids[11]])[ids[11]]
        assert any(item.kind == "replenish" for item in found) is due, days_since


@pytest.mark.parametrize("delay", [0, 2])
def test_the_replenishment_trigger_fires_on_the_due_day_once(tmp_path: Path, delay: int) -> None:
    store, ids = shop(tmp_path, refill_orders())
    templates = owner_templates(tmp_path)
    add_flow(store, "refill", parse_trigger("replenishment"), NOTE, delay_days=delay,
             templates_dir=templates)  # fmt: skip
    due_day = TODAY - timedelta(days=5)  # customer 11's purchase + 30 days
    enable_flow(store, "refill", due_day - timedelta(days=1))
    purchase = (TODAY - timedelta(days=35)).isoformat()
    for day in range(-1, 4):
        run_flows(store, due_day + timedelta(days=day), out_dir=tmp_path / "drafts",
                  templates_dir=templates)  # fmt: skip
        fired = day >= delay
        assert entries(store, "refill") == (
            {(ids[11], f"replenishment:{purchase}")} if fired else set()
        ), day


def test_a_purchase_since_cancels_the_reminder(tmp_path: Path) -> None:
    orders = [*refill_orders(), ("R12", 11, 3, ["TEA-EARL"])]
    store, ids = shop(tmp_path, orders)
    assert listed(store, ids[11]) == []  # everyone bought only Earl Grey: nothing else
    assert Recommender(store, TODAY).due_reminders(0, TODAY.toordinal()) == []


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(build_app(), [*args, "--db", str(db)], env={"COLUMNS": "200"})


def test_the_recommend_command(tmp_path: Path) -> None:
    store, ids = shop(tmp_path, BASKETS)
    store.close()
    db = tmp_path / "shop.db"
    result = invoke(db, "recommend", "c4@example.com", "--json", "-n", "2")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "customer": ids[4],
        "items": [
            {"sku": "BIS-LEMON", "product": "Lemon Cookies",
             "reason": "often bought with Earl Grey Classic", "kind": "complement", "score": 1.75},
            {"sku": "COF-ESPR", "product": "Espresso", "reason": "a bestseller",
             "kind": "bestseller", "score": 0.375},
        ],
    }  # fmt: skip
    human = invoke(db, "recommend", str(ids[4]))
    assert human.exit_code == 0 and "often bought with Earl Grey Classic" in human.stdout
    # 60 days before TODAY only orders 3 and 8 existed: customer 5 had bought nothing, and
    # the three products sold once each are the bestsellers (ties by key).
    past = invoke(db, "recommend", str(ids[5]), "--json", "--as-of",
                  (TODAY - timedelta(days=60)).isoformat())  # fmt: skip
    skus = [item["sku"] for item in json.loads(past.stdout)["items"]]
    assert skus == ["ACC-MUG", "COF-ESPR", "TEA-EARL"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recommend", "nobody@example.com"], "no customer with this email address or id"),
        (["recommend", "1", "-n", "0"], "-n"),
        (["recommend", "1", "--as-of", "2026-13-01"], "--as-of"),
    ],
)
def test_bad_input_is_refused_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    store, _ = shop(tmp_path, BASKETS)
    store.close()
    result = invoke(tmp_path / "shop.db", *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_product_names_are_shown_as_text(tmp_path: Path) -> None:
    hostile = '[bold]Tea[/bold] =HYPERLINK("x") \x1b[31mred'
    orders = [*BASKETS, ("9", 8, 1, ["TEA-HOSTILE"])]
    store, ids = shop(tmp_path, orders, NAMES | {"TEA-HOSTILE": hostile})
    store.close()
    result = invoke(tmp_path / "shop.db", "recommend", str(ids[4]), "-n", "6")
    assert result.exit_code == 0, result.output
    assert "[bold]Tea[/bold]" in result.stdout and "\x1b" not in result.stdout


def test_an_upgraded_shop_gets_the_tables_from_its_orders(tmp_path: Path) -> None:
    store, _ = shop(tmp_path, BASKETS)
    tables = ("customer_products", "recommend_products", "recommend_pairs",
              "recommend_intervals", "recommend_customers")  # fmt: skip

    def contents(store: Store) -> list[list[tuple]]:
        return [sorted(store.execute(f"SELECT * FROM {table}")) for table in tables]

    kept = contents(store)
    with store.write() as conn:  # the shop as the schema before recommendations left it
        for table in tables:
            conn.execute(f"DROP TABLE {table}")
    with store.write() as conn:  # its migration (not the last one any more: run it alone)
        add_recommend_tables(conn)
    assert contents(store) == kept
    store.close()
