"""Which app.log lines the log panel shows at each level filter, and with the `/` text.
No Textual here: tested alone.

A record is one line in app.log's format (`core.applog.LOG_FORMAT`: time, level, logger); the
lines after it without that start (a traceback, a multi-line message) belong to it, so they are
shown or hidden with it."""

from __future__ import annotations

import re
from collections.abc import Iterable

# (what the panel's title says, the lowest level shown), in the order `L` cycles through them.
FILTERS: tuple[tuple[str, int], ...] = (
    ("ALL", 0),
    ("INFO+", 20),
    ("WARNING+", 30),
    ("ERROR", 40),  # CRITICAL too: there is no filter above it
)
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}

# "2026-11-26 10:00:00,123 WARNING lakeconsole.runner: …" (the milliseconds are optional).
_RECORD_START = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:[,.]\d+)? +(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b"
)


def line_level(line: str) -> int | None:
    """The level of the record this line starts, or None for a line that continues one."""
    match = _RECORD_START.match(line)
    return LEVELS[match.group(1)] if match else None


def filter_lines(
    lines: Iterable[str], minimum: int, keep: bool | None = None
) -> tuple[list[str], bool]:
    """The lines at `minimum` or above, each continuation line with its record.

    `keep` says whether the record that the first lines continue was shown (the panel reads the
    log in pieces; None: not known, shown only without a filter). Returns the lines shown and
    the same answer for the last record, to pass with the next piece."""
    shown = minimum <= 0 if keep is None else keep
    out: list[str] = []
    for line in lines:
        level = line_level(line)
        if level is not None:
            shown = level >= minimum
        if shown:
            out.append(line)
    return out, shown


def lines_containing(lines: Iterable[str], text: str) -> list[str]:
    """The lines that contain `text`, ignoring case, as `grep -i` keeps them: a traceback line
    that matches shows without its record, which is what a search for an error wants."""
    wanted = text.casefold()
    return [line for line in lines if wanted in line.casefold()] if wanted else list(lines)
