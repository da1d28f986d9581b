"""`run_backup`: one dated snapshot of the lake into the target, then pruning to BACKUP_KEEP."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lakeconsole.core.backup.hashes import HashCache, hash_files
from lakeconsole.core.backup.lake_files import LakeFile, LakePlan, plan_lake
from lakeconsole.core.backup.model import (
    BackupCancelled,
    BackupError,
    BackupProgress,
    BackupResult,
    FileEntry,
    Manifest,
    ProgressSink,
    TableEntry,
)
from lakeconsole.core.backup.status import (
    backup_records,
    backup_state_dir,
    read_status,
    record,
)
from lakeconsole.core.backup.target import MANIFEST, Target, blob_key, parse_target
from lakeconsole.core.faults import crash_point
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import Location, StorageError, as_location

log = logging.getLogger("lakeconsole.backup")


@contextmanager
def backup_lock(settings: Settings) -> Iterator[None]:
    """One backup or restore at a time per lake (an OS lock: a killed process frees it)."""
    folder = backup_state_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "backup.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                "Another backup or restore of this lake is running; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)


def snapshot_id(now: float, taken: list[str]) -> str:
    """A UTC timestamp name, unique among the target's snapshots."""
    base = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    name, n = base, 0
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def run_backup(
    settings: Settings,
    target: str | None = None,
    verify: bool = False,
    on_progress: ProgressSink | None = None,
    cancel_event: threading.Event | None = None,
) -> BackupResult:
    """Back the lake up to `target` (default BACKUP_TARGET) as a new snapshot, prune old ones.

    Raises BackupError (TargetError, BackupCancelled) with a one-line message naming the fix.
    The lake is only read."""
    started = time.time()
    spec = settings.backup_target if target is None else target
    report = on_progress or (lambda p: None)
    try:
        with backup_lock(settings):
            tgt = parse_target(spec, settings, cancel_event)
            report(BackupProgress("scan", 0, None, message=f"checking {tgt}"))
            tgt.check()
            log.info("backup of %s to %s started", settings.lake_name, tgt)
            try:
                result = _backup(settings, tgt, started, report, cancel_event)
            except StorageError as exc:  # the lake's bucket failed us mid-way
                raise BackupError(f"reading the lake failed: {exc}") from None
            if verify:
                from lakeconsole.core.backup.verify import verify_on

                result.verify = verify_on(settings, tgt, result.snapshot, report)
    except BackupCancelled:
        log.warning("backup cancelled")
        raise
    except BackupError as exc:
        log.error("backup failed: %s", exc)
        record(settings, "last_error", {"at": time.time(), "message": str(exc)})
        raise
    log.info("backup finished: %s", result.summary())
    return result


def _backup(
    settings: Settings,
    tgt: Target,
    started: float,
    report: ProgressSink,
    cancel_event: threading.Event | None,
) -> BackupResult:
    report(BackupProgress("scan", 0, None, message="reading the lake's tables"))
    refuse_half_restored(settings)
    plan = plan_lake(settings.lake_root, settings.state_dir)
    files = plan.all_files()
    if not files:
        # An empty snapshot would, BACKUP_KEEP weeks later, have pruned every real one away.
        raise BackupError(
            f"The lake at {settings.lake_name} is empty: nothing to back up. "
            "Check LAKECONSOLE_DATA_DIR (or --data-dir)"
        )
    cache = HashCache(backup_records(settings) / "hashes.json")
    work = backup_state_dir(settings)
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix="staging-") as tmp:
        staging = Path(tmp)
        if settings.on_object_storage:
            shas, sent = _fetch_and_send(settings, tgt, files, cache, staging, report, cancel_event)
        else:
            shas, sent = _hash_and_send(settings, tgt, files, cache, staging, report, cancel_event)
        manifest = build_manifest(settings, plan, shas, started)
        for rel, _ in files:
            if rel not in shas:
                manifest.warnings.append(f"{rel} disappeared during the backup; not included")
        manifest.snapshot = snapshot_id(started, tgt.list_snapshot_ids())
        # The manifest goes last, alone: until it is there the snapshot does not exist, so a
        # backup killed before it leaves blobs the next one reuses, and nothing verify calls good.
        crash_point(settings, "backup.before_manifest")
        manifest.finished_at = time.time()
        manifest_path = staging / "snapshots" / manifest.snapshot / MANIFEST
        manifest_path.parent.mkdir(parents=True)
        manifest_path.write_text(manifest.to_json())
        tgt.push(staging)
        tgt.manifest_cache(manifest.snapshot).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(manifest_path, tgt.manifest_cache(manifest.snapshot))
    cache.save()
    record(
        settings,
        "last_backup",
        {
            "at": time.time(),
            "snapshot": manifest.snapshot,
            "target": str(tgt),
            "files": manifest.file_count,
            "bytes": manifest.bytes,
            "sent_bytes": sent.bytes,
            "tables": {name: t.version for name, t in manifest.tables.items()},
        },
    )
    report(
        BackupProgress(
            "prune", 0, None, message=f"keeping the last {settings.backup_keep} snapshots"
        )
    )
    pruned, prune_warnings = prune(tgt, settings.backup_keep, settings)
    return BackupResult(
        snapshot=manifest.snapshot,
        target=str(tgt),
        tables={name: t.version for name, t in manifest.tables.items()},
        files=manifest.file_count,
        bytes=manifest.bytes,
        sent_files=sent.files,
        sent_bytes=sent.bytes,
        duration_s=time.time() - started,
        pruned=pruned,
        warnings=manifest.warnings + prune_warnings,
    )


@dataclass
class Sent:
    """The blobs a backup sent: those the target lacked (or had damaged)."""

    files: int = 0
    bytes: int = 0


def _hash_and_send(
    settings: Settings,
    tgt: Target,
    files: list[tuple[str, LakeFile]],
    cache: HashCache,
    staging: Path,
    report: ProgressSink,
    cancel_event: threading.Event | None,
) -> tuple[dict[str, str], Sent]:
    """A local lake: hash the files in place, then send what the target lacks (hard-linked
    into staging, so nothing is copied twice)."""
    total = sum(f.size for _, f in files)
    hashed_bytes = [0]

    def hashed(size: int) -> None:
        hashed_bytes[0] += size
        report(BackupProgress("hash", hashed_bytes[0], total, "bytes", f"{len(files)} files"))

    report(BackupProgress("hash", 0, total, "bytes", f"{len(files)} files"))
    shas = hash_files(files, cache, cancel_event, hashed)
    report(BackupProgress("send", 0, None, message="listing what the target has"))
    # Blobs the last verify found damaged count as absent: sent again while the lake has them.
    existing = tgt.list_blobs() - damaged_blobs(settings, tgt)
    sources = {shas[rel]: f.path for rel, f in files if rel in shas}
    new = {sha: p for sha, p in sources.items() if sha not in existing and isinstance(p, Path)}
    sent = Sent(len(new), sum(_size(p) for p in new.values()))
    for sha, path in new.items():
        _stage(path, staging / "blobs" / blob_key(sha))
    _push_blobs(tgt, staging, sent.bytes, len(new), report)
    return shas, sent


# A lake on object storage is fetched into staging and sent in batches of about this size:
# the local disk holds one batch at a time, and no file is ever held whole in memory.
STREAM_BATCH_BYTES = 256 << 20


def _fetch_and_send(
    settings: Settings,
    tgt: Target,
    files: list[tuple[str, LakeFile]],
    cache: HashCache,
    staging: Path,
    report: ProgressSink,
    cancel_event: threading.Event | None,
) -> tuple[dict[str, str], Sent]:
    """A lake on object storage: stream each file the target may lack into staging, hashing
    it on the way (one read per file), and send the staged blobs batch by batch. A file whose
    remembered hash the target already has is not read at all."""
    report(BackupProgress("send", 0, None, message="listing what the target has"))
    existing = tgt.list_blobs() - damaged_blobs(settings, tgt)
    total = sum(f.size for _, f in files)
    shas: dict[str, str] = {}
    sent, staged, done = Sent(), 0, 0
    incoming = staging / "incoming"
    incoming.mkdir()
    for rel, f in files:
        if cancel_event is not None and cancel_event.is_set():
            raise BackupCancelled()
        sha = cache.cached(rel, f)
        if sha is None or sha not in existing:
            try:
                sha = _fetch(f.path, incoming / "file")
            except FileNotFoundError:  # gone since the listing (a vacuum): reported as such
                continue
            blob = staging / "blobs" / blob_key(sha)
            if sha in existing or blob.exists():
                (incoming / "file").unlink()
            else:
                blob.parent.mkdir(parents=True, exist_ok=True)
                (incoming / "file").replace(blob)
                staged += f.size
                sent.files += 1
                sent.bytes += f.size
        cache.remember(rel, f, sha)
        shas[rel] = sha
        done += f.size
        report(BackupProgress("send", done, total, "bytes", f"{len(files)} files from the bucket"))
        if staged >= STREAM_BATCH_BYTES:
            _push_blobs(tgt, staging, staged, sent.files, report)
            staged = 0
    _push_blobs(tgt, staging, staged, sent.files, report)
    shutil.rmtree(incoming)
    return shas, sent


def _fetch(source: Path | Location, dest: Path) -> str:
    """Copy a lake file to `dest` chunk by chunk; its SHA-256."""
    where = as_location(source)
    digest = hashlib.sha256()
    with dest.open("wb") as out:
        for block in where.read_chunks():
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _push_blobs(tgt: Target, staging: Path, size: int, count: int, report: ProgressSink) -> None:
    """Send the staged blobs, then clear them from staging."""
    blobs = staging / "blobs"
    if not blobs.is_dir():
        return
    report(BackupProgress("send", 0, size, "bytes", f"sending {count} new files to {tgt}"))
    tgt.push(staging)
    shutil.rmtree(blobs)


def refuse_half_restored(settings: Settings) -> None:
    """A lake on object storage that a restore is still writing (or left unfinished) is not
    backed up: its snapshot would hold half a lake."""
    if not settings.on_object_storage:
        return
    from lakeconsole.core.backup.restore_s3 import half_restored_line

    if line := half_restored_line(settings.lake):
        raise BackupError(line)


def damaged_blobs(settings: Settings, tgt: Target) -> set[str]:
    """Blobs of `tgt` that the last verify found missing or corrupted."""
    verify = read_status(settings).get("last_verify") or {}
    return set(verify.get("damaged", [])) if verify.get("target") == str(tgt) else set()


def build_manifest(
    settings: Settings, plan: LakePlan, shas: dict[str, str], started: float
) -> Manifest:
    from lakeconsole.core.backup.lake_id import lake_id

    manifest = Manifest(
        snapshot="",
        created_at=started,
        source=settings.lake_name,
        warnings=list(plan.warnings),
        lake_id=lake_id(settings, create=True),
    )
    for name, table in plan.tables.items():
        entry = TableEntry(version=table.version, missing=list(table.missing))
        for f in table.files:
            sha = shas.get(f"{name}/{f.rel}")
            if sha is not None:
                entry.files[f.rel] = FileEntry(sha, f.size)
        manifest.tables[name] = entry
    for f in plan.other_files:
        if f.rel in shas:
            manifest.other_files[f.rel] = FileEntry(shas[f.rel], f.size)
    return manifest


def prune(tgt: Target, keep: int, settings: Settings) -> tuple[list[str], list[str]]:
    """Drop all but the newest `keep` snapshots of this lake, then the blobs no remaining
    snapshot uses. Another lake's snapshots in the same target are its own to prune.

    Runs only after a new snapshot is complete. If a remaining manifest cannot be read, no blob
    is deleted (it might be one of its blobs)."""
    ids = tgt.list_snapshot_ids()
    from lakeconsole.core.backup.lake_id import lake_id

    this = lake_id(settings)  # read once: on S3 it is an object in the bucket
    ours = [s for s in ids if _of_this_lake(tgt, s, settings, this)]
    old = ours[:-keep] if len(ours) > keep else []
    tgt.delete_snapshots(old)
    for snapshot in old:
        tgt.manifest_cache(snapshot).unlink(missing_ok=True)
    used: set[str] = set()
    for snapshot in (s for s in ids if s not in old):
        try:
            used |= Manifest.from_json(tgt.read_manifest_cached(snapshot)).blobs()
        except (BackupError, ValueError, KeyError) as exc:
            return old, [f"blobs not pruned: manifest of {snapshot} unreadable ({exc})"]
    tgt.delete_blobs(tgt.list_blobs() - used)
    return old, []


def _of_this_lake(tgt: Target, snapshot: str, settings: Settings, this: str | None) -> bool:
    """This lake's (id `this`) by its id, or (taken before lake ids) by the path it was taken
    from."""
    try:
        m = Manifest.from_json(tgt.read_manifest_cached(snapshot))
    except (BackupError, ValueError, KeyError):
        return False  # unreadable: not ours to delete
    if m.lake_id is not None:
        return m.lake_id == this
    return m.source == settings.lake_name


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _stage(src: Path, dest: Path) -> None:
    # A hard link costs nothing and is safe: Delta files never change once written.
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)
