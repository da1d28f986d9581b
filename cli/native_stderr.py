"""Keeps delta-rs's Rust panic text off the user's screen; everything else still reaches it.

When a write fails half-way (a full disk), delta-rs's worker threads panic one after another
("thread 'tokio-rt-worker' panicked at ...: Already shut down", with backtraces under
RUST_BACKTRACE) straight onto file descriptor 2, dozens of times, above the one line that says
what happened. While a command runs, fd 2 points at a temporary file and Python's own stderr at
the real one; when the command ends, panic blocks go to app.log and any other native text is
passed on to stderr. The file, unlike a pipe and a reader thread, keeps what a process that
aborts had written (it is then simply not shown)."""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

log = logging.getLogger("lakeconsole.native")
PANIC = re.compile(r"^thread '[^']*'( \(\d+\))? panicked at ")


def split_panics(text: str) -> tuple[list[str], list[str]]:
    """(panic blocks, other non-blank lines) of native stderr text. A block is Rust's panic
    report: the `panicked at` line, the message, the backtrace, up to its `note:` line."""
    panics: list[list[str]] = []
    other: list[str] = []
    block: list[str] | None = None
    for line in text.splitlines():
        if PANIC.match(line):
            block = [line]
            panics.append(block)
        elif block is not None and line.strip():
            block.append(line)
            if line.startswith("note: "):
                block = None
        else:
            block = None
            if line.strip():
                other.append(line)
    return ["\n".join(b) for b in panics], other


@contextmanager
def native_stderr_to_log() -> Iterator[None]:
    """For the duration of a CLI command: Rust panics to app.log, not to the terminal."""
    try:
        sys.stderr.flush()
        capture = tempfile.TemporaryFile()  # noqa: SIM115 (closed in _hand_on, after the command)
        real = os.dup(2)
    except OSError:  # no temp space, no spare descriptor: leave stderr as it is
        yield
        return
    python_stderr = sys.stderr
    sys.stderr = os.fdopen(os.dup(real), "w", buffering=1, errors="backslashreplace")
    os.dup2(capture.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(real, 2)
        os.close(real)
        sys.stderr.close()
        sys.stderr = python_stderr
        _hand_on(capture)


def _hand_on(capture: IO[bytes]) -> None:
    try:
        capture.seek(0)
        text = capture.read().decode("utf-8", "replace")
        capture.close()
    except OSError:
        return
    panics, other = split_panics(text)
    if panics:
        log.warning("delta-rs printed %d Rust panic(s); the first:\n%s", len(panics), panics[0])
    if other:
        print("\n".join(other), file=sys.stderr)
