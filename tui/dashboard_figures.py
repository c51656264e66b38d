"""What the dashboard's tiles say, from `compute_stats` and the store totals: pure functions.

The "last complete period" is decided by the data, not the wall clock: the figures describe
the shop up to its as-of date (the day of its latest order, `core.as_of`), so the period is
the latest whole month, quarter or year that ended on or before that day. The same store
shows the same figures on any day, and a shop whose last import is old still shows its last
real quarter. The period the data ends in is unfinished: the chart shows it last, marked
"so far", with E counted on the as-of date (docs/metrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from core.metrics import last_complete_period, period_label
from core.shop_totals import ShopTotals
from tui import display
from tui.safe_text import EMPTY

if TYPE_CHECKING:
    from core.predict.stored import StoredFit

WINDOWS = (30, 90, 180, 365, 730)
CHART_PERIODS = {"month": 24, "quarter": 12, "year": 10}
"""How many complete periods the chart shows, ending with the last complete one."""


@dataclass(frozen=True)
class TileText:
    value: str
    caption: str = ""
    detail: str = ""
    title: str | None = None
    """A title that names the period ("CRR 2026-Q3"); None keeps the tile's own."""


@dataclass(frozen=True)
class Period:
    """The period the tiles describe: a whole calendar month, quarter or year."""

    kind: str
    start: date
    end: date
    window_days: int

    @property
    def label(self) -> str:
        return period_label(self.kind, self.start)

    @property
    def span(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def reference_today(as_of: date) -> date:
    """The first day the data does not cover: the day after the as-of date."""
    return as_of + timedelta(days=1)


def last_period(stats: dict[str, object]) -> Period | None:
    """The last complete period of `stats` (None for a shop without orders)."""
    if not stats.get("last_order"):
        return None
    kind = str(stats["period"])
    start, end = last_complete_period(
        kind, reference_today(date.fromisoformat(str(stats["as_of"])))
    )
    return Period(kind, start, end, int(stats["window_days"]))  # type: ignore[call-overload]


def period_row(stats: dict[str, object], period: Period | None) -> dict[str, object] | None:
    """`period`'s entry in `stats["periods"]`, or None when it is before the first order."""
    if period is None:
        return None
    start = period.start.isoformat()
    rows: list[dict[str, object]] = stats["periods"]  # type: ignore[assignment]
    return next((row for row in rows if row["start"] == start), None)


def chart_rows(stats: dict[str, object], period: Period | None) -> list[dict[str, object]]:
    """The complete periods up to `period`, the latest `CHART_PERIODS[kind]` of them, then
    the unfinished one the data ends in (`"complete": false`), if any."""
    if period is None:
        return []
    end = period.end.isoformat()
    rows: list[dict[str, object]] = stats["periods"]  # type: ignore[assignment]
    complete = [row for row in rows if str(row["end"]) <= end]
    unfinished = [row for row in rows if str(row["end"]) > end]
    return complete[-CHART_PERIODS[period.kind] :] + unfinished[-1:]


def percent(value: object) -> str:
    """34.5678 -> '34.6 %'; None (undefined, e.g. B = 0) -> '—'."""
    return EMPTY if value is None else f"{float(value):.1f} %"  # type: ignore[arg-type]


def cents(units: object) -> int:
    """A money figure of `compute_stats` (currency units, 2 decimals) in integer cents."""
    return round(float(units) * 100)  # type: ignore[arg-type]


def count(value: object) -> str:
    return display.count(int(value))  # type: ignore[call-overload]


def people(value: object) -> str:
    return display.plural(int(value), "customer")  # type: ignore[call-overload]


def totals_tiles(totals: ShopTotals) -> dict[str, TileText]:
    """The tiles that need only the store's totals: shown before any figure is computed."""
    money = display.money(totals.revenue, totals.currency)
    return {
        "customers": TileText(
            display.count(totals.customers),
            f"{display.count(totals.customers_with_orders)} ordered",
            f"Customers in the store: {display.count(totals.customers)}, of whom "
            f"{display.count(totals.customers_with_orders)} have ordered. "
            "Enter: every customer.",
        ),
        "revenue": TileText(money, "customers, net", _revenue_detail(totals, money)),
    }


def prediction_tile(fit: StoredFit | None, currency: str | None) -> TileText:
    """Expected revenue from existing customers over the next 90 days, from the stored fit;
    without one, how to get it. The caption fits a single tile at 80 columns (16 characters,
    tui/tile_layout.py); the detail says the rest."""
    if fit is None:
        return TileText(
            EMPTY,
            "run predict",
            "Expected revenue from existing customers needs predictions: run `retain-tui "
            "predict` (it needs at least 200 customers who bought again). Enter: every customer.",
        )
    stale = f" {fit.staleness_note()}." if fit.stale else ""
    return TileText(
        display.money(fit.revenue_90_days, currency),
        f"{'stale' if fit.stale else 'as of'} {fit.as_of.isoformat()}",
        f"Expected revenue from existing customers in the 90 days after "
        f"{fit.as_of.isoformat()}: their expected orders times expected order value "
        f"(BG/NBD + Gamma-Gamma, undiscounted, docs/predictions.md).{stale} "
        "Enter: every customer.",
    )


def _revenue_detail(totals: ShopTotals, money: str) -> str:
    """What the Revenue tile counts: customers' orders, the basis of every other figure."""
    guests = (
        f" Guests (orders without a customer, who cannot be retained) are not in it: "
        f"{display.plural(totals.guest_orders, 'order')}, "
        f"{display.money(totals.guest_revenue, totals.currency)}."
        if totals.guest_orders
        else ""
    )
    return (
        f"Revenue of customers' orders, all time: {money} over "
        f"{display.count(totals.orders)} orders, net of refunds; cancelled and fully refunded "
        f"orders do not count.{guests} Enter: customers by spend."
    )


def figure_tiles(stats: dict[str, object], currency: str | None) -> dict[str, TileText]:
    """The tiles computed by `compute_stats`: the period's figures and the shop-wide ratios."""
    period = last_period(stats)
    tiles = _shop_wide(stats, currency)
    if period is None:
        for name, title in PERIOD_TILES:
            tiles[name] = TileText(EMPTY, "no orders yet", "No counting orders yet.", title)
        return tiles
    row = period_row(stats, period)
    label = period.label
    if row is None:
        why = f"No whole {period.kind} in the data yet: {label} ended before the first order."
        for name, title in PERIOD_TILES:
            tiles[name] = TileText(EMPTY, f"no whole {period.kind}", why, f"{title} {label}")
        return tiles
    tiles.update(_period_tiles(stats, row, period, currency))
    tiles["nps"] = nps_tile(row, period)
    return tiles


PERIOD_TILES = (("orders", "Orders"), ("crr", "CRR"), ("churn", "Churn"), ("nps", "NPS"))
NO_ANSWERS = (
    "Send the feedback email (template feedback), then `retain-tui import responses FILE` "
    "with the answers (docs/nps.md)."
)


def nps_tile(row: dict[str, object], period: Period) -> TileText:
    """NPS of the period with its counts; a hint on how to get answers when it has none."""
    label = period.label
    answers = int(row.get("responses") or 0)  # type: ignore[call-overload]
    if not answers:
        return TileText(EMPTY, "no answers", f"No survey answers in {label}. {NO_ANSWERS}",
                        f"NPS {label}")  # fmt: skip
    promoters, passives, detractors = (int(row[k]) for k in ("promoters", "passives", "detractors"))  # type: ignore[call-overload]
    nps = f"{float(row['nps']):+.0f}"  # type: ignore[arg-type]
    return TileText(
        nps,
        f"P {promoters:,}  p {passives:,}  D {detractors:,}",
        f"NPS {label} = % promoters (9–10) − % detractors (0–6) of {people(answers)}, each "
        f"with their latest answer in {label}: promoters {promoters:,}, passives {passives:,}, "
        f"detractors {detractors:,}; NPS = ({promoters:,} − {detractors:,}) / {answers:,} × 100 "
        f"= {float(row['nps']):+.1f}. Enter: today's detractors.",  # type: ignore[arg-type]
        f"NPS {label}",
    )


def _shop_wide(stats: dict[str, object], currency: str | None) -> dict[str, TileText]:
    customers, orders = int(stats["customers"]), int(stats["orders"])  # type: ignore[call-overload]
    revenue = display.money(cents(stats["revenue"]), currency)
    aov = display.money(cents(stats["average_order_value"]), currency)
    per_customer = display.money(cents(stats["revenue_per_customer"]), currency)
    repeat = percent(stats["repeat_purchase_rate"])
    return {
        "repeat": TileText(
            repeat,
            "ordered twice+",
            "Repeat purchase rate = customers with ≥ 2 orders ÷ customers with ≥ 1 order "
            f"× 100 = {repeat} of {people(customers)}. Enter: the repeat customers.",
        ),
        "aov": TileText(
            aov,
            "per order",
            f"Average order value = revenue ÷ orders = {revenue} / {count(orders)} = {aov} "
            "(customers' orders, all time). Enter: customers by spend.",
        ),
        "per-customer": TileText(
            per_customer,
            "historic value",
            f"Revenue per customer = revenue ÷ customers = {revenue} / {count(customers)} = "
            f"{per_customer} (all time). Enter: customers by spend.",
        ),
    }


def _period_tiles(
    stats: dict[str, object], row: dict[str, object], period: Period, currency: str | None
) -> dict[str, TileText]:
    label, w = period.label, period.window_days
    b, e, n = (int(row[key]) for key in ("B", "E", "N"))  # type: ignore[call-overload]
    churned = int(row["churned"])  # type: ignore[call-overload]
    crr, churn = percent(row["crr"]), percent(row["churn"])
    revenue = display.money(cents(row["revenue"]), currency)
    counts = f"B {b:,} · E {e:,} · N {n:,}"
    if b:
        crr_detail = (
            f"CRR {label}, W = {w} days: {counts}. CRR = (E − N) / B × 100 = "
            f"({e:,} − {n:,}) / {b:,} × 100 = {crr}. Enter: the customers of B, E, N, ..."
        )
        churn_detail = (
            f"Churn {label} = |B \\ E| / B × 100 = {churned:,} / {b:,} × 100 = {churn}: "
            f"ordered in the {w} days before {label}, not in the {w} days up to its end. "
            "Enter: these customers."
        )
    else:
        crr_detail = (
            f"CRR {label}, W = {w} days: {counts}. CRR = (E − N) / B × 100 is undefined: "
            f"nobody ordered in the {w} days before {label} (B = 0)."
        )
        churn_detail = f"Churn {label} is undefined: B = 0, nobody could be lost."
    return {
        "orders": TileText(
            count(row["orders"]),
            people(row["customers"]),
            f"Orders in {label} ({period.span}): {count(row['orders'])} by "
            f"{people(row['customers'])}, {revenue}; {count(stats['orders'])} orders in all. "
            f"Enter: the customers who ordered in {label}.",
            f"Orders {label}",
        ),
        "crr": TileText(crr, f"B {b:,}  E {e:,}  N {n:,}", crr_detail, f"CRR {label}"),
        "churn": TileText(
            churn,
            f"{churned:,} of B lost" if b else "B = 0",
            churn_detail,
            f"Churn {label}",
        ),
    }


MEMBER_TITLES = {
    "B": "Active before {label} (B)",
    "E": "Active at the end of {label} (E)",
    "N": "New in {label} (N)",
    "churned": "Churned in {label} (B \\ E)",
    "retained": "Retained in {label} (B ∩ E)",
    "returning": "Returning in {label}",
    "active": "Ordered in {label}",
}
"""How the customer list names the people behind a figure of a period."""


def members_title(figure: str, period: Period, size: int) -> str:
    """'Churned in 2026-Q3 (B \\ E): 123 customers'."""
    return f"{MEMBER_TITLES[figure].format(label=period.label)}: {people(size)}"


def member_choices(row: dict[str, object], period: Period) -> list[tuple[str, str]]:
    """(figure, what the picker says) for the customers behind the CRR tile."""
    label = period.label
    return [
        ("B", f"B: active before {label} ({count(row['B'])})"),
        ("E", f"E: active at the end of {label} ({count(row['E'])})"),
        ("N", f"N: new in {label} ({count(row['N'])})"),
        ("retained", f"Retained: in B and in E ({count(row['retained'])})"),
        ("returning", f"Returning: ordered in {label}, not for the first time "
                      f"({count(row['returning_customers'])})"),
    ]  # fmt: skip
