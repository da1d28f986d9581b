"""`run_backup`: one dated snapshot of the lake into the target, then pruning to BACKUP_KEEP."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lakeconsole.core.backup.hashes import HashCache, hash_files
from lakeconsole.core.backup.lake_files import LakePlan, plan_lake
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
from lakeconsole.core.backup.status import backup_state_dir, read_status, record
from lakeconsole.core.backup.target import MANIFEST, Target, blob_key, parse_target
from lakeconsole.core.settings import Settings

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
            log.info("backup of %s to %s started", settings.data_dir, tgt)
            result = _backup(settings, tgt, started, report, cancel_event)
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
    plan = plan_lake(settings.data_dir, settings.state_dir)
    files = plan.all_files()
    if not files:
        # An empty snapshot would, BACKUP_KEEP weeks later, have pruned every real one away.
        raise BackupError(
            f"The lake at {settings.data_dir} is empty: nothing to back up. "
            "Check LAKECONSOLE_DATA_DIR (or --data-dir)"
        )
    total = sum(f.size for _, f in files)
    hashed_bytes = [0]

    def hashed(size: int) -> None:
        hashed_bytes[0] += size
        report(BackupProgress("hash", hashed_bytes[0], total, "bytes", f"{len(files)} files"))

    report(BackupProgress("hash", 0, total, "bytes", f"{len(files)} files"))
    cache = HashCache(backup_state_dir(settings) / "hashes.json")
    shas = hash_files(files, cache, cancel_event, hashed)
    manifest = build_manifest(settings, plan, shas, started)
    for rel, _ in files:
        if rel not in shas:
            manifest.warnings.append(f"{rel} disappeared during the backup; not included")

    report(BackupProgress("send", 0, None, message="listing what the target has"))
    # Blobs the last verify found damaged count as absent: sent again while the lake has them.
    existing = tgt.list_blobs() - damaged_blobs(settings, tgt)
    taken = tgt.list_snapshot_ids()
    manifest.snapshot = snapshot_id(started, taken)
    sources = {shas[rel]: f.path for rel, f in files if rel in shas}
    new = {sha: path for sha, path in sources.items() if sha not in existing}
    new_bytes = sum(_size(p) for p in new.values())

    with tempfile.TemporaryDirectory(dir=backup_state_dir(settings), prefix="staging-") as tmp:
        staging = Path(tmp)
        for sha, path in new.items():
            _stage(path, staging / "blobs" / blob_key(sha))
        manifest.finished_at = time.time()
        manifest_path = staging / "snapshots" / manifest.snapshot / MANIFEST
        manifest_path.parent.mkdir(parents=True)
        manifest_path.write_text(manifest.to_json())
        push_bytes = new_bytes + manifest_path.stat().st_size
        sent = [0]

        def pushed(n: int) -> None:
            sent[0] += n
            report(
                BackupProgress(
                    "send", min(sent[0], push_bytes), push_bytes, "bytes", f"{len(new)} new files"
                )
            )

        report(BackupProgress("send", 0, push_bytes, "bytes", f"{len(new)} new files"))
        tgt.push(staging, pushed)
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
            "sent_bytes": new_bytes,
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
        sent_files=len(new),
        sent_bytes=new_bytes,
        duration_s=time.time() - started,
        pruned=pruned,
        warnings=manifest.warnings + prune_warnings,
    )


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
        source=str(settings.data_dir),
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
    ours = [s for s in ids if _of_this_lake(tgt, s, settings)]
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


def _of_this_lake(tgt: Target, snapshot: str, settings: Settings) -> bool:
    """This lake's by its id, or (taken before lake ids) by the path it was taken from."""
    from lakeconsole.core.backup.lake_id import lake_id

    try:
        m = Manifest.from_json(tgt.read_manifest_cached(snapshot))
    except (BackupError, ValueError, KeyError):
        return False  # unreadable: not ours to delete
    if m.lake_id is not None:
        return m.lake_id == lake_id(settings)
    return m.source == str(settings.data_dir)


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
