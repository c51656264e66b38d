"""What referrals brought: `retain-tui referrals` (referrers, the customers they brought, those
customers' orders and net revenue) and the referral part of one customer's details.

Figures are as of one date (core/as_of.py): a credit counts when its referred order is on
or before it, and a referred customer's orders and net revenue are their counting orders
up to it (docs/metrics.md: not cancelled, not fully refunded; net = total − refunded).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from core.store import Store
from core.values import day_to_date

_NAME = "trim(coalesce({c}.first_name, '') || ' ' || coalesce({c}.last_name, ''))"


@dataclass
class Referred:
    """A customer a referrer brought, and what they bought up to the as-of date."""

    customer_id: int
    name: str
    email: str | None
    first_order: str  # ISO date of the order that credited the referrer
    orders: int
    net_revenue: int  # cents
    points: int  # credited to the referrer for them


@dataclass
class Referrer:
    customer_id: int
    name: str
    email: str | None
    code: str
    referred: list[Referred] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(item.points for item in self.referred)

    @property
    def net_revenue(self) -> int:
        return sum(item.net_revenue for item in self.referred)


@dataclass
class ReferralsReport:
    as_of: str
    codes: int
    """Customers with a referral code."""
    referrers: list[Referrer]
    """Referrers who brought at least one customer, most referred first."""

    def to_dict(self) -> dict[str, object]:
        referred = [item for referrer in self.referrers for item in referrer.referred]
        return {
            "as_of": self.as_of,
            "codes": self.codes,
            "referrers": len(self.referrers),
            "referred": len(referred),
            "orders": sum(item.orders for item in referred),
            "net_revenue": sum(item.net_revenue for item in referred),
            "points": sum(item.points for item in referred),
            "by_referrer": [
                {
                    **{k: v for k, v in asdict(referrer).items() if k != "referred"},
                    "points": referrer.points,
                    "net_revenue": referrer.net_revenue,
                    "referred": [asdict(item) for item in referrer.referred],
                }
                for referrer in self.referrers
            ],
        }


def _credits(store: Store, as_of: date, where: str = "", who: int | None = None) -> list[tuple]:
    """(referrer id, referrer name, email, code, referred id, name, email, order day, points,
    orders, net) of standing credits whose order is on or before `as_of`."""
    day = as_of.toordinal()
    return store.execute(
        f"""
        SELECT r.referrer_id, {_NAME.format(c="a")}, a.email, r.code,
               r.referred_id, {_NAME.format(c="b")}, b.email, r.order_day, r.points,
               (SELECT count(*) FROM orders o WHERE o.customer_id = r.referred_id
                AND NOT o.cancelled AND o.order_day <= :day),
               (SELECT coalesce(sum(o.total - o.refunded), 0) FROM orders o
                WHERE o.customer_id = r.referred_id AND NOT o.cancelled AND o.order_day <= :day)
        FROM referral_credits r
        JOIN customers a ON a.id = r.referrer_id JOIN customers b ON b.id = r.referred_id
        WHERE r.state = 'credited' AND r.order_day <= :day {where}
        ORDER BY r.referrer_id, r.order_day, r.referred_id
        """,
        {"day": day, "who": who},
    ).fetchall()


def referrals_report(store: Store, as_of: date) -> ReferralsReport:
    """Every referrer who brought someone by `as_of`, with the customers they brought."""
    by_referrer: dict[int, Referrer] = {}
    for row in _credits(store, as_of):
        referrer_id, name, email, code = row[:4]
        referrer = by_referrer.setdefault(referrer_id, Referrer(referrer_id, name, email, code))
        referrer.referred.append(_referred(row))
    referrers = sorted(
        by_referrer.values(), key=lambda r: (-len(r.referred), -r.net_revenue, r.customer_id)
    )
    codes = int(store.scalar("SELECT count(*) FROM referral_codes") or 0)
    return ReferralsReport(as_of.isoformat(), codes, referrers)


def _referred(row: tuple) -> Referred:
    return Referred(
        row[4], row[5], row[6], day_to_date(row[7]).isoformat(), int(row[9]), int(row[10]),
        int(row[8]),
    )  # fmt: skip


def customer_referrals(store: Store, customer_id: int, as_of: date) -> dict[str, object]:
    """For customer detail and `customer show --json`: their referral code, whom they
    referred (with the points credited) and who referred them (None if nobody)."""
    code = store.scalar("SELECT code FROM referral_codes WHERE customer_id = ?", (customer_id,))
    brought = [
        asdict(_referred(row))
        for row in _credits(store, as_of, "AND r.referrer_id = :who", customer_id)
    ]
    by = _credits(store, as_of, "AND r.referred_id = :who", customer_id)
    referred_by = None
    if by:
        row = by[0]
        referred_by = {
            "customer_id": row[0], "name": row[1], "email": row[2], "code": row[3],
            "first_order": day_to_date(row[7]).isoformat(), "points": int(row[8]),
        }  # fmt: skip
    return {
        "code": code,
        "referred": brought,
        "points": sum(int(item["points"]) for item in brought),  # type: ignore[call-overload]
        "referred_by": referred_by,
    }
