"""watchfiles for the console's panels, imported off the event loop."""

from __future__ import annotations

import importlib
from types import ModuleType

# How long after mounting the panels start watching: the first frame is out by then.
FIRST_FRAME_S = 0.15


def import_watchfiles() -> ModuleType:
    """watchfiles, and anyio, which `awatch` imports on its first call: together ~0.1 s of
    imports that would hold up the event loop (and the first screen). Call in a thread."""
    importlib.import_module("anyio")
    return importlib.import_module("watchfiles")
