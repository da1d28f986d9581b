"""The `/` input bar of every list: Enter applies the text, Escape clears the filter.

The bar only collects text; what a filter keeps is decided in core/explorer/filters.py (or
tui/log_levels.py for the log), and the screen shows the result and its count."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from lakeconsole.tui.keys import key_name


class TextInput(Input):
    """An Input that says it takes every key it types, `/` too: Textual finds no character for
    its `slash` key, so a screen's `/` stayed in the footer while the key typed a slash."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        typed = key_name(key)
        return super().check_consume_key(key, character or (typed if len(typed) == 1 else None))


class FilterBar(TextInput):
    """Hidden until `open`; answers with `FilterBar.Applied` (text, or "" when cleared)."""

    DEFAULT_CSS = """
    FilterBar {
        display: none;
        margin: 0 1;
    }
    FilterBar.-open {
        display: block;
    }
    /* On a screen whose panels fill it (the dashboard), the bar sits on the footer. */
    FilterBar.-docked {
        dock: bottom;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "clear_filter", "Clear", id="filter-bar.close", tooltip="Clear the filter"
        ),
    ]

    class Applied(Message):
        """The filter to apply ("" for none). `bar` tells two bars of one screen apart."""

        def __init__(self, bar: FilterBar, text: str) -> None:
            super().__init__()
            self.bar, self.text = bar, text

        @property
        def control(self) -> FilterBar:
            return self.bar

    def __init__(self, placeholder: str, id: str | None = None, docked: bool = False) -> None:
        super().__init__(placeholder=placeholder, id=id, classes="-docked" if docked else "")
        self.applied = ""
        self._before: Widget | None = None  # the focus goes back there when the bar closes

    def open(self) -> None:
        """Show the bar with the filter in force, ready to edit."""
        self._before = self.screen.focused
        self.value = self.applied
        self.add_class("-open")
        self.focus()
        self.cursor_position = len(self.value)

    async def action_submit(self) -> None:
        self._close(self.value.strip())

    def action_clear_filter(self) -> None:
        self._close("")

    def _close(self, text: str) -> None:
        self.applied = text
        self.remove_class("-open")
        if self._before is not None and self._before.is_attached:
            self._before.focus()
        else:
            self.screen.set_focus(None)
        self.post_message(self.Applied(self, text))


def count_text(shown: int, total: int | str, noun: str) -> str:
    """`12 of 340 tables`: how much of a list a filter keeps."""
    total_text = f"{total:,}" if isinstance(total, int) else total
    return f"{shown:,} of {total_text} {noun}"
