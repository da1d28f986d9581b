"""Test-only crash points: kill -9 the process at a named moment of the pipeline.

Set LAKECONSOLE_CRASH_AT=<point>[:<n>] (e.g. `silver.after_merge:2`, the second time the point
is reached) and the process SIGKILLs itself there, exactly as a power cut or `kill -9` would.
Unset (always, outside the crash tests), a crash point does nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

from core.settings import Settings

_reached: Counter[str] = Counter()


def crash_point(settings: Settings, name: str) -> None:
    """SIGKILL this process if the crash tests asked for a crash at `name`."""
    wanted = settings.raw.get("LAKECONSOLE_CRASH_AT", "")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
