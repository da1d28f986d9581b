"""`?`: the keys of the screen in front, as bound now (remaps included), read from its live
bindings so the list cannot drift from the footer; on the dashboard, what the panels show."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from lakeconsole.tui.keys import KeyRow

PANELS = """\
Panels
- Pipeline: Bronze → Silver → Gold, a card per step: state, progress, records in → out, \
time. Tab, Shift+Tab or a click selects a layer or a step.
- Heartbeat (top line): the last run, as `lakeconsole run` prints it (OPS-09).
- Landing: files waiting in the lake's landing/ (data/landing; on a bucket, its landing/ \
prefix, listed every LANDING_POLL_SECONDS), and whether auto-run on new files is on.
- Latency: end-to-end latency of recent runs (start of bronze to end of gold), one tick per \
run, times along the bottom; its corner key stacks each step's time per run instead (which grew).
- Maintenance: last vacuum and backup, and what is overdue.
- app.log: the tail of the log; the Logs key enlarges it, again or Escape shrinks it.

"""

EXAMPLE = "run=R;history.restore=ctrl+r"


@dataclass(frozen=True)
class KeymapFiles:
    """Where this console reads its keymap, and the one it uses now."""

    env_file: Path  # the project's .env: CONSOLE_KEYMAP, which wins
    user_config: Path  # the user's console.toml (core/console_prefs): `keymap = "..."`
    in_use: str  # "binding_id=keys;..." as applied at start, "" for the default keys
    source: str  # where `in_use` came from


def remap_text(files: KeymapFiles) -> str:
    """How to remap a key, naming the real files this console reads (a user looking for "the
    keymap file" finds it here), and the keymap it started with."""
    in_use = f"{files.in_use} (from {files.source})" if files.in_use else "none (the default keys)"
    return (
        "Remap a key by its binding id (the last column above), in either file:\n"
        f"  {files.env_file}\n"
        f"      CONSOLE_KEYMAP={EXAMPLE}\n"
        f"  {files.user_config}  (theme and auto-run are remembered there too)\n"
        f'      keymap = "{EXAMPLE}"\n'
        "CONSOLE_KEYMAP (.env or the environment) wins. Keys are read at start: quit and start "
        "again after a change.\n"
        f"Keymap in use: {in_use}\n"
        "Every key, id and screen: docs/console-keys.md\n"
        "NO_COLOR=1 turns colour off. Ctrl+P: command palette, themes."
    )


SECTIONS = (
    ("On this screen", lambda row: row.in_footer and not row.everywhere),
    ("Everywhere", lambda row: row.in_footer and row.everywhere),
    ("Not in the footer", lambda row: not row.in_footer and not row.everywhere),
    # On a view the console's keys leave the footer (tui/screens/view.py) but stay together.
    ("Everywhere, not in the footer", lambda row: not row.in_footer and row.everywhere),
)


def key_rows(rows: list[KeyRow]) -> str:
    """Aligned `key  what it does  binding id` lines, under a header per section."""
    if not rows:
        return "No keys on this screen."
    key_w = max(3, *(len(r.keys) for r in rows))
    desc_w = max(12, *(len(r.description) for r in rows))
    lines = [f"{'key'.ljust(key_w)}  {'what it does'.ljust(desc_w)}  binding id"]
    for title, wanted in SECTIONS:
        chosen = [r for r in rows if wanted(r)]
        if chosen:
            lines.append(f"-- {title}")
            lines += [
                f"{r.keys.ljust(key_w)}  {r.description.ljust(desc_w)}  {r.binding_id}"
                for r in chosen
            ]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """The keys of the screen under it; the panels too when that is the dashboard."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help.close"),
        # The same id as the console's help key, so a remap of `help` closes it too.
        Binding("question_mark,f1", "close", "Help", id="help", show=False),
        # `q` quits here as everywhere (a dialog hides the console's own keys).
        Binding("q", "app.quit", "Quit", id="quit", show=False),
    ]

    def __init__(
        self, rows: list[KeyRow], *, title: str, panels: bool, keymap: KeymapFiles
    ) -> None:
        super().__init__(classes="dialog")
        self.rows, self.title_text, self.panels = rows, title, panels
        self.remap = remap_text(keymap)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box help-box"):
            yield Label(f"Keys: {self.title_text}", classes="dialog-title")
            with VerticalScroll():
                yield Static(key_rows(self.rows), id="help-keys", markup=False)
                yield Static(
                    # How to remap right under the keys; what the panels show after.
                    self.remap + ("\n\n" + PANELS.rstrip() if self.panels else ""),
                    id="help-panels",
                    markup=False,
                )

    def action_close(self) -> None:
        self.dismiss(None)
