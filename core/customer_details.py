"""`retain-tui customer show`: one customer, their orders with lines, and their contact
history, as one document. An erased customer shows what remains: the anonymised row, the
orders without their codes, and the campaign history the figures still count."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from core.as_of import resolve_as_of
from core.contact_history import ContactHistory, contact_history
from core.customer_profile import (
    CustomerProfile,
    OrderSummary,
    load_lines,
    load_orders,
    load_profile,
)
from core.loyalty import customer_loyalty
from core.nps.figures import Answer, customer_answers
from core.predict.stored import customer_prediction
from core.referrals.report import customer_referrals
from core.store import Store
from core.values import day_to_date

ALL_ORDERS = 1_000_000_000


def is_forgotten(store: Store, customer_id: int) -> bool:
    """Whether the owner erased this customer (`retain-tui forget`)."""
    return bool(
        store.scalar(
            "SELECT EXISTS (SELECT 1 FROM forgotten WHERE customer_id = ?)", (customer_id,)
        )
    )


@dataclass
class CustomerDetails:
    """The customer's row and figures, their orders (oldest first) with lines, and history."""

    customer: dict[str, object]
    orders: list[dict[str, object]]
    history: ContactHistory
    responses: list[Answer] = field(default_factory=list)
    """Survey answers, oldest first (core/nps/)."""
    loyalty: dict[str, object] | None = None
    """Points, tier and the ledger as of the store's as-of date (core/loyalty)."""
    referrals: dict[str, object] | None = None
    """Their referral code, whom they referred and who referred them (core/referrals/)."""

    def to_dict(self) -> dict[str, object]:
        """What `customer show --json` prints."""
        return {
            "customer": self.customer,
            "orders": self.orders,
            "history": self.history.to_dict(),
            "responses": [answer.to_dict() for answer in self.responses],
            "loyalty": self.loyalty,
            "referrals": self.referrals,
        }


def customer_details(store: Store, customer_id: int) -> CustomerDetails | None:
    """Everything `customer show` shows; None for an unknown customer."""
    profile = load_profile(store, customer_id)
    if profile is None:
        return None
    orders = load_orders(store, customer_id, limit=ALL_ORDERS)
    answers = customer_answers(store, customer_id)
    customer = _customer(profile, forgotten=is_forgotten(store, customer_id))
    customer["nps_score"] = answers[-1].score if answers else None  # the latest answer's
    as_of = resolve_as_of(store)
    return CustomerDetails(
        _with_prediction(store, customer_id, customer),
        [_order(store, order) for order in reversed(orders)],
        contact_history(store, customer_id),
        answers,
        customer_loyalty(store, customer_id, as_of),
        customer_referrals(store, customer_id, as_of),
    )


def _customer(profile: CustomerProfile, *, forgotten: bool) -> dict[str, object]:
    data = asdict(profile)
    for key in ("first_day", "last_day"):
        day = data.pop(key)
        data[key.replace("day", "order")] = None if day is None else day_to_date(day).isoformat()
    data["name"] = profile.name
    data["forgotten"] = forgotten
    return data


def _with_prediction(store: Store, customer_id: int, data: dict[str, object]) -> dict[str, object]:
    """`prediction`: the stored p_alive, expected orders and spend, CLV (docs/predictions.md),
    or null when `predict` has not scored this customer."""
    prediction = customer_prediction(store, customer_id)
    data["prediction"] = None if prediction is None else prediction.to_dict()
    return data


def _order(store: Store, order: OrderSummary) -> dict[str, object]:
    data = asdict(order)
    data["ordered_on"] = day_to_date(data.pop("order_day")).isoformat()
    data["net"] = order.net
    data["lines"] = [asdict(line) for line in load_lines(store, order.id)]
    return data
