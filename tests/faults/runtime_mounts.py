"""Real small and read-only filesystems for the runtime fault tests (root can mount here and in CI).

As root, chmod does not stop a write; a read-only mount does. Where mounting is not permitted
the test is skipped and says why."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    r = subprocess.run(["mount", *args], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount here ({' '.join(args)}): {r.stderr.strip() or r.returncode}")


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (e.g. "8m") at `path`: a disk that really fills up."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        umount(path)


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` itself, bind-mounted read-only over itself: every write fails with EROFS."""
    _mount("--bind", str(path), str(path))
    try:
        _mount("-o", "remount,bind,ro", str(path))
        yield path
    finally:
        umount(path)
