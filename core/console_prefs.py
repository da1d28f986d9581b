"""What the console remembers between starts (theme, auto-run), in the user's config folder.

`$XDG_CONFIG_HOME/lakeconsole/console.toml` (default `~/.config/lakeconsole/console.toml`),
one file per user, not per lake: a theme is a person's choice. A setting in `.env` or the
environment (AUTO_RUN_ON_LANDING, CONSOLE_KEYMAP) wins over it. The keymap is written by hand;
the console keeps whatever it finds there. A damaged file is ignored with a warning in
app.log, never a reason not to start. No Textual here: the console calls it from a thread."""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger("lakeconsole.prefs")


@dataclass(frozen=True)
class ConsolePrefs:
    theme: str = ""  # empty: Textual's default
    auto_run: bool | None = None  # None: never chosen in the console
    keymap: str = ""  # as CONSOLE_KEYMAP, "binding_id=keys;..."; CONSOLE_KEYMAP in .env wins


def prefs_path(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    return Path(base).expanduser() / "lakeconsole" / "console.toml"


def load_prefs(environ: Mapping[str, str]) -> ConsolePrefs:
    path = prefs_path(environ)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return ConsolePrefs()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning(
            "%s ignored (%s): fix or delete it; the console starts with defaults", path, exc
        )
        return ConsolePrefs()
    theme, keymap = data.get("theme", ""), data.get("keymap", "")
    auto_run = data.get("auto_run")
    return ConsolePrefs(
        theme=theme if isinstance(theme, str) else "",
        auto_run=auto_run if isinstance(auto_run, bool) else None,
        keymap=keymap if isinstance(keymap, str) else "",
    )


def save_prefs(prefs: ConsolePrefs, environ: Mapping[str, str]) -> None:
    """Written whole through a temp file; a failure costs the memory, not the console."""
    path = prefs_path(environ)
    lines = ["# Written by the lakeconsole console: what it remembers between starts."]
    for key, value in asdict(prefs).items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, str) and value:
            lines.append(f'{key} = "{value.replace(chr(92), "").replace(chr(34), "")}"')
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("console settings not saved to %s (%s)", path, exc)
