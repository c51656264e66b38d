"""What every retain-tui screen shares: going back, reloading in place, failures as notices."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.own_keys import own_bindings
from tui.safe_text import clean

if TYPE_CHECKING:
    from tui.app import RetainApp


class RetainScreen(Screen[None]):
    """A screen over the store. Subclasses implement `reload()` and keep the owner's place."""

    SCREEN_NAME: ClassVar[str] = ""
    TITLE_TEXT: ClassVar[str] = ""
    PURPOSE: ClassVar[str] = ""
    """One sentence for the palette and the help screen: what this screen is for."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.back", "Back", tooltip="Back to the previous screen"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._stale = False
        self.title = self.TITLE_TEXT

    @property
    def retain_app(self) -> RetainApp:
        return self.app  # type: ignore[return-value]

    def help_lines(self) -> list[str]:
        """Lines the help screen shows under the purpose (the app's own text, no markup)."""
        return []

    # -- reloading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read what the screen shows from the store, keeping cursor and scroll place."""

    def mark_stale(self) -> None:
        self._stale = True

    def reload_if_stale(self) -> None:
        if self._stale and self.is_attached:
            self._stale = False
            self.reload()

    def on_screen_resume(self) -> None:
        self.reload_if_stale()

    # -- failures -----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed becomes one notice with its reason, never a traceback."""
        if event.state is WorkerState.ERROR:
            worker = event.worker
            what = worker.description or worker.name or "Background work"
            self.notify(
                f"{clean(what)} failed: {clean(worker.error)}",
                severity="error",
                timeout=10,
                markup=False,
            )

    # -- command palette ----------------------------------------------------------------------

    def palette_commands(self) -> Iterable[SystemCommand]:
        """This screen's actions for the command palette: its own bindings and the ones shown
        in the footer (the app's own, see tui/own_keys.py), then `extra_commands()`."""
        seen: set[str] = set()
        for active in self.active_bindings.values():
            binding, node = active.binding, active.node
            if not binding.description or node is self.app or binding.action in seen:
                continue
            if binding.action not in own_bindings(node):
                continue  # Textual's own keys: Focus Next, Copy selected text, …
            if node is not self and not binding.show:
                continue
            if binding.action == "app.back" and len(self.app.screen_stack) <= 1:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            yield SystemCommand(
                f"{self.TITLE_TEXT}: {binding.description}",
                f"{binding.tooltip or binding.description} (key: {key})",
                partial(self.app.run_action, binding.action, node),
            )
        yield from self.extra_commands()

    def extra_commands(self) -> Iterable[SystemCommand]:
        """Palette commands that have no key of their own (e.g. "Sort by spent")."""
        return ()
