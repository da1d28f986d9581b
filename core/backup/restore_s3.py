"""Restore into a lake on object storage (`s3://bucket/prefix`).

On disk a restore is built in a hidden folder and renamed into place, so a killed one leaves no
half lake. Object storage has no rename: objects appear one by one. So a restore here goes only
into an empty prefix (a lake cannot be swapped in one step: the refusal says to restore beside
it and repoint LAKECONSOLE_DATA_DIR), and it keeps the guarantee with a mark instead:
  1. the lake's lease is taken (no run, vacuum or other restore writes meanwhile);
  2. `_lakeconsole/restoring.json` is written first and removed last: while it is there every
     command refuses the lake as half-restored, naming the restore that finishes it;
  3. data files go first and each table's log after them, commits in order and
     `_last_checkpoint` last, so until the end no table shows a version the snapshot lacks;
  4. a failure or Ctrl+C removes what was written (the prefix was empty); a kill -9 leaves the
     mark, and the next restore into the prefix removes the leftovers and starts over.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lakeconsole.core.backup.lake_files import (
    COMMIT,
    LAST_CHECKPOINT,
    RESTORE_MARKER,
    STATE_DIR,
    is_scratch,
)
from lakeconsole.core.backup.model import (
    BackupCancelled,
    BackupError,
    BackupProgress,
    FileEntry,
    Manifest,
    ProgressSink,
    RestoreRefused,
)
from lakeconsole.core.backup.status import backup_state_dir
from lakeconsole.core.backup.target import Target, blob_batches, blob_key, file_sha256
from lakeconsole.core.lease import Lease, LeaseHeld, LeaseLost, take_lease
from lakeconsole.core.lock import pid_alive
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import FileEntry as ListedFile
from lakeconsole.core.storage import Location, StorageError

MARKER = f"{STATE_DIR}/{RESTORE_MARKER}"
# Not lake content: backup's own records (kept across a restore), the live lease, the mark.
NOT_CONTENT = (f"{STATE_DIR}/backup/", f"{STATE_DIR}/lease.json", MARKER)


def half_restored_line(lake: Location) -> str | None:
    """One line when a restore into this lake is running or was killed; None otherwise."""
    try:
        text = (lake / MARKER).read_text()
    except StorageError:
        return None
    try:
        mark = json.loads(text)
        what = f"of snapshot {mark['snapshot']} (started {mark['started']} on {mark['host']})"
        again = f"lakeconsole restore {mark['snapshot']} --target {mark['target']}"
    except (ValueError, KeyError, TypeError):
        what, again = "(its mark is unreadable)", "lakeconsole restore"
    return (
        f"the lake at {lake} is half-restored: a restore {what} is running or did not finish. "
        f"Wait for it, or run `{again}` again to start it over"
    )


def lake_objects(dest: Location) -> list[ListedFile]:
    """Objects that make a prefix a non-empty lake (backup records, the lease, probes aside)."""
    return [
        f
        for f in dest.walk()
        if not f.name.startswith(NOT_CONTENT) and not is_scratch(f.name.rsplit("/", 1)[-1])
    ]


def check_bucket_destination(dest: Location, force: bool) -> tuple[list[ListedFile], bool]:
    """(objects there, whether a killed restore left them); RestoreRefused for a lake that a
    restore would have to replace. Creates nothing."""
    content = lake_objects(dest)
    marked = half_restored_line(dest) is not None
    if content and not marked:
        aside = " (--force cannot move a lake aside there)" if force else ""
        raise RestoreRefused(
            f"Restore refused: {dest} is not empty ({len(content)} objects, e.g. "
            f"{content[0].name}). Object storage has no rename, so a restore cannot replace a "
            f"lake in one step{aside}: restore into an empty prefix (--to "
            "s3://bucket/new-prefix), check it, then point LAKECONSOLE_DATA_DIR at it"
        )
    return content, marked


def write_order(
    manifest: Manifest,
) -> tuple[list[tuple[str, FileEntry]], list[tuple[str, FileEntry]]]:
    """(data and other files, then each table's log files in the order readers may see them):
    checkpoints, sidecars and crc files first, then commits by version, `_last_checkpoint` last."""
    data: list[tuple[str, FileEntry]] = []
    logs: list[tuple[str, FileEntry]] = []
    for rel, f in manifest.all_files():
        (logs if "_delta_log/" in rel else data).append((rel, f))

    def log_rank(item: tuple[str, FileEntry]) -> tuple[int, str]:
        name = item[0].rsplit("/", 1)[-1]
        if name == LAST_CHECKPOINT:
            return 2, item[0]
        if COMMIT.match(name) and "/_commits/" not in item[0]:
            return 1, name + item[0]  # by version across tables: zero-padded names sort so
        return 0, item[0]

    return sorted(data), sorted(logs, key=log_rank)


class _LeaseKeeper:
    """Renews the lake's lease as the restore goes, well before it expires."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.renewed = time.monotonic()

    def tick(self) -> None:
        if time.monotonic() - self.renewed < self.lease.ttl_s / 4:
            return
        try:
            self.lease.renew()
        except LeaseLost as exc:
            raise BackupError(
                f"Restore stopped: {exc}; the restore was too slow to renew it. Run it again"
            ) from None
        self.renewed = time.monotonic()


def restore_into_bucket(
    settings: Settings,
    tgt: Target,
    manifest: Manifest,
    dest: Location,
    report: ProgressSink,
    cancel_event: threading.Event | None,
    after_each_file: Callable[[], None],
) -> list[str]:
    """Write the snapshot into the empty prefix `dest` under its lease; notes to print.

    The caller has checked the destination (check_bucket_destination) and the lake's owner."""
    lease = _take_lease(dest, manifest)
    keeper = _LeaseKeeper(lease)
    notes: list[str] = []
    try:
        # Again under the lease: another restore may have written meanwhile.
        content, _ = check_bucket_destination(dest, force=False)
        _mark(dest, manifest, tgt)
        if content:
            for obj in content:
                (dest / obj.name).delete()
            notes.append(
                f"removed {len(content)} objects from {dest}, a half-written restore left by "
                "an interrupted one"
            )
        written: list[str] = []
        done = [0]

        def progress(size: int) -> None:
            done[0] += size
            keeper.tick()
            report(BackupProgress("restore", done[0], manifest.bytes, "bytes", f"writing {dest}"))
            after_each_file()

        try:
            report(BackupProgress("fetch", 0, manifest.bytes, "bytes", f"reading {tgt}"))
            _write_all(settings, tgt, manifest, dest, progress, cancel_event, written)
        except (BackupError, StorageError, OSError):
            _remove(dest, written)  # the prefix was empty: leave it so, mark last
            (dest / MARKER).delete()
            raise
        (dest / MARKER).delete()
    finally:
        with contextlib.suppress(StorageError):  # else it expires by itself
            lease.release()
    return notes


def _take_lease(dest: Location, manifest: Manifest) -> Lease:
    """The lake's lease; RestoreRefused naming the holder. A killed restore's lease (this
    machine, its process gone) is taken over at once instead of after its expiry: the re-run
    that finishes the restore should not wait out a dead process."""
    run_id = f"restore-{manifest.snapshot}"
    try:
        return take_lease(dest, "lakeconsole restore", run_id)
    except LeaseHeld as exc:
        held = exc.record
        dead_restore = (
            held.command == "lakeconsole restore"
            and held.host == socket.gethostname()
            and not pid_alive(held.pid)
        )
        if not dead_restore:
            raise RestoreRefused(f"Restore refused: {exc}") from None
    try:  # as if it had expired: the lease's conditional put still lets one taker win
        lease = take_lease(dest, "lakeconsole restore", run_id, clock=lambda: held.expires_at)
        lease.renew()  # and now on the real clock
    except LeaseHeld as exc:
        raise RestoreRefused(f"Restore refused: {exc}") from None
    return lease


def _mark(dest: Location, manifest: Manifest, tgt: Target) -> None:
    mark = {
        "snapshot": manifest.snapshot,
        "target": str(tgt),
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    (dest / MARKER).write_bytes(json.dumps(mark).encode())


def _remove(dest: Location, written: list[str]) -> None:
    for rel in reversed(written):  # logs first: no table stays visible while its data goes
        try:
            (dest / rel).delete()
        except StorageError:
            continue


def _write_all(
    settings: Settings,
    tgt: Target,
    manifest: Manifest,
    dest: Location,
    progress: Callable[[int], None],
    cancel_event: threading.Event | None,
    written: list[str],
) -> None:
    """Data files batch by batch (a batch of blobs on local disk at a time), then the logs."""
    data, logs = write_order(manifest)
    work = backup_state_dir(settings)
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix="restore-") as tmp:
        fetched = Path(tmp)
        for batch in blob_batches({f.sha256: f.size for _, f in data}):
            wanted = set(batch)
            _fetch(tgt, batch, fetched)
            for rel, f in data:
                if f.sha256 in wanted:
                    progress(_put(tgt, fetched, rel, f, dest, written, cancel_event))
            for sha in batch:
                (fetched / blob_key(sha)).unlink(missing_ok=True)
        _fetch(tgt, sorted({f.sha256 for _, f in logs}), fetched)
        for rel, f in logs:
            progress(_put(tgt, fetched, rel, f, dest, written, cancel_event))


def _fetch(tgt: Target, shas: list[str], dest: Path) -> None:
    if shas and not tgt.reads_in_place:
        tgt.fetch_blobs(shas, dest)


def _put(
    tgt: Target,
    tmp: Path,
    rel: str,
    f: FileEntry,
    dest: Location,
    written: list[str],
    cancel_event: threading.Event | None,
) -> int:
    """Check the blob against its SHA-256, then upload it as `rel`; its size."""
    if cancel_event is not None and cancel_event.is_set():
        raise BackupCancelled()
    src = tgt.local_blob(f.sha256) or tmp / blob_key(f.sha256)
    if not src.is_file():
        raise BackupError(
            f"The backup lacks the content of {rel} (blob {f.sha256[:12]}…); it is damaged: "
            "run `lakeconsole backup --verify-only` and restore an older snapshot"
        )
    if file_sha256(src) != f.sha256:
        raise BackupError(
            f"{rel} is corrupted in the backup (checksum mismatch); restore an older "
            "snapshot, and run `lakeconsole backup --verify-only`"
        )
    written.append(rel)
    (dest / rel).upload(src)
    return f.size
