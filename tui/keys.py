"""The console's keys: one meaning per key on every screen, every binding with an id so users can
remap it (CONSOLE_KEYMAP), and the one place that knows every binding (for `?`, the start-up
check of the keymap, and docs/console-keys.md)."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.keys import REPLACED_KEYS, key_to_character

if TYPE_CHECKING:
    from textual.screen import Screen

CONSOLE_BINDINGS: tuple[Binding, ...] = (
    Binding("r", "run", "Run", id="run", tooltip="Run the whole pipeline"),
    Binding(
        "f",
        "run_from",
        "From",
        id="run-from",
        tooltip="Run from the selected step onwards",
    ),
    Binding(
        "c",
        "cancel_run",
        "Cancel",
        id="cancel",
        tooltip="Cancel the run at a safe point",
    ),
    Binding(
        "t",
        "open_view('tables')",
        "Tables",
        id="tables",
        tooltip="Tables: history, versions, restore",
    ),
    Binding(
        "m",
        "open_view('maintenance')",
        "Maint",
        id="maintenance",
        tooltip="Vacuum, optimize, latency watch",
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
    # `show=False`: a view's footer holds its own keys; the dashboard's shows it when there is
    # room (dashboard.FOOTER_PRIORITY), and `?` lists it.
    Binding(
        "u",
        "open_view('runs')",
        "Runs",
        id="runs",
        show=False,
        tooltip="Runs: timeline, error, re-run",
    ),
    Binding(
        "e",
        "open_view('quality')",
        "Quality",
        id="quality",
        show=False,
        tooltip="Quality: rejected lines per rule",
    ),
    # Named in the landing panel's corner; in the dashboard's footer when there is room.
    Binding(
        "a",
        "toggle_auto_run",
        "Auto-run",
        id="auto-run",
        show=False,
        tooltip="Auto-run on new landing files",
    ),
    # F1 too: in the mart editor and a text field `?` is typed into the text, and the footer
    # names F1 there (no key_display: each key shows as itself).
    Binding("question_mark,f1", "help", "Help", id="help", tooltip="Keys of this screen"),
    Binding("q", "quit", "Quit", id="quit", tooltip="Quit (a run going is cancelled)"),
    # The log panel's title shows the filter chosen; in the dashboard's footer when there is room
    # (at 120 columns: "Level" beside "l Logs" is what fits, as the panel's corner says it).
    Binding(
        "L",
        "log_level",
        "Level",
        id="log-level",
        show=False,
        tooltip="Filter the log panel by level",
    ),
)

# `/` on every screen with a list (tables, a history, a version's rows, the dashboard's log): one
# id, so one remap moves it everywhere. Each screen says what its filter looks at.
FILTER = Binding(
    "slash",
    "filter",
    "Filter",
    id="filter",
    key_display="/",
    tooltip="Filter the list (Enter: apply)",
)

# Keys that do "the same thing" under several ids: leave what is in front, or choose what is
# selected. Every other key has exactly one meaning (the last part of its ids) on every screen.
LEAVE = frozenset({"back", "close", "no"})
CHOOSE = frozenset({"open", "ok"})


def meaning(binding_id: str) -> str:
    """`history.restore` → `restore`: what a key does, whatever the screen."""
    return binding_id.rsplit(".", 1)[-1]


def scope(binding_id: str) -> str:
    """`history.restore` → `history`; a console-wide id → `everywhere`."""
    head, dot, _ = binding_id.rpartition(".")
    return head if dot else "everywhere"


def parse_keymap(text: str) -> dict[str, str]:
    """`run=R;quit=ctrl+q` → {"run": "R", "quit": "ctrl+q"}; malformed entries are ignored."""
    keymap: dict[str, str] = {}
    for entry in text.split(";"):
        binding_id, _, keys = entry.partition("=")
        if binding_id.strip() and keys.strip():
            keymap[binding_id.strip()] = keys.strip()
    return keymap


@dataclass(frozen=True)
class KeyEntry:
    """One binding of the console, as declared (before remaps)."""

    keys: tuple[str, ...]
    binding_id: str
    description: str
    owner: str  # the class whose BINDINGS declare it


def _declared(owner: type[Any]) -> Iterator[KeyEntry]:
    for binding in owner.__dict__.get("BINDINGS", ()):
        if isinstance(binding, Binding) and binding.id:
            keys = tuple(k.strip() for k in binding.key.split(","))
            yield KeyEntry(keys, binding.id, binding.tooltip or binding.description, owner.__name__)


def all_bindings() -> list[KeyEntry]:
    """Every binding of every screen, dialog and widget of the console, found by walking the
    `lakeconsole.tui` package, so a new screen cannot be missed. Imports every view."""
    import lakeconsole.tui as tui

    entries: list[KeyEntry] = []
    seen: set[type[Any]] = set()
    for info in pkgutil.walk_packages(tui.__path__, prefix="lakeconsole.tui."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__ == module.__name__
                and value not in seen
            ):
                seen.add(value)
                entries.extend(_declared(value))
    return entries


def known_binding_ids() -> set[str]:
    """The ids CONSOLE_KEYMAP may name."""
    return {entry.binding_id for entry in all_bindings()}


def keymap_problems(keymap: dict[str, str], known: set[str]) -> list[str]:
    """One line per id of the keymap that no binding has, with the closest known id."""
    problems = []
    for binding_id in sorted(set(keymap) - known):
        close = difflib.get_close_matches(binding_id, sorted(known), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known ids: {', '.join(sorted(known))}"
        problems.append(f"CONSOLE_KEYMAP: no key has the id '{binding_id}' ({hint})")
    return problems


@dataclass(frozen=True)
class KeyRow:
    """A key as the screen in front binds it now (remaps applied), for `?`."""

    action: str
    keys: str
    description: str
    binding_id: str
    in_footer: bool
    everywhere: bool


def screen_keys(screen: Screen[Any]) -> list[KeyRow]:
    """The keys active on `screen` (its own, its focused widget's and the console's), grouped by
    action as the footer groups them: what `?` lists, so it shows what the footer shows."""
    from textual.app import App

    from lakeconsole.tui.footer import FittingFooter

    app = screen.app
    fitting = screen.query(FittingFooter)
    # A footer that holds what fits its width: in it is what it shows now.
    shown = fitting.first().shown if fitting else None
    grouped: dict[str, list[tuple[Binding, bool]]] = {}
    for node, binding, _enabled, _tooltip in screen.active_bindings.values():
        if binding.id or binding.show:
            grouped.setdefault(binding.action, []).append((binding, isinstance(node, App)))
    rows = []
    for action, bindings in grouped.items():
        # The footer shows an action's first shown key; `?` lists that one first.
        bindings.sort(key=lambda pair: not pair[0].show)
        first, everywhere = bindings[0]
        keys = ", ".join(dict.fromkeys(app.get_key_display(b) for b, _ in bindings))
        description = first.tooltip or first.description
        in_footer = first.show if shown is None else action in shown
        rows.append(KeyRow(action, keys, description, first.id or "", in_footer, everywhere))
    return rows


def key_name(key: str) -> str:
    """`question_mark` → `?`, as a user types it; `ctrl+r`, `escape`, `space` stay words."""
    if "+" in key or len(key) == 1:
        return key
    # `slash` is Unicode's `solidus`: Textual names it so, but finds no character for it.
    char = key_to_character(REPLACED_KEYS.get(key, key))
    return char if char and char.isprintable() and not char.isspace() else key


def key_of(screen: Screen[Any], action: str) -> str:
    """The key the footer shows for `action` on `screen` now (remaps applied), for hints in
    status lines, which would otherwise name a key the user may have moved."""
    bound = [b for _node, b, _on, _tip in screen.active_bindings.values() if b.action == action]
    bound.sort(key=lambda binding: not binding.show)  # a footer key before a hidden one
    return screen.app.get_key_display(bound[0]) if bound else "(no key)"


def markdown_table() -> str:
    """docs/console-keys.md's table, from the live bindings."""
    lines = ["| key | id | what it does | screen |", "| --- | --- | --- | --- |"]
    declared: dict[str, list[KeyEntry]] = {}
    owners: dict[str, list[str]] = {}
    for entry in all_bindings():  # `help` is declared twice (see HelpScreen): listed once
        declared.setdefault(entry.binding_id, []).append(entry)
        owners.setdefault(entry.binding_id, []).append(entry.owner)
    # An id several screens share (`filter`) is described as most of them say it (the
    # dashboard's `/` finds log lines, the others' filter a list).
    first = {binding_id: _most_said(entries) for binding_id, entries in declared.items()}
    for entry in sorted(first.values(), key=lambda e: scope(e.binding_id) != "everywhere"):
        keys = ", ".join(f"`{key_name(k)}`" for k in entry.keys)
        where = _where(entry.binding_id, owners[entry.binding_id])
        lines.append(f"| {keys} | `{entry.binding_id}` | {entry.description} | {where} |")
    return "\n".join(lines)


def _most_said(entries: list[KeyEntry]) -> KeyEntry:
    said = [e.description for e in entries]
    return max(entries, key=lambda e: said.count(e.description))  # the first, on a tie


def _where(binding_id: str, owners: list[str]) -> str:
    """The screen column: an id the console itself binds works everywhere; an id several
    screens share (`filter`) names them (`TableHistoryScreen` → `table history`)."""
    if scope(binding_id) != "everywhere" or "ConsoleApp" in owners:
        return scope(binding_id)
    names = (re.sub(r"(?<!^)([A-Z])", r" \1", o.removesuffix("Screen")).lower() for o in owners)
    return ", ".join(sorted(set(names)))


if __name__ == "__main__":  # python -m lakeconsole.tui.keys > the table for docs/console-keys.md
    print(markdown_table())
