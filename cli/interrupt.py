"""Ctrl+C for long commands: the first asks the work to stop at its next safe point,
the second stops at once."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType


def cancel_on_ctrl_c(what: str) -> tuple[threading.Event, Callable[[], None]]:
    """Install the handler; returns the cancel event and a function that puts the old one back.

    `what` is said on the first Ctrl+C, e.g. "stopping the backup"."""
    cancel = threading.Event()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print(f"{what} (Ctrl+C again to force)…", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, on_sigint)

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return cancel, restore
