"""Build the demo shop "Nordlicht Tee & Kaffee" as two Shopify exports.

The demo has to show retention behaviour (one-time buyers, regulars, champions, lapsed customers,
Christmas peaks) and the awkward values real shops have (umlauts, markup-like brackets, missing
names, mixed-case emails), and anyone must be able to rebuild the exact same bytes. Hence a fixed
seed, a fixed end date instead of today, and the standard library only.

Run: python sample_data/generate.py
"""

import csv
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from catalogue import (
    ADDRESS2,
    COMPANIES,
    COUNTRIES,
    CUSTOMER_NOTES,
    ORDER_NOTES,
    PAYMENT_METHODS,
    PRODUCTS,
    SEASONAL,
    SPECIALS,
    Product,
    words,
)

SEED = 20240108
START, END = date(2024, 1, 8), date(2026, 10, 31)
SPAN = (END - START).days
OUT = Path(__file__).resolve().parent
CUSTOMERS, NEVER_ORDERED, CHAMPIONS, LAPSED, ONE_TIME_SHARE = 2000, 100, 15, 140, 0.55
REGULAR_GAP_DAYS, REGULAR_CHURN = 52, 0.05  # median days between a regular's orders; P(stop)
GROWTH = 0.2  # first purchases on the first day are 0.2/1.2 as likely as on the last day
SEASON = {
    1: 0.8,
    2: 0.85,
    3: 0.95,
    4: 0.95,
    5: 0.9,
    6: 0.9,
    7: 0.85,
    8: 0.85,
    9: 1.0,
    10: 1.1,
    11: 1.6,
    12: 1.9,
}  # relative order volume per month
CENT, ZERO = Decimal("0.01"), Decimal("0.00")
SHIPPING_FEE, FREE_SHIPPING_FROM = Decimal("4.90"), Decimal("49.00")
DISCOUNTS = {"WELCOME10": 10, "SOMMER15": 15, "XMAS20": 20}  # percent off the items
VENDOR = "Nordlicht Tee & Kaffee"


ORDER_HEADER = words(
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,"
    "Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,"
    "Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,"
    "Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,Payment ID,"
    "Payment Terms Name,Next Payment Due At,Payment References"
)
CUSTOMER_HEADER = words(
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,"
    "Default Address Province Code,Default Address Country Code,Default Address Zip,"
    "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,"
    "Tax Exempt,Tags"
)


TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "o", "å": "aa"}
)


@dataclass
class Customer:
    """One shopper: identity, address and how they buy."""

    country: str
    first: str
    last: str
    profile: str  # never, once, regular, lapsed or champion
    email: str = ""
    order_email: str = ""  # as typed at checkout; differs in case for a few customers
    address: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    sms: bool = False
    tea_fan: bool = True
    marketing: bool = True
    opted_out_on: int | None = None  # orders before this day still say "yes"
    tags: list[str] = field(default_factory=list)
    note: str = ""
    orders: list["Order"] = field(default_factory=list)


@dataclass
class Order:
    """One checkout; money is Decimal so the totals add up to the cent."""

    customer: Customer
    day: int
    created: datetime
    lines: list[tuple[Product, int]]
    code: str = ""
    discount: Decimal = ZERO
    status: str = "paid"
    refunded: Decimal = ZERO
    note: str = ""

    @property
    def items(self) -> Decimal:
        return sum((product.price * qty for product, qty in self.lines), ZERO)

    @property
    def subtotal(self) -> Decimal:
        return self.items - self.discount

    @property
    def shipping(self) -> Decimal:
        return ZERO if self.subtotal >= FREE_SHIPPING_FROM else SHIPPING_FEE

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping


def fill(rng: random.Random, pattern: str) -> str:
    """Zips and phones from a pattern: '#' any digit, '%' digit 2-9, '@' a capital letter."""
    pools = {"#": "0123456789", "%": "23456789", "@": "ABDEGHJLNPRTWX"}
    return "".join(rng.choice(pools[ch]) if ch in pools else ch for ch in pattern)


def slug(text: str) -> str:
    """ASCII email local part from a name: Jürgen -> juergen, D'Amico -> damico."""
    plain = unicodedata.normalize("NFKD", text.lower().translate(TRANSLIT))
    return "".join(ch for ch in plain if ch.isascii() and ch.isalnum())


def in_season(rng: random.Random, day: int) -> bool:
    """Thin out days by month so that November and December stand out."""
    return rng.random() < SEASON[(START + timedelta(day)).month] / max(SEASON.values())


def first_day(rng: random.Random, lo: int, hi: int) -> int:
    """A first purchase: the shop grows, so later days are likelier."""
    while True:
        day = rng.randint(lo, hi)
        if rng.random() < (GROWTH + day / SPAN) / (GROWTH + 1) and in_season(rng, day):
            return day


def order_days(rng: random.Random, profile: str) -> list[int]:
    """Purchase days (offsets from START) for one customer, shaped by their profile."""
    if profile == "once":
        return [first_day(rng, 0, SPAN)]
    stop, churn, cap = SPAN, 0.0, 999
    if profile == "champion":
        day = first_day(rng, 0, SPAN * 2 // 5)
        cap, gap = 60, (SPAN - day) / rng.randint(22, 56)  # still buying at the end
    elif profile == "lapsed":  # a regular who stopped more than six months before the end
        day = first_day(rng, 0, SPAN - 400)
        stop, cap, gap = SPAN - 200, rng.randint(4, 12), rng.uniform(20, 50)
    else:
        day = first_day(rng, 0, SPAN - 45)
        churn, gap = REGULAR_CHURN, max(14, REGULAR_GAP_DAYS * rng.lognormvariate(0, 0.6))
    days = [day]
    while len(days) < cap:
        candidate = day + max(3, round(rng.gammavariate(2.0, gap / 2)))
        if candidate > stop:
            break
        if in_season(rng, candidate):
            day = candidate
            days.append(day)
            if rng.random() < churn:
                break
    if len(days) == 1:  # a repeat buyer buys at least twice
        days.append(rng.randint(days[0] + 7, min(stop, days[0] + 120)))
    return days


def local_time(rng: random.Random, customer: Customer, day: int) -> datetime:
    """Evening-heavy local checkout time, with the offset of the customer's zone that day."""
    hour = rng.choices(range(6, 24), [1, 2, 3, 4, 4, 4, 5, 5, 4, 4, 5, 6, 7, 9, 10, 9, 6, 3])[0]
    moment = time(hour, rng.randint(0, 59), rng.randint(0, 59))
    zone = ZoneInfo(COUNTRIES[customer.country].tz)
    return datetime.combine(START + timedelta(day), moment, zone)


def make_customers(rng: random.Random) -> list[Customer]:
    """Specials first, then random locals; give every one an address, email and consent."""
    codes = list(COUNTRIES)
    customers = [Customer(*special) for special in SPECIALS]
    fixed = [special[3] for special in SPECIALS]
    one_time = round(ONE_TIME_SHARE * (CUSTOMERS - NEVER_ORDERED)) - fixed.count("once")
    profiles = (
        ["never"] * NEVER_ORDERED
        + ["once"] * one_time
        + ["champion"] * (CHAMPIONS - fixed.count("champion"))
        + ["lapsed"] * (LAPSED - fixed.count("lapsed"))
    )
    profiles += ["regular"] * (CUSTOMERS - len(SPECIALS) - len(profiles))
    rng.shuffle(profiles)
    for profile in profiles:
        code = rng.choices(codes, [COUNTRIES[c].weight for c in codes])[0]
        first = "" if rng.random() < 0.03 else rng.choice(COUNTRIES[code].first)
        customers.append(Customer(code, first, rng.choice(COUNTRIES[code].last), profile))
    used: set[str] = set()
    for c in customers:
        land = COUNTRIES[c.country]
        local = ".".join(slug(part) for part in (c.first.split(" ")[0], c.last) if slug(part))
        domain = rng.choice(["example.com", "example.org", "example.net"])
        email, n = f"{local[:40]}@{domain}", 1
        while email in used:
            n += 1
            email = f"{local[:40]}+{n}@{domain}"
        used.add(email)
        c.email = c.order_email = email
        city, zip_pattern, province, province_name = rng.choice(land.cities)
        c.address = {
            "Address1": land.street.format(s=rng.choice(land.streets), n=rng.randint(1, 180)),
            "Address2": rng.choice(ADDRESS2) if rng.random() < 0.08 else "",
            "Company": rng.choice(COMPANIES) if rng.random() < 0.02 else "",
            "City": city,
            "Zip": fill(rng, zip_pattern),
            "Province": province,
            "Province Name": province_name,
        }
        c.phone = fill(rng, land.phone) if rng.random() < 0.3 else ""
        c.marketing = rng.random() >= 0.15
        c.sms = bool(c.phone) and c.marketing and rng.random() < 0.3
        c.tea_fan = rng.random() < 0.55
        c.note = rng.choice(CUSTOMER_NOTES) if rng.random() < 0.01 else ""
        if c.address["Company"] and rng.random() < 0.8:
            c.tags.append("wholesale")
        if c.marketing and rng.random() < 0.25:
            c.tags.append("newsletter")
    buyers = [c for c in customers[len(SPECIALS) :] if c.profile != "never"]
    for i, c in enumerate(rng.sample(buyers, 8)):  # Mixed.Case@Example.com; 3 check out lowercase
        local, domain = c.email.split("@")
        c.email = f"{'.'.join(p.capitalize() for p in local.split('.'))}@{domain.capitalize()}"
        c.order_email = c.email.lower() if i < 3 else c.email
    return customers


def make_order(rng: random.Random, c: Customer, day: int, first: bool) -> Order:
    """Pick the basket, the discount code and what happened to the order afterwards."""
    when = local_time(rng, c, day)
    christmas = when.month in (11, 12)
    weights = [
        p.popularity
        * (3 if p.sku.startswith("TEA") == c.tea_fan else 1)
        * ((8 if christmas else 0.2) if p.sku in SEASONAL else 1)
        for p in PRODUCTS
    ]
    lines: list[tuple[Product, int]] = []
    for _ in range(rng.choices([1, 2, 3, 4, 5], [40, 30, 17, 9, 4])[0]):
        product = rng.choices(PRODUCTS, weights)[0]
        if all(product != p for p, _ in lines):
            lines.append((product, rng.choices([1, 2, 3], [75, 18, 7])[0]))
    order = Order(c, day, when, lines)
    if date(when.year, 11, 20) <= when.date() <= date(when.year, 12, 24) and rng.random() < 0.2:
        order.code = "XMAS20"
    elif when.month in (6, 7, 8) and rng.random() < 0.12:
        order.code = "SOMMER15"
    elif first and rng.random() < 0.18:
        order.code = "WELCOME10"
    if order.code:
        order.discount = (order.items * DISCOUNTS[order.code] / 100).quantize(CENT, ROUND_HALF_UP)
    roll = rng.random()
    if roll < 0.02:
        order.status = "voided"
    elif roll < 0.03:
        order.status, order.refunded = "refunded", order.total
    elif roll < 0.05 and order.total > 10:
        returned = rng.choice(lines)[0].price
        order.status, order.refunded = "partially_refunded", min(returned, order.total - 1)
    order.note = rng.choice(ORDER_NOTES) if rng.random() < 0.03 else ""
    return order


def stamp(moment: datetime | None) -> str:
    """Shopify's timestamp: 2024-03-05 14:02:11 +0100."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %z") if moment else ""


def order_rows(rng: random.Random, order: Order, number: int, order_id: int) -> list[list[str]]:
    """One row per line item; the order's own fields only on the first row, as Shopify does."""
    c, addr, land = order.customer, order.customer.address, COUNTRIES[order.customer.country]
    done = order.status != "voided" and order.day < SPAN - 2  # the last days are not shipped yet
    rows = [
        {
            "Name": f"#{number}",
            "Lineitem quantity": str(qty),
            "Lineitem name": p.name,
            "Lineitem price": f"{p.price:.2f}",
            "Lineitem compare at price": p.compare_at,
            "Lineitem sku": p.sku,
            "Lineitem requires shipping": "true",
            "Lineitem taxable": "true",
            "Lineitem discount": "0.00",
            "Lineitem fulfillment status": "fulfilled" if done else "pending",
        }
        for p, qty in order.lines
    ]
    rate = Decimal(land.vat)
    tax = (order.total * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
    ref = f"c{rng.randint(10**10, 10**11 - 1)}.1"
    shipped = datetime.combine(
        order.created.date() + timedelta(rng.randint(1, 3)),
        time(rng.randint(9, 17), rng.randint(0, 59), rng.randint(0, 59)),
        order.created.tzinfo,
    )
    marketing = c.marketing or (c.opted_out_on is not None and order.day < c.opted_out_on)
    voided = order.status == "voided"
    cancelled = order.created + timedelta(hours=rng.randint(1, 30))
    rows[0].update(
        {
            "Email": c.order_email,
            "Financial Status": order.status,
            "Paid at": "" if voided else stamp(order.created + timedelta(seconds=3)),
            "Fulfillment Status": "fulfilled" if done else "unfulfilled",
            "Fulfilled at": stamp(shipped) if done else "",
            "Accepts Marketing": "yes" if marketing else "no",
            "Currency": "EUR",
            "Subtotal": f"{order.subtotal:.2f}",
            "Shipping": f"{order.shipping:.2f}",
            "Taxes": f"{tax:.2f}",
            "Total": f"{order.total:.2f}",
            "Discount Code": order.code,
            "Discount Amount": f"{order.discount:.2f}",
            "Created at": stamp(order.created),
            "Shipping Method": "Standard Shipping" if order.shipping else "Free Shipping",
            "Notes": order.note,
            "Refunded Amount": f"{order.refunded:.2f}",
            "Cancelled at": stamp(cancelled) if voided else "",
            "Payment Method": rng.choice(PAYMENT_METHODS),
            "Payment Reference": ref,
            "Payment ID": ref,
            "Payment References": ref,
            "Vendor": VENDOR,
            "Outstanding Balance": "0.00",
            "Id": str(order_id),
            "Risk Level": "Low",
            "Source": "web",
            "Tags": "wholesale" if "wholesale" in c.tags else "",
            "Phone": c.phone,
            "Tax 1 Name": f"{c.country} VAT {land.vat}%" if land.vat else "",
            "Tax 1 Value": f"{tax:.2f}" if land.vat else "",
        }
    )
    for side in ("Billing", "Shipping"):
        rows[0].update({f"{side} {key}": addr[key] for key in addr})
        rows[0].update(
            {
                f"{side} Name": " ".join(filter(None, (c.first, c.last))),
                f"{side} Street": addr["Address1"],
                f"{side} Zip": "'" + addr["Zip"],
                f"{side} Country": c.country,
                f"{side} Phone": c.phone,
            }
        )
    return [[row.get(col, "") for col in ORDER_HEADER] for row in rows]


def customer_row(c: Customer, customer_id: int) -> list[str]:
    """Totals as Shopify keeps them: cancelled orders don't count, refunds are subtracted."""
    kept = [o for o in c.orders if o.status != "voided"]
    spent = sum((o.total - o.refunded for o in kept), ZERO)
    values = {
        "Customer ID": f"'{customer_id}",
        "First Name": c.first,
        "Last Name": c.last,
        "Email": c.email,
        "Accepts Email Marketing": "yes" if c.marketing else "no",
        **{
            f"Default Address {key}": c.address[key]
            for key in ("Company", "Address1", "Address2", "City")
        },
        "Default Address Province Code": c.address["Province"],
        "Default Address Country Code": c.country,
        "Default Address Zip": "'" + c.address["Zip"],
        "Default Address Phone": c.phone,
        "Phone": c.phone,
        "Accepts SMS Marketing": "yes" if c.sms else "no",
        "Total Spent": f"{spent:.2f}",
        "Total Orders": str(len(kept)),
        "Note": c.note,
        "Tax Exempt": "no",
        "Tags": ", ".join(c.tags),
    }
    return [values[col] for col in CUSTOMER_HEADER]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """UTF-8 without BOM, minimal quoting, '\\n' line ends: what Shopify hands out."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    """Generate both files and print what came out."""
    rng = random.Random(SEED)
    customers = make_customers(rng)
    accounts: list[tuple[datetime, Customer]] = []  # customer IDs grow with the account's age
    for c in customers:
        if c.profile != "never":
            days = order_days(rng, c.profile)
            if c is customers[0]:
                days[0] = 0  # Jürgen Müller placed the opening-day order
            c.orders = [make_order(rng, c, day, i == 0) for i, day in enumerate(days)]
            if not c.marketing and len(days) > 2 and rng.random() < 0.15:
                c.opted_out_on = days[len(days) // 2]  # subscribed at first, unsubscribed later
        if c.profile == "champion" or "[VIP]" in c.first:
            c.tags.insert(0, "vip")
        since = c.orders[0].created if c.orders else local_time(rng, c, rng.randint(0, SPAN))
        accounts.append((since, c))
    orders = sorted((o for c in customers for o in c.orders), key=lambda o: o.created)
    rows, order_id = [], 5_400_000_000_000
    for number, order in enumerate(orders, start=1001):
        order_id += rng.randint(50_000, 1_500_000)
        rows += order_rows(rng, order, number, order_id)
    write_csv(OUT / "orders_export.csv", ORDER_HEADER, rows)
    people, customer_id = [], 7_100_000_000_000
    for _, c in sorted(accounts, key=lambda account: account[0]):
        customer_id += rng.randint(1_000_000, 60_000_000)
        people.append(customer_row(c, customer_id))
    write_csv(OUT / "customers_export.csv", CUSTOMER_HEADER, people)
    buyers = [c for c in customers if c.orders]
    once = sum(len(c.orders) == 1 for c in buyers)
    print(
        f"customers {len(customers)} ({len(customers) - len(buyers)} never ordered), "
        f"orders {len(orders)}, line rows {len(rows)}, "
        f"one-time buyers {once / len(buyers):.1%}, "
        f"20+ orders {sum(len(c.orders) >= 20 for c in buyers)}, "
        f"dates {orders[0].created:%Y-%m-%d} .. {orders[-1].created:%Y-%m-%d}"
    )


if __name__ == "__main__":
    main()
