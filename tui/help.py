"""`?`: the keys as they are bound now (remaps included), what the panels show, where to look."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

PANELS = """\
Panels
- Pipeline: Bronze → Silver → Gold, a card per step: state, progress, records in → out, \
time. Tab, Shift+Tab or a click selects a layer or a step.
- Heartbeat (top line): the last run, as `lakeconsole run` prints it (OPS-09).
- Landing: files waiting in data/landing; `a` turns auto-run on new files on or off.
- Latency: end-to-end latency of recent runs (start of bronze to end of gold).
- Maintenance: last vacuum and backup, and what is overdue.
- app.log: the tail of the log; `l` enlarges it, `l` or Escape shrinks it.

Remap keys in .env by binding id:  CONSOLE_KEYMAP=run=R;quit=ctrl+q
NO_COLOR=1 turns colour off. Ctrl+P: command palette, themes."""


def key_rows(bindings: list[tuple[str, str, str]]) -> str:
    """(keys, description, id) → aligned lines under a header."""
    rows = [("key", "what it does", "binding id"), *bindings]
    key_w = max(len(k) for k, _, _ in rows)
    desc_w = max(len(d) for _, d, _ in rows)
    return "\n".join(f"{k.ljust(key_w)}  {d.ljust(desc_w)}  {bid}" for k, d, bid in rows)


class HelpScreen(ModalScreen[None]):
    """Keys and panels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close")
    ]

    def __init__(self, bindings: list[tuple[str, str, str]]) -> None:
        super().__init__(classes="dialog")
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box help-box"):
            yield Label("lakeconsole keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(key_rows(self.bindings), id="help-keys", markup=False)
                yield Static(PANELS, id="help-panels", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
