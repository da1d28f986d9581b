"""The console's keys: every binding has an id, so users can remap it (CONSOLE_KEYMAP)."""

from __future__ import annotations

from textual.binding import Binding

CONSOLE_BINDINGS: tuple[Binding, ...] = (
    Binding("r", "run", "Run", id="run", tooltip="Run the whole pipeline"),
    Binding(
        "f",
        "run_from",
        "From",
        id="run-from",
        tooltip="Run from the selected layer or step onwards",
    ),
    Binding(
        "c",
        "cancel_run",
        "Cancel",
        id="cancel",
        tooltip="Cancel the run at its next safe point",
    ),
    Binding(
        "t",
        "open_view('tables')",
        "Tables",
        id="tables",
        tooltip="Tables: history, versions, time travel",
    ),
    Binding(
        "m",
        "open_view('maintenance')",
        "Maint",
        id="maintenance",
        tooltip="Maintenance: vacuum, optimize, latency watch",
    ),
    Binding(
        "b",
        "open_view('backup')",
        "Backup",
        id="backup",
        tooltip="Backup and restore of the lake",
    ),
    Binding(
        "d", "open_view('marts')", "Docs", id="marts", tooltip="Mart READMEs (data dictionary)"
    ),
    Binding("l", "logs", "Logs", id="logs", tooltip="Enlarge or shrink the app.log panel"),
    # Shown in the landing panel's corner rather than the footer, which is full at 80 columns.
    Binding(
        "a",
        "toggle_auto_run",
        "Auto-run",
        id="auto-run",
        show=False,
        tooltip="Auto-run when new files land: on or off",
    ),
    Binding("question_mark", "help", "Help", id="help", key_display="?", tooltip="This help"),
    Binding("q", "quit", "Quit", id="quit", tooltip="Quit (a run going is cancelled first)"),
    # Off the footer too (full at 80 columns): the log panel's title shows the filter chosen.
    Binding(
        "L",
        "log_level",
        "Log level",
        id="log-level",
        show=False,
        tooltip="Log panel: ALL → INFO+ → WARNING+ → ERROR lines",
    ),
)


def parse_keymap(text: str) -> dict[str, str]:
    """`run=R;quit=ctrl+q` → {"run": "R", "quit": "ctrl+q"}; malformed entries are ignored."""
    keymap: dict[str, str] = {}
    for entry in text.split(";"):
        binding_id, _, keys = entry.partition("=")
        if binding_id.strip() and keys.strip():
            keymap[binding_id.strip()] = keys.strip()
    return keymap
