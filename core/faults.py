"""Test-only fault points: kill -9 the process, or run a test's action, at a named moment.

Set LAKECONSOLE_CRASH_AT=<point>[:<n>] (e.g. `silver.after_merge:2`, the second time the point
is reached) and the process SIGKILLs itself there, exactly as a power cut or `kill -9` would.
In-process tests can instead run an action there with `at_point` (a writer that rewrites a
landing file while bronze reads it). Unset (always, outside the tests), a point does nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lakeconsole.core.settings import Settings

_reached: Counter[str] = Counter()
_actions: dict[str, Callable[[], None]] = {}


@contextmanager
def at_point(name: str, action: Callable[[], None]) -> Iterator[None]:
    """Run `action` each time this process reaches the point `name`, inside the block (tests)."""
    _actions[name] = action
    try:
        yield
    finally:
        _actions.pop(name, None)


def crash_point(settings: Settings, name: str) -> None:
    """SIGKILL this process if the crash tests asked for a crash at `name`."""
    action = _actions.get(name)
    if action is not None:
        action()
    wanted = settings.raw.get("LAKECONSOLE_CRASH_AT", "")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
