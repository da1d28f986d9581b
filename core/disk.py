"""A full disk, however it shows up: Python's OSError errno 28 or delta-rs's "No space left on
device (os error 28)" text. One line for the user, with the folder and how much to free."""

from __future__ import annotations

import errno
import math
import shutil
from pathlib import Path

from lakeconsole.core.units import MIB

# delta-rs (object_store) wraps the OS error in its own text; these are the words it keeps.
RUST_SIGNS = ("no space left on device", "os error 28")


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in out:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def is_disk_full(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is a write refused for lack of space."""
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return True
        if any(sign in str(e).lower() for sign in RUST_SIGNS):
            return True
    return False


def free_bytes(path: Path) -> int:
    """Free bytes on the file system of `path` (or its nearest existing parent); 0 if unknown."""
    for folder in (path, *path.parents):
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            continue
    return 0


def full_at(exc: BaseException, default: Path) -> Path:
    """The folder to name: `default` (the lake) unless the failed write was elsewhere."""
    for e in _chain(exc):
        name = getattr(e, "filename", None)
        if isinstance(e, OSError) and name:
            where = Path(str(name)).parent
            return default if where.is_relative_to(default) else where
    return default


def disk_full_line(path: Path, need_bytes: int) -> str:
    """`disk full at /lake: free 12 MiB and re-run` (never less than 1 MiB: a guess must help).

    Whole MiB, rounded up, in the units every other size is printed in (core.units)."""
    return f"disk full at {path}: free {max(1, math.ceil(need_bytes / MIB))} MiB and re-run"
