"""Random shops with order lines and discount codes, and a plain-Python reference of every
figure of `products`, `drivers`, stats' returning revenue and segments' revenue.

The reference reads only the generated orders (never the store) and shares no code with
core/drivers: first orders by (day, time), code groups by splitting and upper-casing the
cell, money and rates with Fraction. Shops are imported over two files, then some orders are
revised (cancelled, refunded, moved, given another code) by a third, so the summaries'
incremental upkeep is exercised too.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

from core.importers import import_file
from core.store import Store

FIRST_DAY = date(2024, 1, 8)
PRODUCTS = {  # key -> (sku, name); the last two have no SKU: the name is the key
    "TEA-1": ("TEA-1", "Earl Grey"),
    "tea-1": ("tea-1", "Earl Grey (old SKU in lower case)"),
    "MUG": ("MUG", "Mug [bold]red[/bold]"),
    "BOX": ("BOX", "Gift box"),
    "Loose sencha": (None, "Loose sencha"),
    "Rooibos =HYPERLINK(1)": (None, "Rooibos =HYPERLINK(1)"),
}
CODE_CELLS = (None, None, None, "WELCOME", "welcome", "Welcome", "SUMMER", "A, b", "b; a", "X")


@dataclass(frozen=True)
class DriverOrder:
    number: int
    customer: int
    day: date
    second: int  # time of day: distinct per order, so no two orders of a day tie
    total: int
    refunded: int = 0
    cancelled: bool = False
    code: str | None = None
    keys: tuple[str, ...] = ()

    @property
    def counts(self) -> bool:
        """Not cancelled, not refunded in full (docs/metrics.md "What counts")."""
        return not self.cancelled and not 0 < self.total <= self.refunded

    @property
    def net(self) -> int:
        return self.total - self.refunded


def random_shop(rng: random.Random, customers: int, count: int, span: int) -> list[DriverOrder]:
    orders = []
    for number in range(1, count + 1):
        customer = rng.randint(1, customers)
        day = FIRST_DAY + timedelta(days=rng.randint(0, span))
        if orders and rng.random() < 0.15:  # another order of someone on the same day
            twin = rng.choice(orders)
            customer, day = twin.customer, twin.day
        total = rng.choice([0, 100, 999, 2550, rng.randint(1, 40_000)])
        refunded = rng.choice([0, 0, 0, total, rng.randint(0, total)])
        keys = tuple(rng.sample(sorted(PRODUCTS), k=rng.choice([0, 1, 1, 1, 2, 3])))
        if keys and rng.random() < 0.1:
            keys = (*keys, keys[0])  # two lines of one product in one order
        orders.append(
            DriverOrder(number, customer, day, rng.randrange(86_400), total, refunded,
                        rng.random() < 0.08, rng.choice(CODE_CELLS), keys)
        )  # fmt: skip
    return orders


def write_orders(path: Path, orders: list[DriverOrder]) -> None:
    """A generic orders CSV, one row per line (an order without lines has one row)."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "ordered_at", "customer_id", "total", "refunded", "status",
                         "discount_code", "sku", "product", "quantity"])  # fmt: skip
        for o in orders:
            hh, mm, ss = o.second // 3600, o.second // 60 % 60, o.second % 60
            head = [f"O{o.number}", f"{o.day}T{hh:02d}:{mm:02d}:{ss:02d}", f"C{o.customer}",
                    f"{o.total / 100:.2f}", f"{o.refunded / 100:.2f}",
                    "cancelled" if o.cancelled else "paid", o.code or ""]  # fmt: skip
            for key in o.keys or (None,):
                sku, name = PRODUCTS[key] if key else (None, None)
                writer.writerow([*head, sku or "", name or "", 1])


def load(store: Store, folder: Path, orders: list[DriverOrder], rng: random.Random) -> list:
    """Import over two files, then revise a quarter of the orders; the orders as stored."""
    orders = list(orders)
    rng.shuffle(orders)
    cut = rng.randint(0, len(orders))
    final = {o.number: o for o in orders}
    revised = []
    for o in rng.sample(orders, k=len(orders) // 4):
        change = rng.choice(["cancel", "refund", "restore", "move", "code"])
        if change == "cancel":
            new = replace(o, cancelled=True)
        elif change == "refund":
            new = replace(o, refunded=rng.randint(0, o.total), cancelled=False)
        elif change == "restore":
            new = replace(o, refunded=0, cancelled=False)
        elif change == "move":
            new = replace(o, day=o.day + timedelta(days=rng.randint(-40, 40)))
        else:
            new = replace(o, code=rng.choice(CODE_CELLS))
        revised.append(new)
        final[o.number] = new
    for index, part in enumerate((orders[:cut], orders[cut:], revised)):
        if part:
            path = folder / f"part{index}.csv"
            write_orders(path, part)
            result = import_file(store, path, "orders")
            assert result.rows_rejected == 0, result.errors
    return list(final.values())


# ---------------------------------------------------------------- the reference


def pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else float(round(Fraction(100 * part, whole), 4))


def money(cents: int, per: int) -> float | None:
    return None if per == 0 else float(round(Fraction(cents, 100 * per), 2))


def median(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def group_of_code(cell: str | None) -> str | None:
    codes = sorted({part.strip().upper() for part in (cell or "").replace(";", ",").split(",")}
                   - {""})  # fmt: skip
    return ", ".join(codes) or None


class Reference:
    """Every customer's history as of `as_of`, straight from the generated orders."""

    def __init__(self, orders: list[DriverOrder], as_of: date) -> None:
        self.as_of = as_of
        counting = sorted((o for o in orders if o.counts), key=lambda o: (o.day, o.second))
        self.first: dict[int, DriverOrder] = {}
        self.history: dict[int, list[DriverOrder]] = {}
        for o in counting:
            self.first.setdefault(o.customer, o)
            if o.day <= as_of:
                self.history.setdefault(o.customer, []).append(o)
        # A customer whose first order is after the as-of date is not one yet.
        self.first = {c: o for c, o in self.first.items() if o.day <= as_of}

    def totals(self, members: list[int]) -> dict[str, object]:
        n = len(members)
        revenue = sum(o.net for c in members for o in self.history[c])
        first = sum(self.first[c].net for c in members)
        return {
            "customers": n,
            "repeat_customers": sum(len(self.history[c]) >= 2 for c in members),
            "repeat_rate": pct(sum(len(self.history[c]) >= 2 for c in members), n),
            "revenue_per_customer": money(revenue, n),
            "revenue_after_first_per_customer": money(revenue - first, n),
            "comparable": n >= 30,
        }

    def groups(self, by: str) -> list[dict[str, object]]:
        members: dict[str | None, list[int]] = {}
        for customer, o in self.first.items():
            key = group_of_code(o.code) if by == "code" else f"{o.day:%Y-%m}"
            members.setdefault(key, []).append(customer)
        if by == "code":
            order = sorted(members, key=lambda g: (g is not None, -len(members[g]), g or ""))
        else:
            order = sorted(members)  # type: ignore[arg-type]
        return [{"group": g, **self.totals(members[g])} for g in order]

    def products(self) -> dict[str, dict[str, object]]:
        found = {}
        for key in PRODUCTS:
            firsts = [c for c, o in self.first.items() if key in o.keys]
            with_it = {c: [o for o in history if key in o.keys]
                       for c, history in self.history.items()}  # fmt: skip
            buyers = {c: bought for c, bought in with_it.items() if bought}
            if not buyers:
                continue
            again = {c: bought for c, bought in buyers.items() if len(bought) >= 2}
            totals = self.totals(firsts)
            sku, name = PRODUCTS[key]
            found[key] = {
                "key": key, "sku": sku, "name": name,
                "first_order_customers": totals.pop("customers"), **totals,
                "buyers": len(buyers), "reorder_customers": len(again),
                "reorder_rate": pct(len(again), len(buyers)),
                "median_reorder_days": median(
                    [(bought[1].day - bought[0].day).days for bought in again.values()]
                ),
            }  # fmt: skip
        return found

    def first_bought(self, key: str) -> set[int]:
        return {c for c, o in self.first.items() if key in o.keys}

    def revenue_of(self, customers: list[int]) -> tuple[int, int]:
        """Net cents and counting orders of `customers` up to the as-of date."""
        orders = [o for c in customers for o in self.history.get(c, [])]
        return sum(o.net for o in orders), len(orders)

    def revenue_returning(self, start: date, end: date) -> int:
        """Net cents in [start, end] from customers whose first order is before start."""
        return sum(
            o.net
            for c, history in self.history.items()
            for o in history
            if start <= o.day <= end and self.first[c].day < start
        )
