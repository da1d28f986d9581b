"""`?`: the keys as they are bound now (remaps included), what the panels show, where to look."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

PANELS = """\
Pipeline   Bronze → Silver → Gold, one card per step: state, progress, records in → out, time.
           Tab / Shift+Tab or a click selects a layer or a step; f runs from the selection.
Heartbeat  The last run's line, as `lakeconsole run` prints it (OPS-09).
Landing    Files waiting in data/landing; with auto-run on, new files start a run.
Latency    End-to-end latency of recent runs (start of bronze to end of gold).
Maintenance  Last vacuum and backup, and what is overdue.
Log        The tail of logs/app.log; l enlarges it, l or Escape shrinks it back.

Remap keys with CONSOLE_KEYMAP in .env, by binding id, e.g. CONSOLE_KEYMAP=run=R;quit=ctrl+q
NO_COLOR=1 turns colour off; Ctrl+P opens the command palette (themes too)."""


def key_rows(bindings: list[tuple[str, str, str]]) -> str:
    """(keys, description, id) → aligned lines."""
    width = max((len(k) for k, _, _ in bindings), default=4)
    return "\n".join(f"{k.ljust(width)}  {desc.ljust(28)} id: {bid}" for k, desc, bid in bindings)


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
