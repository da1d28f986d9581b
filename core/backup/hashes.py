"""SHA-256 of lake files, remembered by (path, size, mtime): an unchanged lake is not re-hashed."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path

from lakeconsole.core.backup.lake_files import LakeFile
from lakeconsole.core.backup.model import BackupCancelled
from lakeconsole.core.backup.target import file_sha256
from lakeconsole.core.storage import Location, StorageError, as_location


class HashCache:
    """`hashes.json` beside the backup records: {lake-relative path: [size, mtime_ns, sha256]}.

    A lake on S3 keeps it in its bucket: every machine sees the same objects at the same sizes
    and times, and a lost cache would mean reading the whole lake again to hash it."""

    def __init__(self, where: Path | Location) -> None:
        self.where = as_location(where)
        self.seen: dict[str, list[object]] = {}
        try:
            self.known: dict[str, list[object]] = json.loads(self.where.read_bytes())
        except (StorageError, ValueError):
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
        self.where.write_bytes(json.dumps(self.seen).encode())  # replaced in one step


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
