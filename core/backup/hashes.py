"""SHA-256 of lake files, remembered by (path, size, mtime): an unchanged lake is not re-hashed."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from lakeconsole.core.backup.lake_files import LakeFile
from lakeconsole.core.backup.model import BackupCancelled
from lakeconsole.core.backup.target import file_sha256


class HashCache:
    """`state_dir/backup/hashes.json`: {lake-relative path: [size, mtime_ns, sha256]}."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[str, list[object]] = {}
        try:
            self.known: dict[str, list[object]] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.known = {}

    def sha256(self, rel: str, f: LakeFile) -> str:
        """The file's SHA-256: remembered, or read (a local file; one in a bucket is hashed
        while it is fetched, core.backup.backup)."""
        sha = self.cached(rel, f)
        if sha is None:
            assert isinstance(f.path, Path), "a bucket's file is hashed while fetched"
            sha = file_sha256(f.path)
        self.remember(rel, f, sha)
        return sha

    def cached(self, rel: str, f: LakeFile) -> str | None:
        """The SHA-256 the last backup saw for this file at this size and time, if any."""
        entry = self.known.get(rel)
        if entry is not None and entry[0] == f.size and entry[1] == f.mtime_ns:
            return str(entry[2])
        return None

    def remember(self, rel: str, f: LakeFile, sha: str) -> None:
        self.seen[rel] = [f.size, f.mtime_ns, sha]

    def save(self) -> None:
        """Keep only what this backup saw: deleted files drop out of the cache."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.seen))
        os.replace(tmp, self.path)


def hash_files(
    files: list[tuple[str, LakeFile]],
    cache: HashCache,
    cancel_event: threading.Event | None = None,
    on_file: Callable[[int], None] | None = None,
) -> dict[str, str]:
    """Lake-relative path → SHA-256 for every file still there; `on_file(size)` after each one."""
    out: dict[str, str] = {}
    for rel, f in files:
        if cancel_event is not None and cancel_event.is_set():
            raise BackupCancelled()
        # A file gone since the scan (a landing file moved, a vacuum) is reported by the caller.
        with contextlib.suppress(OSError):
            out[rel] = cache.sha256(rel, f)
        if on_file is not None:
            on_file(f.size)
    return out
