"""What every view opened from the dashboard (tables, history, version, maintenance, backup,
mart docs) shares: a footer that fits from 80 columns up.

The console's own keys (r, f, c, t, m, b, d, l, q) work on every view, but listed in every
footer they pushed the view's own keys off the edge ("c Canc…" at 80 columns, cut at 120). A
view's footer shows its own keys and `?`; `?` lists the console's keys too, under "Not in the
footer", because it reads the same live bindings."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.app import App
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.binding import ActiveBinding

# The console's keys a view's footer still shows: `?` leads to every other one.
IN_EVERY_FOOTER = frozenset({"help"})
# Below this width the footer drops its padding and the ctrl+p hint (the dashboard's style).
WIDE_FOOTER = 100


class ConsoleView(Screen[None]):
    """A view of the console: its own keys in the footer, the console's keys behind `?`."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The screen's bindings as Textual finds them; the console's own marked not-in-footer
        (a copy with show=False: the key still works, and `?` says it is not in the footer)."""
        bindings = super().active_bindings
        for key, active in bindings.items():
            binding = active.binding
            if isinstance(active.node, App) and binding.show and binding.id not in IN_EVERY_FOOTER:
                bindings[key] = active._replace(binding=replace(binding, show=False))
        return bindings

    def on_resize(self, event: Resize) -> None:
        for footer in self.query(Footer):
            wide = event.size.width >= WIDE_FOOTER
            if footer.compact == wide or footer.show_command_palette != wide:
                footer.compact = not wide
                footer.show_command_palette = wide
                footer.refresh(recompose=True)
