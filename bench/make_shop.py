"""Write a large, realistic shop as a generic orders CSV for the benchmarks.

Defaults: 1,000,000 orders from about 350,000 customers over three years; half the customers
buy once, a long tail buys many times. Deterministic for a given seed.

    python bench/make_shop.py /work/bench-data/shop_1m.csv [--orders N] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path

START = date(2023, 1, 1)
DAYS = 3 * 365
COUNTRIES = (("DE", 35), ("NL", 20), ("IT", 15), ("NO", 10), ("GB", 12), ("US", 8))
FIRST = ("Anna", "Jürgen", "Lukas", "Sofia", "Marco", "Giulia", "Sanne", "Daan", "Ingrid", "Ola",
         "Emma", "Oliver", "Zoë", "Niccolò", "Bjørn", "Mia")  # fmt: skip
LAST = ("Müller", "Schmidt", "Rossi", "Bianchi", "de Vries", "Jansen", "Hansen", "Ødegård",
        "Smith", "Brown", "Weber", "Romano", "Bakker", "Berg")  # fmt: skip
PRODUCTS = [(f"SKU-{n:03d}", f"Product {n}", 490 + 137 * n % 8000) for n in range(40)]
HEADER = ("order_id", "ordered_at", "customer_id", "email", "first_name", "last_name", "country",
          "accepts_marketing", "currency", "total", "refunded", "status", "sku", "product",
          "quantity", "price", "discount_code")  # fmt: skip


def order_counts(rng: random.Random) -> int:
    """How many orders a customer would place: half buy once, the rest a long (Pareto) tail."""
    return 1 if rng.random() < 0.5 else 1 + min(200, int(rng.paretovariate(1.03)))


def discount_code(customer: int, k: int, number: int) -> str:
    """A welcome code on one first order in five (typed in any case, as shoppers do), a
    seasonal code on some later orders; decided without the random generator, so every other
    column is the same as in a shop written before codes were added."""
    if k == 0 and customer % 5 == 0:
        return ("WELCOME10", "welcome10 ", "Welcome10")[customer % 3]
    if k == 0 and customer % 17 == 0:
        return "FREESHIP"
    return "SUMMER" if number % 23 == 0 else ""


def write_shop(path: Path, orders: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    countries = [c for c, w in COUNTRIES for _ in range(w)]
    rows: list[tuple[int, int, int, int]] = []  # (day, second, customer, order-in-customer)
    customer = 0
    while len(rows) < orders:
        customer += 1
        wanted = order_counts(rng)
        # The shop grows: more first orders later in the range.
        day = int(DAYS * rng.random() ** 0.7)
        for k in range(min(wanted, orders - len(rows))):
            if day >= DAYS:  # the data ends: a customer's later orders have not happened yet
                break
            rows.append((day, rng.randrange(86400), customer, k))
            day += 1 + int(rng.expovariate(1 / max(7.0, 300.0 / wanted)))
    customers = customer
    rows.sort()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for number, (day, second, customer, k) in enumerate(rows, start=100001):
            sku, product, price = PRODUCTS[(customer * 7 + number) % len(PRODUCTS)]
            quantity = 1 + (number % 3 == 0)
            total = price * quantity + (0 if price * quantity >= 4900 else 490)
            status, refunded = "paid", 0
            roll = number % 100
            if roll == 0:
                status = "cancelled"
            elif roll < 3:
                refunded = total if roll == 1 else total // 3
            stamp = START + timedelta(days=day)
            hh, mm, ss = second // 3600, second // 60 % 60, second % 60
            writer.writerow((
                number, f"{stamp.isoformat()}T{hh:02d}:{mm:02d}:{ss:02d}+01:00",
                f"C{customer}", f"customer{customer}@example.com",
                FIRST[customer % len(FIRST)], LAST[customer * 3 % len(LAST)],
                countries[customer % len(countries)], "no" if customer % 7 == 0 else "yes",
                "EUR", f"{total / 100:.2f}", f"{refunded / 100:.2f}", status, sku, product,
                quantity, f"{price / 100:.2f}", discount_code(customer, k, number),
            ))  # fmt: skip
    return len(rows), customers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    orders, customers = write_shop(args.out, args.orders, args.seed)
    print(f"wrote {args.out}: {orders:,} orders from {customers:,} customers")


if __name__ == "__main__":
    main()
