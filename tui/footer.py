"""A footer that lists as many of its screen's keys as fit the terminal's width, the most useful
first: the dashboard has more keys than 80 columns hold, and room for all of them at 120.

The keys it shows are `shown` (their actions), which `?` reads, so the help's "in the footer" is
what the footer holds at this width. Built on Textual 8's Footer (compact style, no groups)."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

MARGIN = 1  # between two keys (FooterKey's margin-right in the compact style)


class FittingFooter(Footer):
    """The screen's keys taken in `priority` order (binding ids, most useful first) while they
    fit, shown in `order` (binding ids; the rest after, as the screen binds them). A binding in
    neither is a candidate only if it is shown at all (`show=True`)."""

    def __init__(
        self, priority: tuple[str, ...], order: tuple[str, ...] = (), *, id: str | None = None
    ) -> None:
        super().__init__(compact=True, show_command_palette=False, id=id)
        self.priority, self.order = priority, order
        self.shown: frozenset[str] = frozenset()

    def candidates(self) -> dict[str, tuple[Binding, bool, str]]:
        """action → (binding, enabled, tooltip): every key this footer may show, in the order
        the screen binds them (the first binding of an action, as Textual's footer takes)."""
        found: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show or binding.id in self.priority:
                found.setdefault(binding.action, (binding, enabled, tooltip))
        return found

    def fitting(self, width: int) -> frozenset[str]:
        """The actions whose keys fit `width` columns, taken in priority order."""
        found = self.candidates()

        def rank(action: str) -> int:
            binding_id = found[action][0].id
            listed = binding_id in self.priority
            return self.priority.index(binding_id) if listed else len(self.priority)

        used, chosen = -MARGIN, set()
        for action in sorted(found, key=rank):
            binding = found[action][0]
            need = cell_len(self.app.get_key_display(binding)) + MARGIN
            if binding.description:
                need += 1 + cell_len(binding.description)
            if used + need <= width:
                used += need
                chosen.add(action)
        return frozenset(chosen)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self.shown = self.fitting(self.size.width or self.app.size.width)
        found = self.candidates()

        def place(action: str) -> int:
            binding_id = found[action][0].id
            return self.order.index(binding_id) if binding_id in self.order else len(self.order)

        for action in sorted(found, key=place):
            binding, enabled, tooltip = found[action]
            if action in self.shown:
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip or binding.tooltip,
                )  # compact, as FooterKey is unless bound otherwise (this footer always is)

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and self.fitting(event.size.width) != self.shown:
            self.call_after_refresh(self.recompose)

    def prioritize(self, priority: tuple[str, ...]) -> None:
        """Take the keys in this order from now on (what is most useful changed, e.g. a run
        started); redrawn when that changes what fits."""
        if priority == self.priority:
            return
        self.priority = priority
        if self._bindings_ready and self.fitting(self.size.width) != self.shown:
            self.call_after_refresh(self.recompose)
