"""The loyalty scheme: members and points per tier, the liability, and the rules, which the
owner edits here (Enter on a rule): the same checks as `retain-tui loyalty rules KEY VALUE`
(core/shop_settings.py), a refused value is one notice and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Input, Static

from core.as_of import resolve_as_of
from core.loyalty import RULE_KEYS, LoyaltyError, LoyaltyReport, loyalty_report
from core.shop_settings import SPECS, SettingError, all_settings, set_setting
from tui import display
from tui.safe_text import clean, content
from tui.screens.base import RetainScreen
from tui.widgets.footer import RetainFooter


class RuleDialog(ModalScreen[str | None]):
    """Type a rule's new value; Enter saves it, Escape leaves it as it was."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, key: str, value: str) -> None:
        super().__init__()
        self.key, self.value = key, value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(content(f"{self.key}: {SPECS[self.key].help}"), id="question")
            yield Input(value=self.value, id="rule-value")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LoyaltyScreen(RetainScreen):
    SCREEN_NAME = "loyalty"
    TITLE_TEXT = "Loyalty"
    PURPOSE = "Points and tiers: members per tier, the points' value, and the rules to edit."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit_rule", "Edit rule", tooltip="Change the highlighted rule (or Enter)"),
    ]

    @dataclass
    class Loaded(Message):
        report: LoyaltyReport | None
        problem: str | None
        rules: dict[str, str | None]

    @dataclass
    class Saved(Message):
        key: str
        value: str

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading…", id="loyalty-summary", markup=False)
        yield Static("Rules (Enter changes one)", classes="section-title", markup=False)
        yield DataTable(id="rules", cursor_type="row", zebra_stripes=True)
        yield RetainFooter()

    def on_mount(self) -> None:
        table = self.query_one("#rules", DataTable)
        table.add_column("Rule", key="key", width=26)
        table.add_column("Value", key="value", width=32)
        table.add_column("Meaning", key="help")
        self.reload()

    def reload(self) -> None:
        self.load_loyalty()

    @work(thread=True, exclusive=True, exit_on_error=False, group="loyalty",
          description="Reading the loyalty figures")  # fmt: skip
    def load_loyalty(self) -> None:
        with self.retain_app.pool.borrow() as store:
            rules = {key: value for key, value in all_settings(store).items() if key in RULE_KEYS}
            try:
                report, problem = loyalty_report(store, resolve_as_of(store)), None
            except LoyaltyError as exc:
                report, problem = None, str(exc)
        self.post_message(self.Loaded(report, problem, rules))

    def on_loyalty_screen_loaded(self, message: LoyaltyScreen.Loaded) -> None:
        self.query_one("#loyalty-summary", Static).update(
            self._summary(message.report, message.problem)
        )
        table = self.query_one("#rules", DataTable)
        row = table.cursor_row
        table.clear()
        for key, value in message.rules.items():
            table.add_row(Text(key), Text(clean(value)), Text(SPECS[key].help), key=key)
        if table.row_count:
            table.move_cursor(row=max(0, min(row, table.row_count - 1)), animate=False)

    def _summary(self, report: LoyaltyReport | None, problem: str | None) -> Content:
        if report is None:
            return content(f"Loyalty figures not available: {problem}", style="bold red")
        currency = self.retain_app.store.get_setting("shop.currency")
        lines = [content(f"As of {report.as_of}: {display.count(report.members)} customers",
                         style="bold")]  # fmt: skip
        for tier in report.tiers:
            lines.append(
                content(
                    f"{clean(tier.name):<14} from {display.money(tier.threshold, currency):>12}"
                    f"  {display.count(tier.members):>9} customers"
                    f"  {display.count(tier.points):>13} points"
                )
            )
        lines.append(
            content(
                f"Points outstanding: {display.count(report.points_outstanding)}, worth "
                f"{display.money(report.value_outstanding, currency)}"
            )
        )
        if report.points_in_open_codes:
            lines.append(content(
                f"Promised in open codes: {display.count(report.points_in_open_codes)} points, "
                f"worth {display.money(report.value_in_open_codes, currency)} (deducted when "
                "an order uses them)"
            ))  # fmt: skip
        if report.negative_balances:
            lines.append(content(f"{display.count(report.negative_balances)} customers owe "
                                 "points (refunds after a redemption)"))  # fmt: skip
        return content("\n").join(lines)

    @on(DataTable.RowSelected, "#rules")
    def _rule_chosen(self) -> None:
        self.action_edit_rule()

    @work(exclusive=True, group="loyalty-edit")
    async def action_edit_rule(self) -> None:
        table = self.query_one("#rules", DataTable)
        if not table.row_count:
            return
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        current = str(table.get_row(key)[1])
        value = await self.app.push_screen_wait(RuleDialog(key, current))
        if value is not None and value != current:
            self.save_rule(key, value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="loyalty-write",
          description="Saving the rule")  # fmt: skip
    def save_rule(self, key: str, value: str) -> None:
        try:
            with self.retain_app.writing() as store:
                stored = set_setting(store, key, value)
        except SettingError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", timeout=10,
                                      markup=False)  # fmt: skip
            return
        self.post_message(self.Saved(key, stored))

    def on_loyalty_screen_saved(self, message: LoyaltyScreen.Saved) -> None:
        self.notify(f"{message.key} = {message.value}", markup=False)
        self.reload()
