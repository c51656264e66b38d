"""Every campaign with what it brought back; Enter, h, r and l open the customers behind it.

The figures are those of `retain-tui campaigns` (core/campaigns/results.py, worded by
tui/campaign_figures.py): the table shows the counts that fit in 80 columns, the panel under
it everything about the highlighted campaign (left-out reasons, reorder shares, the uplift's
95 % interval, whether its window is over). The drafted, held-out and left-out customers, and
those who redeemed a code, open in the customer list, where Enter opens one customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from core.as_of import resolve_as_of
from core.campaigns.results import DEFAULT_WINDOW_DAYS, campaign_results, group_restriction
from core.customer_pages import ListQuery, Restriction
from tui import display
from tui.campaign_figures import campaign_lines, codes_cell, uplift_cell
from tui.safe_text import EMPTY, clean, content, plain
from tui.screens.base import RetainScreen
from tui.widgets.footer import RetainFooter

# (key, title, width, right-aligned); the name column takes what is left.
_COLUMNS: list[tuple[str, str, int, bool]] = [
    ("drafted", "Drafted", 7, True),
    ("held_out", "Held", 5, True),
    ("codes", "Redeemed", 9, True),
    ("revenue", "Revenue", 10, True),
    ("uplift", "Uplift", 9, True),
]
_MIN_NAME = 14
_SCROLLBAR = 2


class CampaignTable(DataTable[Text]):
    """One row per campaign, the name column as wide as the terminal allows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "select_cursor", "Drafted", tooltip="Open the campaign's drafted customers"
        ),
    ]

    def __init__(self, *, currency: str | None = None, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.currency = currency
        self.campaigns: list[dict] = []
        self._name_width = 0

    @property
    def current(self) -> dict | None:
        row = self.cursor_row
        return self.campaigns[row] if 0 <= row < len(self.campaigns) else None

    def show(self, campaigns: list[dict]) -> None:
        """Show `campaigns`, keeping the cursor on the campaign it was on."""
        keep = self.current["name"] if self.current else None
        self.campaigns = campaigns
        row = next((i for i, c in enumerate(campaigns) if c["name"] == keep), self.cursor_row)
        self._rebuild()
        if campaigns:
            self.move_cursor(row=max(0, min(row, len(campaigns) - 1)), animate=False)

    def _wanted_name_width(self) -> int:
        fixed = sum(width for _key, _title, width, _right in _COLUMNS)
        padding = 2 * self.cell_padding * (len(_COLUMNS) + 1)
        return max(_MIN_NAME, self.size.width - _SCROLLBAR - fixed - padding)

    def _rebuild(self) -> None:
        width = self._wanted_name_width()
        new_columns = width != self._name_width
        self.clear(columns=new_columns)
        if new_columns:
            self._name_width = width
            self.add_column("Campaign", width=width, key="name")
            for key, title, column_width, right in _COLUMNS:
                label = Text(title, justify="right" if right else "left")
                self.add_column(label, width=column_width, key=key)
        for figures in self.campaigns:
            self.add_row(*_cells(figures, self.currency), key=str(figures["id"]))

    def on_resize(self) -> None:
        if self._wanted_name_width() != self._name_width:
            self._rebuild()


def _cells(figures: dict, currency: str | None) -> list[Text]:
    revenue = display.money(round(figures["revenue"] * 100), currency)
    return [
        plain(figures["name"]),
        plain(display.count(figures["drafted"]), justify="right"),
        plain(display.count(figures["held_out"]), justify="right"),
        plain(codes_cell(figures), justify="right"),
        plain(revenue if figures["codes_issued"] else EMPTY, justify="right"),
        plain(uplift_cell(figures), justify="right"),
    ]


class CampaignsScreen(RetainScreen):
    SCREEN_NAME = "campaigns"
    TITLE_TEXT = "Campaigns"
    CSS_PATH = "campaigns.tcss"
    PURPOSE = "What each campaign brought back: codes redeemed, revenue, reorders vs the holdout."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "open_group('held_out')", "Held out", tooltip="Open the held-out customers"),
        Binding("r", "open_group('redeemers')", "Redeemers",
                tooltip="Open the customers whose orders redeemed a code"),
        Binding("l", "open_group('left_out')", "Left out", tooltip="Open the left-out customers"),
    ]  # fmt: skip

    @dataclass
    class Loaded(Message):
        campaigns: list[dict]
        as_of: str

    @dataclass
    class GroupRead(Message):
        restriction: Restriction
        empty: bool

    def __init__(self, window_days: int = DEFAULT_WINDOW_DAYS) -> None:
        super().__init__()
        self.window_days = window_days
        self.currency = ""
        self.loads = 0
        """How many lists were shown: lets tests wait for a fresh one."""

    def compose(self) -> ComposeResult:
        self.currency = self.retain_app.store.get_setting("shop.currency") or ""
        yield Header()
        yield CampaignTable(currency=self.currency, id="campaigns")
        yield Static("", id="campaign-detail", markup=False)
        yield Static("Reading campaigns…", id="campaigns-status", markup=False)
        yield RetainFooter()

    @property
    def table(self) -> CampaignTable:
        return self.query_one(CampaignTable)

    @property
    def current(self) -> dict | None:
        return self.table.current

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    def reload(self) -> None:
        self.load_campaigns()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="campaigns",
        description="Reading the campaigns",
    )
    def load_campaigns(self) -> None:
        with self.retain_app.pool.borrow() as store:
            as_of = resolve_as_of(store)
            campaigns = campaign_results(store, self.window_days, as_of)
        self.post_message(self.Loaded(campaigns, as_of.isoformat()))

    def on_campaigns_screen_loaded(self, message: CampaignsScreen.Loaded) -> None:
        self.table.show(message.campaigns)
        count = len(message.campaigns)
        status = (
            f"{count} campaign{'' if count == 1 else 's'} · reorders within "
            f"{self.window_days} days · data to {message.as_of}"
            if count
            else "No campaigns yet: every export that writes drafts records one."
        )
        self.query_one("#campaigns-status", Static).update(content(status))
        self._show_detail()
        self.loads += 1

    @on(DataTable.RowHighlighted, "#campaigns")
    def _show_detail(self) -> None:
        figures = self.current
        detail = self.query_one("#campaign-detail", Static)
        if figures is None:
            detail.update("")
            return
        title, *rest = campaign_lines(figures, self.currency)
        lines = [content(title, style="bold"), *(content(line.strip()) for line in rest)]
        detail.update(Content("\n").join(lines))

    # -- drill-down ---------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#campaigns")
    def _open_drafted(self) -> None:
        self.action_open_group("drafted")

    def action_open_group(self, group: str) -> None:
        if self.current is not None:
            self.read_group(self.current, group)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="campaign-group",
        description="Reading the campaign's customers",
    )
    def read_group(self, campaign: dict, group: str) -> None:
        with self.retain_app.pool.borrow() as store:
            restriction = group_restriction(store, campaign, group)
            empty = (
                restriction.ids == ()
                or not store.scalar(f"SELECT EXISTS ({restriction.sql})", restriction.params)
                if restriction.ids is None
                else not restriction.ids
            )
        self.post_message(self.GroupRead(restriction, empty))

    def on_campaigns_screen_group_read(self, message: CampaignsScreen.GroupRead) -> None:
        if message.empty:
            self.notify(f"Nobody {clean(message.restriction.label)}.", markup=False)
            return
        from tui.screens.customers import CustomersScreen

        self.app.push_screen(CustomersScreen(ListQuery(restriction=message.restriction)))
