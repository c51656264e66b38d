"""The retain-tui app: a stack of screens over one shop store, keyboard first.

The dashboard is always at the bottom of the stack; other screens are pushed on top and
Escape pops back. The app polls `PRAGMA data_version` (microseconds) to notice when a cron
import or a worker changed the store, and asks the visible screen to reload in place.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.theme import Theme

from core.paths import resolve_db_path
from core.store import Store, open_store, opening_notes, waiting_message
from tui.preferences import load_preferences, preferences_path, save_preferences
from tui.safe_text import clean
from tui.screens.base import RetainScreen
from tui.screens.campaigns import CampaignsScreen
from tui.screens.customers import CustomersScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.flows import FlowsScreen
from tui.screens.help import HelpScreen
from tui.screens.import_file import ImportScreen
from tui.screens.loyalty import LoyaltyScreen
from tui.screens.segments import SegmentsScreen
from tui.segment_provider import SegmentProvider
from tui.store_pool import StorePool

STORE_CHECK_SECONDS = 2.0
THEME_ENV = "RETAIN_THEME"
LOW_COLOUR_THEME = "ansi-dark"
KEPT_SYSTEM_COMMANDS = frozenset({"Theme", "Quit"})
"""Textual's own palette commands that the owner has a use for."""
WAITING_NOTICE_SECONDS = 15
"""How long the notice that a write waits stays; the outcome is a notice of its own."""


class RetainApp(App[None]):
    """Dashboard, customers, customer detail and import over the shop database at `db_path`."""

    CSS_PATH = "app.tcss"
    TITLE = "retain-tui"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (32, "-tall")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit retain-tui"),
        Binding("question_mark,f1", "help", "Help", tooltip="The keys of this screen"),
        Binding("r,f5", "refresh", "Refresh", show=False, tooltip="Re-read the shop database now"),
    ]

    # Every screen the owner can go to by name, in the order the palette lists them.
    SCREEN_CLASSES: ClassVar[dict[str, type[RetainScreen]]] = {
        "dashboard": DashboardScreen,
        "customers": CustomersScreen,
        "segments": SegmentsScreen,
        "campaigns": CampaignsScreen,
        "flows": FlowsScreen,
        "loyalty": LoyaltyScreen,
        "import": ImportScreen,
    }

    def __init__(
        self,
        db_path: Path | None,
        startup_notice: str | None = None,
        *,
        demo_loaded_on: date | None = None,
        shop_path: Path | None = None,
        theme: str | None = None,
        segments: SegmentProvider | None = None,
    ) -> None:
        super().__init__()
        self.db_path = resolve_db_path(db_path)
        self.demo_loaded_on = demo_loaded_on
        """Set when the store is the demo shop: every screen's header says so."""
        self.shop_path = shop_path
        """The owner's own shop database, where the import screen writes while the demo shows."""
        self.store: Store = open_store(self.db_path)
        self.pool = StorePool(self.db_path)
        self.startup_notice = startup_notice
        self.requested_theme = theme or os.environ.get(THEME_ENV) or None
        self.preferences_file = preferences_path()
        loaded = load_preferences(self.preferences_file)
        self.preferences = loaded.preferences
        """The owner's remembered choices (tui/preferences.py); RETAIN_THEME wins over theirs."""
        self._preference_problems = loaded.problems
        self._preferences_rewritable = loaded.rewritable
        from tui.segment_provider import CoreSegments

        self.segments: SegmentProvider = segments or CoreSegments()
        self._seen_version = self.store.data_version
        self.sub_title = clean(self.db_path.name)
        if demo_loaded_on is not None:  # short enough for an 80-column header
            self.sub_title = "your shop: retain-tui import orders FILE"

    @property
    def import_path(self) -> Path | None:
        """Where an import goes: this store, or the owner's own shop while the demo shows
        (None when the demo was opened by name and the owner's shop is unknown)."""
        return self.db_path if self.demo_loaded_on is None else self.shop_path

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header of every screen; on the demo it starts with DEMO."""
        formatted = super().format_title(title, sub_title)
        if self.demo_loaded_on is None:
            return formatted
        return Content.assemble(("DEMO", "bold reverse"), " · ", formatted)

    # -- life cycle ---------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return DashboardScreen()

    def on_mount(self) -> None:
        # The screens read the store from now on: what was committed before (between
        # __init__ and run, say) is in their first read, not a change to reload for.
        self._seen_version = self.store.data_version
        self._apply_theme()
        # Setting a theme publishes the change with call_next: subscribing the same way, after
        # it, leaves the theme applied here (RETAIN_THEME, the remembered one) unsaved.
        self.call_next(self.theme_changed_signal.subscribe, self, self._theme_chosen)
        if self._preference_problems:
            self.notify(
                clean("\n".join(self._preference_problems)),
                title="Preferences",
                severity="warning",
                timeout=20,
                markup=False,
            )
        if self.startup_notice:
            self.notify(clean(self.startup_notice), timeout=10, markup=False)
        for note in opening_notes(self.store):
            self.notify(clean(note), title="Shop database", timeout=20, markup=False)
        self.set_interval(STORE_CHECK_SECONDS, self.check_store)

    def on_unmount(self) -> None:
        self.pool.close()
        self.store.close()

    def _apply_theme(self) -> None:
        """An explicit theme wins, then the owner's remembered one; a terminal with only 16
        colours gets the ANSI theme."""
        remembered = self.preferences.theme
        if remembered and not self.requested_theme and remembered not in self.available_themes:
            names = ", ".join(sorted(self.available_themes))
            self._preference_problems.append(
                f"{self.preferences_file}: theme = {json.dumps(remembered)} is not a theme; "
                f"allowed: {names}"
            )
            self.preferences = self.preferences.but(theme=None)
            remembered = None
        if self.requested_theme:
            if self.requested_theme in self.available_themes:
                self.theme = self.requested_theme
            else:
                names = ", ".join(sorted(self.available_themes))
                self.notify(
                    f"Unknown theme {clean(self.requested_theme)!r}; themes: {names}",
                    severity="warning",
                    markup=False,
                )
        elif remembered:
            self.theme = remembered
        elif self.console.color_system in ("standard", "windows"):
            self.theme = LOW_COLOUR_THEME

    # -- preferences --------------------------------------------------------------------------

    def _theme_chosen(self, theme: Theme) -> None:
        self.remember(theme=theme.name)

    def remembered_figures(self, period: str, window_days: int) -> tuple[str, int]:
        """The dashboard's period and window: the owner's last choice, else the defaults."""
        chosen = self.preferences
        return chosen.period or period, chosen.window_days or window_days

    def remember(self, **choices: object) -> None:
        """Save what the owner just chose (see tui/preferences.py). A file that did not parse
        is left for the owner to fix; a folder that cannot be written is one warning."""
        chosen = self.preferences.but(**choices)
        if chosen == self.preferences:
            return
        self.preferences = chosen
        if not self._preferences_rewritable:
            return
        try:
            save_preferences(self.preferences_file, chosen)
        except OSError as exc:
            self._preferences_rewritable = False  # said once, not at every key press
            self.notify(
                clean(f"Could not save your preferences in {self.preferences_file}: {exc}"),
                title="Preferences",
                severity="warning",
                markup=False,
            )

    # -- writing ------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """A connection for one write, from a worker thread. If another program holds the
        write lock (a cron import merging), the owner is told at once that the app waits and
        for how long, while the screen stays usable; giving up raises `StoreBusyError`,
        which the screen's worker handler turns into one notice (nothing was changed)."""
        with self.pool.borrow(on_wait=self.say_waiting_from_thread) as store:
            yield store

    def say_waiting_from_thread(self) -> None:
        """`Store.on_wait` for a worker's write: the notice is shown by the UI thread."""
        self.call_from_thread(self.say_waiting)

    def say_waiting(self) -> None:
        self.notify(
            waiting_message().capitalize(),
            title="Waiting",
            severity="warning",
            timeout=WAITING_NOTICE_SECONDS,
            markup=False,
        )

    # -- store changes ------------------------------------------------------------------------

    def check_store(self) -> bool:
        """Reload the visible screen if another connection committed since we last looked."""
        version = self.store.data_version
        if version == self._seen_version:
            return False
        self._seen_version = version
        self._reload_screens()
        return True

    def on_app_focus(self) -> None:
        self.check_store()

    def action_refresh(self) -> None:
        self._seen_version = self.store.data_version
        self._reload_screens()

    def _reload_screens(self) -> None:
        """Mark every screen stale and reload the visible one (the others when shown again).

        Works on one snapshot of the stack: the 2-second check can fire while the app is
        closing, when the stack is already empty and `self.screen` would raise.
        """
        stack = self.screen_stack
        for screen in stack:
            if isinstance(screen, RetainScreen):
                screen.mark_stale()
        if stack and isinstance(stack[-1], RetainScreen):
            stack[-1].reload_if_stale()

    # -- navigation ---------------------------------------------------------------------------

    async def action_go(self, name: str) -> None:
        """Show the screen called `name`: back to it if it is open, else open it on top."""
        for screen in reversed(self.screen_stack):
            if getattr(screen, "SCREEN_NAME", None) == name:
                while self.screen is not screen:
                    await self.pop_screen()
                return
        await self.push_screen(self.SCREEN_CLASSES[name]())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return len(self.screen_stack) > 1  # nothing to go back to: hide the key
        return True

    async def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            await self.pop_screen()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen(self.screen))

    # -- command palette ----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every screen by name, then every action of the current screen, then the theme and
        quitting (Textual's Keys, Maximize and Screenshot are for developers, not the shop)."""
        for name, screen_class in self.SCREEN_CLASSES.items():
            yield SystemCommand(
                screen_class.TITLE_TEXT,
                screen_class.PURPOSE,
                partial(self.run_action, f"go('{name}')"),
            )
        if isinstance(screen, RetainScreen):
            yield from screen.palette_commands()
        yield SystemCommand("Help", "Show the keys of this screen", self.action_help)
        yield SystemCommand("Refresh", "Re-read the shop database now", self.action_refresh)
        for command in super().get_system_commands(screen):
            if command.title in KEPT_SYSTEM_COMMANDS:
                yield command
