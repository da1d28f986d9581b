"""Printing for the CLI: colour only on a terminal and without NO_COLOR."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

GREEN, RED, YELLOW, DIM, RESET = "\033[32m", "\033[31m", "\033[33m", "\033[2m", "\033[0m"


def use_colour(stream: TextIO, no_color: bool) -> bool:
    return not no_color and hasattr(stream, "isatty") and stream.isatty()


def paint(text: str, colour: str, stream: TextIO, no_color: bool) -> str:
    return f"{colour}{text}{RESET}" if use_colour(stream, no_color) else text


def error(message: str, no_color: bool = False) -> None:
    """One line on stderr, red on a terminal."""
    print(paint(message, RED, sys.stderr, no_color), file=sys.stderr)


def reader_went_away() -> int:
    """For `except BrokenPipeError` around a command (`lakeconsole runs | head`): stop quietly.

    The Python docs' recipe: point stdout at /dev/null, so the interpreter's last flush does not
    fail again on the closed pipe and print "Exception ignored"."""
    from lakeconsole.core.exit_codes import CLOSED_PIPE

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return CLOSED_PIPE


def file_problem(exc: OSError) -> str:
    """An OSError as a user reads it: "Permission denied: /path/file"."""
    return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain aligned text table."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)
