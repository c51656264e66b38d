"""One customer: profile and consent, figures, orders, and the items of the selected order.

`m` toggles marketing consent after a confirmation; the change is recorded in consent_events
with source 'app', and a later import never turns a "no" back into "yes". The RFM scores and
segments, the latest survey answer with its comment (`#nps`, core/nps/), the products its
emails would recommend (core/recommend), loyalty points, drafted emails and discount codes
belong under `#extras` (their issues add them). `c` writes an email draft to this customer
(the compose screen). The contact history (every campaign that selected the customer, their
codes and the codes their orders redeemed) is the last section, shown once there is any (`h`
moves to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from core.addresses import ellipsized
from core.as_of import resolve_as_of
from core.consent import set_marketing_consent
from core.contact_history import HistoryEvent, contact_history
from core.customer_profile import (
    CustomerProfile,
    OrderLine,
    OrderSummary,
    count_orders,
    load_lines,
    load_orders,
    load_profile,
)
from core.erasure import ErasureReport, forget_customers
from core.nps.figures import Answer, customer_answers
from core.predict.stored import CustomerPrediction, customer_prediction
from core.recommend import Recommendation, Recommender
from core.referrals.report import customer_referrals
from core.segments import SegmentError, customer_rows
from core.store import Store
from tui import display
from tui.referral_text import referral_lines
from tui.safe_text import EMPTY, clean, content, plain
from tui.screens.base import RetainScreen
from tui.screens.dialogs import ConfirmScreen
from tui.widgets.footer import RetainFooter

TITLE_WIDTH = 60
"""The longest customer name the header shows; it holds the app's title too."""
COMMENT_SHOWN = 300
"""The longest survey comment shown (`customer show` prints it whole)."""


def segments_text(row: dict[str, object] | None) -> Content:
    """'RFM r 4 · f 2 · m 3: Potential Loyalists · segments: repeat, vip'."""
    if row is None:
        return content("RFM: not available", style="dim")
    names = [clean(name) for name in row["segments"]]  # type: ignore[attr-defined]
    if row["r"] is None:
        scores = content("RFM: no orders, no scores", style="bold")
    else:
        scores = content(
            f"RFM r {row['r']} · f {row['f']} · m {row['m']}: {clean(row['rfm_segment'])}",
            style="bold",
        )
        names = names[1:]  # the RFM segment comes first
    others = content(f" · segments: {', '.join(names)}" if names else " · in no other segment")
    return scores + others


def answer_text(answers: list[Answer]) -> Content:
    """'Survey: 3 (detractor) on 2026-02-10 · 2 answers' and the latest comment, as text that
    is never markup (the customer wrote it), cut after `COMMENT_SHOWN` characters."""
    if not answers:
        return content("Survey: no answer yet", style="dim")
    latest = answers[-1]
    more = f" · {display.plural(len(answers), 'answer')}" if len(answers) > 1 else ""
    line = content(
        f"Survey: {latest.score} ({latest.category}) on {display.day(latest.answered_day)}{more}",
        style="bold",
    )
    if not latest.comment:
        return line
    comment = ellipsized(clean(latest.comment, multiline=True), COMMENT_SHOWN)
    return Content("\n").join([line, content(f"“{comment}”", multiline=True)])


def recommended_text(items: list[Recommendation]) -> Content:
    """'Recommended: Lemon Cookies (often bought with Earl Grey Classic) · Espresso (a
    bestseller)' (core/recommend); names and reasons come from order lines: cleaned."""
    if not items:
        return content("Recommended: nothing (they bought every bestseller)", style="dim")
    picks = " · ".join(f"{clean(item.name)} ({clean(item.reason)})" for item in items)
    return content("Recommended: ", style="bold") + content(picks)


def loyalty_text(row: dict[str, object] | None, currency: str | None) -> Content:
    """'Loyalty: 1,230 points (worth €12.30) · Silver · €352.90 more to Gold' from the
    customer's row (core/customer_list.py); the tier names are the owner's, shown as text."""
    if row is None or row.get("points") is None:
        return content("Loyalty: not available (see `retain-tui loyalty`)", style="dim")

    def cents(key: str) -> int | None:
        value = row.get(key)
        return None if value is None else round(float(value) * 100)  # type: ignore[arg-type]

    tier = clean(row["tier"]) if row["tier"] else "no tier"
    text = (f"Loyalty: {display.count(row['points'])} points "  # type: ignore[arg-type]
            f"(worth {display.money(cents('points_value'), currency)}) · {tier}")  # fmt: skip
    if row.get("next_tier"):
        text += (f" · {display.money(cents('spend_to_next_tier'), currency)} more to "
                 f"{clean(row['next_tier'])}")  # fmt: skip
    return content(text)


class CustomerDetailScreen(RetainScreen):
    SCREEN_NAME = "customer"
    TITLE_TEXT = "Customer"
    PURPOSE = "One customer: profile, consent, figures, orders and their items."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "toggle_consent", "Consent", tooltip="Record a change of marketing consent"),
        Binding("c", "compose", "Email", tooltip="Write an email draft to this customer"),
        Binding("o", "focus_orders", "Orders", show=False, tooltip="Move to the orders"),
        Binding("l", "focus_lines", "Items", show=False, tooltip="Move to the order's items"),
        Binding(
            "h",
            "focus_history",
            "History",
            show=False,
            tooltip="Move to the contact history: campaigns, codes and redemptions",
        ),
        Binding(
            "F",
            "forget",
            "Forget",
            show=False,
            tooltip="Erase this person's personal data (an erasure request); orders stay",
        ),
    ]

    @dataclass
    class Loaded(Message):
        profile: CustomerProfile | None
        orders: list[OrderSummary]
        order_count: int
        segments: dict[str, object] | None = None
        """The customer's row of `core.segments.customer_rows` (scores and segments)."""
        history: list[HistoryEvent] | None = None
        """Campaign drafts, codes and redemptions, oldest first (core/contact_history.py)."""
        prediction: CustomerPrediction | None = None
        """The stored p_alive, expected orders and CLV (core/predict), if `predict` ran."""
        answers: list[Answer] | None = None
        """Survey answers, oldest first (core/nps/)."""
        recommended: list[Recommendation] | None = None
        """What the customer's emails would recommend (core/recommend)."""
        referrals: dict[str, object] | None = None
        """Their referral code, whom they referred, who referred them (core/referrals/)."""

    @dataclass
    class LinesLoaded(Message):
        order_id: int
        lines: list[OrderLine]

    @dataclass
    class ConsentSaved(Message):
        accepts: bool

    @dataclass
    class Forgotten(Message):
        report: ErasureReport

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.profile: CustomerProfile | None = None
        self.orders: list[OrderSummary] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="detail-top"):
            yield Static("Reading…", id="profile", markup=False)
            yield Static("", id="figures", markup=False)
        with Vertical(id="extras"):
            yield Static("", id="rfm", markup=False)
            yield Static("", id="nps", markup=False)
            yield Static("", id="recommended", markup=False)
            yield Static("", id="loyalty", markup=False)
            yield Static("", id="referrals", markup=False)
        yield Static("Orders", id="orders-title", classes="section-title", markup=False)
        yield DataTable(id="orders", cursor_type="row", zebra_stripes=True)
        yield Static("Items", id="lines-title", classes="section-title", markup=False)
        yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
        yield Static("Contact history", id="history-title", classes="section-title", markup=False)
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield RetainFooter()

    def on_mount(self) -> None:
        orders = self.query_one("#orders", DataTable)
        orders.add_column("Date", key="date", width=10)
        orders.add_column("Order", key="order", width=10)
        orders.add_column("Status", key="status", width=9)
        orders.add_column(plain("Items", justify="right", empty=""), key="items", width=5)
        orders.add_column(plain("Total", justify="right", empty=""), key="total", width=10)
        orders.add_column(plain("Refunded", justify="right", empty=""), key="refunded", width=9)
        orders.add_column("Code", key="code", width=9)
        lines = self.query_one("#lines", DataTable)
        lines.add_column("SKU", key="sku", width=14)
        lines.add_column("Product", key="product", width=28)
        lines.add_column(plain("Qty", justify="right", empty=""), key="qty", width=4)
        lines.add_column(plain("Price", justify="right", empty=""), key="price", width=10)
        lines.add_column(plain("Amount", justify="right", empty=""), key="amount", width=11)
        history = self.query_one("#history", DataTable)
        history.add_column("Date", key="when", width=10)
        history.add_column("Campaign", key="campaign", width=24)
        history.add_column("What", key="what", width=10)
        history.add_column("Detail", key="detail")
        self._show_history([])
        self.set_focus(orders)
        self.reload()

    def reload(self) -> None:
        self.load_customer()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="customer",
        description="Reading the customer",
    )
    def load_customer(self) -> None:
        with self.retain_app.pool.borrow() as store:
            profile = load_profile(store, self.customer_id)
            orders = load_orders(store, self.customer_id) if profile else []
            total = count_orders(store, self.customer_id) if profile else 0
            segments = self._segments(store) if profile else None
            history = contact_history(store, self.customer_id).events() if profile else []
            prediction = customer_prediction(store, self.customer_id) if profile else None
            answers = customer_answers(store, self.customer_id) if profile else []
            recommended = self._recommended(store) if profile else []
            referrals = (
                customer_referrals(store, self.customer_id, resolve_as_of(store))
                if profile
                else None
            )
        self.post_message(
            self.Loaded(
                profile,
                orders,
                total,
                segments,
                history,
                prediction,
                answers,
                recommended,
                referrals,
            )
        )

    def _recommended(self, store: Store) -> list[Recommendation]:
        recommender = Recommender(store, resolve_as_of(store, None))
        return recommender.for_customers([self.customer_id])[self.customer_id]

    def _segments(self, store: Store) -> dict[str, object] | None:
        try:
            rows = customer_rows(store, ids=[self.customer_id])
        except SegmentError:
            return None  # e.g. a broken RFM table setting: the rest of the page still shows
        return rows[0] if rows else None

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="lines",
        description="Reading the order's items",
    )
    def load_order_lines(self, order_id: int) -> None:
        with self.retain_app.pool.borrow() as store:
            lines = load_lines(store, order_id)
        self.post_message(self.LinesLoaded(order_id, lines))

    # -- showing ------------------------------------------------------------------------------

    @property
    def currency(self) -> str | None:
        return self.retain_app.store.get_setting("shop.currency")

    def on_customer_detail_screen_loaded(self, message: CustomerDetailScreen.Loaded) -> None:
        profile = self.profile = message.profile
        if profile is None:
            self.sub_title = ""
            self.query_one("#profile", Static).update("This customer is no longer in the store.")
            self.query_one("#figures", Static).update("")
            self.query_one("#orders", DataTable).clear()
            self.query_one("#lines", DataTable).clear()
            self._show_history([])
            return
        title = clean(profile.name or profile.email or f"customer {profile.id}")
        self.sub_title = ellipsized(title, TITLE_WIDTH)
        self.query_one("#profile", Static).update(self._profile_text(profile))
        figures = self._figures_text(profile)
        if message.prediction is not None:
            figures = Content("\n").join([figures, self._prediction_text(message.prediction)])
        self.query_one("#figures", Static).update(figures)
        self.query_one("#rfm", Static).update(segments_text(message.segments))
        self.query_one("#nps", Static).update(answer_text(message.answers or []))
        self.query_one("#recommended", Static).update(recommended_text(message.recommended or []))
        self.query_one("#loyalty", Static).update(loyalty_text(message.segments, self.currency))
        self._show_orders(message.orders, message.order_count)
        self._show_history(message.history or [])
        lines = referral_lines(message.referrals) if message.referrals else []
        self.query_one("#referrals", Static).update(content("\n".join(lines), multiline=True))
        self.query_one("#referrals", Static).display = bool(lines)

    def _show_history(self, events: list[HistoryEvent]) -> None:
        """The history's rows; the section takes no room while there is none."""
        table = self.query_one("#history", DataTable)
        table.clear()
        for event in events:
            table.add_row(
                plain(display.timestamp(event.when)[:10]), plain(event.campaign),
                plain(event.what), plain(event.detail),
            )  # fmt: skip
        title = f"Contact history ({len(events):,}): campaigns, codes, redemptions"
        self.query_one("#history-title", Static).update(content(title))
        for widget in (table, self.query_one("#history-title", Static)):
            widget.display = bool(events)

    def _profile_text(self, profile: CustomerProfile) -> Content:
        place = " · ".join(clean(part) for part in (profile.country, profile.language) if part)
        lines: list[Content | str] = [
            content(profile.name or "(no name)", style="bold"),
            content(profile.email, empty="(no email)"),
            content(place or EMPTY),
        ]
        if profile.created_at:
            lines.append(content(f"customer since {display.timestamp(profile.created_at)[:10]}"))
        if profile.external_id:
            lines.append(content(f"shop id {clean(profile.external_id)}", style="dim"))
        if profile.tags:
            lines.append(content(f"tags: {clean(profile.tags)}"))
        if profile.note:
            lines.append(content(f"note: {clean(profile.note, multiline=True)}", multiline=True))
        return Content("\n").join(lines)

    def _figures_text(self, profile: CustomerProfile) -> Content:
        currency = self.currency
        consent_line = f"Marketing email: {display.consent(profile.accepts_marketing)}"
        if profile.consent_history:
            last = profile.consent_history[-1]
            consent_line += f" (since {display.timestamp(last.at)[:10]}, {clean(last.source)})"
        average = profile.revenue // profile.orders if profile.orders else None
        lines = [
            content(consent_line, style="bold"),
            content(
                f"Orders: {display.count(profile.orders)}"
                f"   Spent: {display.money(profile.revenue, currency)}"
            ),
            content(f"Average order: {display.money(average, currency)}"),
            content(
                f"First order: {display.day(profile.first_day)}"
                f"   Last order: {display.day(profile.last_day)}"
            ),
        ]
        return Content("\n").join(lines)

    def _prediction_text(self, prediction: CustomerPrediction) -> Content:
        """Two lines: the chance the customer is still active, and what they should bring."""
        fit = prediction.fit
        currency = self.currency
        lines = [
            content(
                f"Still active: {prediction.p_alive:.0%}"
                f"   Next {fit.horizon_days} days: {prediction.expected_orders:.1f} orders, "
                f"CLV {display.money(prediction.clv, currency)}"
            ),
            content(
                f"predicted as of {fit.as_of.isoformat()}"
                + (" (stale: run retain-tui predict)" if fit.stale else ""),
                style="dim",
            ),
        ]
        return Content("\n").join(lines)

    def _show_orders(self, orders: list[OrderSummary], total: int) -> None:
        table = self.query_one("#orders", DataTable)
        selected = self.orders[table.cursor_row].id if self.orders and table.row_count else None
        self.orders = orders
        table.clear()
        currency = self.currency
        for order in orders:
            status = order.status or ""
            if order.cancelled:  # shown struck through: it does not count
                status = "refunded" if order.fully_refunded else "cancelled"
            style = "dim strike" if order.cancelled else ""
            table.add_row(
                plain(display.timestamp(order.ordered_at)[:10], style=style),
                plain(order.external_id, style=style),
                plain(status, style=style),
                plain(display.count(order.items), justify="right", style=style),
                plain(
                    display.money(order.total, order.currency or currency),
                    justify="right",
                    style=style,
                ),
                plain(
                    display.money(order.refunded, order.currency or currency)
                    if order.refunded
                    else "",
                    justify="right",
                    style=style,
                    empty="",
                ),
                plain(order.discount_code, style=style, empty=""),
                key=str(order.id),
            )
        shown = f"{len(orders):,} most recent of {total:,}" if total > len(orders) else f"{total:,}"
        self.query_one("#orders-title", Static).update(content(f"Orders ({shown})"))
        if not orders:
            self.query_one("#lines", DataTable).clear()
            self.query_one("#lines-title", Static).update("Items")
            return
        index = next((i for i, order in enumerate(orders) if order.id == selected), 0)
        table.move_cursor(row=index, animate=False)
        self.load_order_lines(orders[index].id)

    @on(DataTable.RowHighlighted, "#orders")
    def _order_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.load_order_lines(int(event.row_key.value))

    def on_customer_detail_screen_lines_loaded(
        self, message: CustomerDetailScreen.LinesLoaded
    ) -> None:
        order = next((order for order in self.orders if order.id == message.order_id), None)
        if order is None:
            return
        currency = order.currency or self.currency
        table = self.query_one("#lines", DataTable)
        table.clear()
        for line in message.lines:
            table.add_row(
                plain(line.sku),
                plain(line.product),
                plain(display.count(line.quantity), justify="right"),
                plain(display.money(line.unit_price, currency), justify="right"),
                plain(display.money(line.amount, currency), justify="right"),
            )
        net = display.money(order.net, currency)
        self.query_one("#lines-title", Static).update(
            content(f"Items of order {clean(order.external_id)} · net {net}")
        )

    # -- actions ------------------------------------------------------------------------------

    def action_focus_orders(self) -> None:
        self.set_focus(self.query_one("#orders", DataTable))

    def action_focus_lines(self) -> None:
        self.set_focus(self.query_one("#lines", DataTable))

    def action_focus_history(self) -> None:
        history = self.query_one("#history", DataTable)
        if history.display:
            self.set_focus(history)

    def action_compose(self) -> None:
        from tui.screens.compose import Audience, ComposeScreen

        profile = self.profile
        name = profile.name or profile.email if profile else None
        label = clean(name or f"customer {self.customer_id}")
        self.app.push_screen(ComposeScreen(Audience(label, customer_ids=(self.customer_id,))))

    @work(exclusive=True, group="consent")
    async def action_toggle_consent(self) -> None:
        profile = self.profile
        if profile is None:
            return
        who = clean(profile.name or profile.email or f"customer {profile.id}")
        accepts = not profile.accepts_marketing
        if accepts:
            question = f"Record that {who} agrees to receive marketing email?"
        else:
            question = (
                f"Record that {who} withdraws consent to marketing email? "
                "Later imports will not turn it back on."
            )
        if await self.app.push_screen_wait(ConfirmScreen(question)):
            self.save_consent(accepts)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="consent-write",
        description="Recording the consent",
    )
    def save_consent(self, accepts: bool) -> None:
        with self.retain_app.writing() as store:
            set_marketing_consent(store, self.customer_id, accepts, source="app")
        self.post_message(self.ConsentSaved(accepts))

    def on_customer_detail_screen_consent_saved(
        self, message: CustomerDetailScreen.ConsentSaved
    ) -> None:
        answer = "yes" if message.accepts else "no"
        self.notify(f"Marketing consent recorded: {answer}", markup=False)
        self.load_customer()

    @work(exclusive=True, group="forget")
    async def action_forget(self) -> None:
        profile = self.profile
        if profile is None:
            return
        who = clean(" · ".join(part for part in (profile.name, profile.email) if part))
        question = (
            f"Forget {who or f'customer {profile.id}'} for good? Name, email, shop id, tags, "
            "note and the discount codes typed at checkout are erased and cannot be brought "
            "back; the orders stay without them (keeping only this app's campaign codes), "
            "so no figure changes."
        )
        if await self.app.push_screen_wait(ConfirmScreen(question, "Forget", "Keep")):
            self.forget_customer()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="forget-write",
        description="Forgetting the customer",
    )
    def forget_customer(self) -> None:
        with self.retain_app.writing() as store:
            report = forget_customers(store, [self.customer_id])
        self.post_message(self.Forgotten(report))

    def on_customer_detail_screen_forgotten(self, message: CustomerDetailScreen.Forgotten) -> None:
        report = message.report
        removed = ", ".join(f"{column} ({count})" for column, count in report.cleared.items())
        lines = [
            f"Forgot customer {self.customer_id}: removed {removed or 'nothing more'}.",
            f"{report.kept_orders} orders kept without personal data.",
        ]
        lines += [f"Saved segment {name!r} names this person: edit it." for name in
                  report.segments_mentioning]  # fmt: skip
        if report.rebuild_error is not None:
            lines.append(
                f"The file could not be rebuilt ({report.rebuild_error}): old copies may "
                "remain in its free space; forget again once that is fixed."
            )
        elif not report.wal_cleared:
            lines.append("Another program is reading the shop: the old data leaves its -wal "
                         "file at the next checkpoint.")  # fmt: skip
        self.notify("\n".join(lines), title="Forgotten", markup=False, timeout=15)
        self.load_customer()
