"""A backup target that is a folder: an external drive, a NAS mount, another disk."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from lakeconsole.core.backup.model import BackupCancelled, BackupError, TargetError
from lakeconsole.core.backup.target import (
    MANIFEST,
    SNAPSHOT_ID,
    BytesSink,
    Target,
    blob_key,
    copy_file_atomic,
    file_sha256,
)
from lakeconsole.core.disk import disk_full_line, free_bytes, is_disk_full
from lakeconsole.core.settings import Settings


class LocalTarget(Target):
    kind = "folder"
    reads_in_place = True

    def __init__(
        self, spec: str, settings: Settings, cancel_event: threading.Event | None = None
    ) -> None:
        super().__init__(spec, settings, cancel_event)
        path = Path(spec).expanduser()
        self.root = (path if path.is_absolute() else settings.home / path).resolve()

    def __str__(self) -> str:
        return str(self.root)

    def check(self) -> None:
        data_dir = self.settings.data_dir.resolve()
        if self.root == data_dir or data_dir in self.root.parents:
            raise TargetError(
                f"Backup target {self.root} is inside the lake {data_dir}; "
                "pick a folder on another drive"
            )
        if not self.root.exists() and not self.root.parent.is_dir():
            # An unmounted drive: do not quietly create the mount path on the laptop's own disk.
            raise TargetError(
                f"Backup target {self.root} is not reachable: {self.root.parent} does not "
                "exist. Plug in / mount the drive, or fix BACKUP_TARGET"
            )
        try:
            self.root.mkdir(exist_ok=True)
            probe = self.root / ".lakeconsole-write-check"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise TargetError(
                f"Backup target {self.root} cannot be written ({exc.strerror or exc}); "
                "fix its permissions or pick another folder"
            ) from None

    def list_blobs(self) -> set[str]:
        blobs = self.root / "blobs"
        if not blobs.is_dir():
            return set()
        return {p.name for p in blobs.glob("*/*") if not p.name.startswith(".")}

    def list_snapshot_ids(self) -> list[str]:
        folder = self.root / "snapshots"
        if not folder.is_dir():
            return []
        return sorted(
            p.name
            for p in folder.iterdir()
            if SNAPSHOT_ID.match(p.name) and (p / MANIFEST).is_file()
        )

    def read_manifest(self, snapshot: str) -> str:
        path = self.root / "snapshots" / snapshot / MANIFEST
        try:
            return path.read_text()
        except OSError:
            raise TargetError(
                f"Snapshot {snapshot} has no readable manifest in {self.root}"
            ) from None

    def push(self, staging: Path, on_bytes: BytesSink | None = None) -> None:
        # Blobs before manifests: a snapshot becomes visible only when everything it needs is there.
        files = sorted(
            (p for p in staging.rglob("*") if p.is_file()), key=lambda p: p.name == MANIFEST
        )
        for i, src in enumerate(files):
            if self.cancel_event is not None and self.cancel_event.is_set():
                raise BackupCancelled()
            dest = self.root / src.relative_to(staging)
            try:
                # Staging holds only what the target lacks or has damaged: always write.
                copy_file_atomic(src, dest)
            except OSError as exc:
                if is_disk_full(exc):  # what was sent stays: the re-run sends only the rest
                    left = sum(p.stat().st_size for p in files[i:])
                    need = left - free_bytes(self.root)
                    raise BackupError(disk_full_line(self.root, need)) from None
                raise TargetError(
                    f"Cannot write {dest} ({exc.strerror or exc}); is the drive full or unplugged?"
                ) from None
            if on_bytes is not None:
                on_bytes(src.stat().st_size)

    def fetch_blobs(
        self, shas: Iterable[str], dest: Path, on_bytes: BytesSink | None = None
    ) -> None:
        for sha in shas:
            src = self.root / "blobs" / blob_key(sha)
            if src.is_file():
                copy_file_atomic(src, dest / blob_key(sha))
                if on_bytes is not None:
                    on_bytes(src.stat().st_size)

    def local_blob(self, sha: str) -> Path | None:
        return self.root / "blobs" / blob_key(sha)

    def blob_hashes(
        self, sizes: dict[str, int], on_done: Callable[[int], None] | None = None
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        for sha in sorted(sizes):
            if self.cancel_event is not None and self.cancel_event.is_set():
                raise BackupCancelled()
            path = self.root / "blobs" / blob_key(sha)
            if path.is_file():
                out[sha] = file_sha256(path)
            if on_done is not None:
                on_done(1)
        return out

    def delete_snapshots(self, snapshots: Iterable[str]) -> None:
        for snapshot in snapshots:
            folder = self.root / "snapshots" / snapshot
            # The manifest first: a half-deleted snapshot must not look complete.
            (folder / MANIFEST).unlink(missing_ok=True)
            shutil.rmtree(folder, ignore_errors=True)

    def delete_blobs(self, shas: Iterable[str]) -> None:
        for sha in shas:
            path = self.root / "blobs" / blob_key(sha)
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                os.rmdir(path.parent)  # only when empty
