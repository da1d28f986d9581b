"""`lakeconsole restore`: rebuild the lake (or a copy) from a snapshot, every file hash-checked."""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lakeconsole.core.backup.backup import backup_lock
from lakeconsole.core.backup.lake_id import Owner, adopt_lake_id, lake_id, owner
from lakeconsole.core.backup.model import (
    BackupCancelled,
    BackupError,
    BackupProgress,
    Manifest,
    ProgressSink,
    RestoreRefused,
)
from lakeconsole.core.backup.target import Target, blob_batches, blob_key, parse_target
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import Location

log = logging.getLogger("lakeconsole.backup")
IGNORED = (".write-check-",)
HALF_RESTORE_PREFIX = ".{name}.restoring-"  # + time: a restore being built, renamed when done
BACKUP_STATE = ("_lakeconsole", "backup")  # backup's own records: not lake content


@dataclass
class SnapshotInfo:
    snapshot: str
    created_at: float
    tables: dict[str, int]
    files: int
    bytes: int
    lake: str = ""  # the path of the lake it was taken from
    owner: Owner = "unknown"  # this lake's, another lake's, or taken before lake ids

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "created_at": self.created_at,
            "tables": self.tables,
            "files": self.files,
            "bytes": self.bytes,
            "lake": self.lake,
            "owner": self.owner,
        }


@dataclass
class RestoreResult:
    snapshot: str
    dest: Path | Location
    files: int
    bytes: int
    tables: dict[str, int]
    moved_aside: Path | None = None
    duration_s: float = 0.0
    warnings: list[str] = field(default_factory=list)  # recorded in the snapshot by the backup
    notes: list[str] = field(default_factory=list)  # said about this restore: leftovers removed…

    @classmethod
    def of(
        cls,
        manifest: Manifest,
        dest: Path | Location,
        started: float,
        notes: list[str],
        moved_aside: Path | None = None,
    ) -> RestoreResult:
        """What restoring `manifest` into `dest` did, on disk or into a bucket alike."""
        return cls(
            manifest.snapshot,
            dest,
            manifest.file_count,
            manifest.bytes,
            {n: t.version for n, t in manifest.tables.items()},
            moved_aside,
            time.time() - started,
            list(manifest.warnings),
            notes,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "dest": str(self.dest),
            "files": self.files,
            "bytes": self.bytes,
            "tables": self.tables,
            "moved_aside": str(self.moved_aside) if self.moved_aside else None,
            "duration_s": round(self.duration_s, 3),
            "warnings": self.warnings,
            "notes": self.notes,
        }


def list_snapshots(
    settings: Settings, target: str | None = None, cancel_event: threading.Event | None = None
) -> list[SnapshotInfo]:
    """The target's complete snapshots, oldest first."""
    tgt = parse_target(settings.backup_target if target is None else target, settings, cancel_event)
    ours = lake_id(settings)
    out = []
    for snapshot in tgt.list_snapshot_ids():
        m = Manifest.from_json(tgt.read_manifest_cached(snapshot))
        out.append(
            SnapshotInfo(
                snapshot,
                m.created_at,
                {n: t.version for n, t in m.tables.items()},
                m.file_count,
                m.bytes,
                m.source,
                owner(m.lake_id, ours),
            )
        )
    return out


def lake_content(folder: Path) -> list[Path]:
    """Files that make a folder a non-empty lake (empty layer folders and locks do not count)."""
    if not folder.exists():
        return []
    return [
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not path.name.startswith(IGNORED)
        and not path.name.endswith(".lock")
        and path.relative_to(folder).parts[:2] != BACKUP_STATE
    ]


def restore_snapshot(
    settings: Settings,
    snapshot: str | None = None,
    to: Path | str | None = None,
    force: bool = False,
    target: str | None = None,
    on_progress: ProgressSink | None = None,
    cancel_event: threading.Event | None = None,
    from_other_lake: bool = False,
) -> RestoreResult:
    """Restore a snapshot (default: this lake's newest) into `to` (default: the lake): a
    folder, or an `s3://bucket/prefix` (core.backup.restore_s3).

    Refuses a non-empty destination unless `force`; then the new lake is built beside it and the
    old one is moved to `<dest>.before-restore-<time>`, never deleted. Refuses another lake's
    snapshot unless `from_other_lake`."""
    started = time.time()
    report = on_progress or (lambda p: None)
    tgt = parse_target(settings.backup_target if target is None else target, settings, cancel_event)
    bucket = _bucket_destination(settings, to)
    if bucket is not None:
        return _restore_into_bucket(
            settings, tgt, bucket, snapshot, force, report, cancel_event, from_other_lake, started
        )
    dest = Path(to or settings.data_dir).expanduser().resolve()
    manifest = _load_manifest(tgt, snapshot, settings)
    # Refused before the lock, whose folder is in the lake: a refused restore creates nothing.
    check_destination(manifest, settings, dest, force, from_other_lake)
    with backup_lock(settings), ExitStack() as lake:
        # Again under the lock: another restore may have filled the folder meanwhile.
        notes, content = check_destination(manifest, settings, dest, force, from_other_lake)
        if dest == settings.data_dir.resolve():
            from lakeconsole.core.lock import RunLocked, lake_lock

            try:  # held to the end: no run, vacuum or RESTORE writes into a lake being replaced
                lake.enter_context(lake_lock(settings, "lakeconsole restore"))
            except RunLocked as exc:
                raise RestoreRefused(f"Restore refused: {exc}") from None
        notes += remove_half_restores(dest)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
        # Built hidden beside DIR and renamed into place: a killed restore leaves no half lake.
        build = dest.with_name(f"{HALF_RESTORE_PREFIX.format(name=dest.name)}{stamp}")
        try:
            write_snapshot(
                tgt, manifest, build, _crash_point_after_each_file(settings, report), cancel_event
            )
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        log.info("restored snapshot %s from %s into %s", manifest.snapshot, tgt, dest)
        moved = _put_in_place(build, dest, bool(content), stamp, settings)
        if dest == settings.data_dir.resolve() and manifest.lake_id and not lake_id(settings):
            adopt_lake_id(settings, manifest.lake_id)  # a lost lake rebuilt: it is that lake
    return RestoreResult.of(manifest, dest, started, notes, moved)


def _bucket_destination(settings: Settings, to: Path | str | None) -> Location | None:
    """The object-store prefix to restore into, None for a folder."""
    from lakeconsole.core.settings import URL_PATTERN
    from lakeconsole.core.storage import StorageError, lake_location

    if to is None:
        return settings.lake if settings.on_object_storage else None
    if not URL_PATTERN.match(str(to)):
        return None
    try:
        return lake_location(str(to).rstrip("/"), settings.raw)
    except StorageError as exc:
        raise BackupError(f"Cannot restore into {to}: {exc}") from None


def _restore_into_bucket(
    settings: Settings,
    tgt: Target,
    dest: Location,
    snapshot: str | None,
    force: bool,
    report: ProgressSink,
    cancel_event: threading.Event | None,
    from_other_lake: bool,
    started: float,
) -> RestoreResult:
    from lakeconsole.core.backup.restore_s3 import check_bucket_destination, restore_into_bucket
    from lakeconsole.core.faults import crash_point
    from lakeconsole.core.storage import StorageError

    manifest = _load_manifest(tgt, snapshot, settings)
    try:
        content, marked = check_bucket_destination(dest, force)
        notes = check_lake(manifest, settings, dest, bool(content) and not marked, from_other_lake)
        with backup_lock(settings):
            notes += restore_into_bucket(
                settings,
                tgt,
                manifest,
                dest,
                report,
                cancel_event,
                lambda: crash_point(settings, "restore.mid_write"),
            )
            log.info("restored snapshot %s from %s into %s", manifest.snapshot, tgt, dest)
            if dest == settings.lake and manifest.lake_id and not lake_id(settings):
                adopt_lake_id(settings, manifest.lake_id)  # a lost lake rebuilt: it is that lake
    except StorageError as exc:
        raise BackupError(f"Restore into {dest} failed: {exc}") from None
    return RestoreResult.of(manifest, dest, started, notes)


def _put_in_place(
    build: Path, dest: Path, content: bool, stamp: str, settings: Settings
) -> Path | None:
    """Rename the finished `build` to `dest`; a lake already there is moved aside (returned)."""
    if content:
        moved = dest.with_name(f"{dest.name}.before-restore-{stamp}")
        dest.rename(moved)
        build.rename(dest)
        _carry_backup_state(moved, dest, settings)
        return moved
    if dest.exists():  # empty layer folders, backup records, locks: nothing of the lake's
        empty = dest.with_name(f".{dest.name}.replaced-{stamp}")
        dest.rename(empty)
        build.rename(dest)
        _carry_backup_state(empty, dest, settings)
        shutil.rmtree(empty, ignore_errors=True)
        return None
    build.rename(dest)
    return None


def remove_half_restores(dest: Path) -> list[str]:
    """Delete what a killed restore into `dest` left (its hidden build folder, the empty fetch
    folders of older versions); one warning line per folder removed. Call under backup_lock."""
    out = []
    pattern = HALF_RESTORE_PREFIX.format(name=dest.name) + "*"
    for folder in sorted(dest.parent.glob(pattern)):
        shutil.rmtree(folder, ignore_errors=True)
        out.append(f"removed {folder}, a half-written restore left by an interrupted one")
    for folder in sorted(dest.parent.glob(".lakeconsole-fetch-*")):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return out


def _crash_point_after_each_file(settings: Settings, report: ProgressSink) -> ProgressSink:
    from lakeconsole.core.faults import (
        crash_point,  # test-only: the crash tests kill a restore here
    )

    def progress(p: BackupProgress) -> None:
        report(p)
        if p.phase == "restore":
            crash_point(settings, "restore.mid_write")

    return progress


def _load_manifest(tgt: Target, snapshot: str | None, settings: Settings) -> Manifest:
    ids = tgt.list_snapshot_ids()
    if not ids:
        raise BackupError(f"No snapshots in {tgt}; nothing to restore")
    if snapshot is not None and snapshot not in ids:
        raise BackupError(
            f"No snapshot {snapshot} in {tgt}; `lakeconsole backup --list` shows them"
        )
    name = snapshot or _newest_of_this_lake(tgt, ids, settings)
    try:
        return Manifest.from_json(tgt.read_manifest(name))
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            f"The manifest of snapshot {name} is unreadable ({exc}); pick another snapshot"
        ) from None


def _newest_of_this_lake(tgt: Target, ids: list[str], settings: Settings) -> str:
    """The newest snapshot not of another lake (the newest of all when every one is)."""
    ours = lake_id(settings)
    for snapshot in reversed(ids):
        try:
            m = Manifest.from_json(tgt.read_manifest_cached(snapshot))
        except (BackupError, ValueError, KeyError, TypeError):
            continue
        if owner(m.lake_id, ours) != "other":
            return snapshot
    return ids[-1]


def check_destination(
    manifest: Manifest, settings: Settings, dest: Path, force: bool, from_other_lake: bool
) -> tuple[list[str], list[Path]]:
    """Refuse (RestoreRefused) what would replace data it should not; creates nothing.
    Returns the notes to print and the destination's lake content."""
    content = lake_content(dest)
    notes = check_lake(manifest, settings, dest, bool(content), from_other_lake)
    if content and not force:
        raise RestoreRefused(
            f"Restore refused: {dest} is not empty ({len(content)} files, e.g. "
            f"{content[0].relative_to(dest)}). Restore into an empty "
            "folder with --to DIR, or add --force to move the current lake aside first"
        )
    return notes, content


def check_lake(
    manifest: Manifest,
    settings: Settings,
    dest: Path | Location,
    has_data: bool,
    from_other_lake: bool,
) -> list[str]:
    """Keep one lake's snapshot from replacing another lake's data.

    A lake with an id takes its own snapshots only (unless `from_other_lake`). One with no id
    (never backed up, or lost) takes any snapshot while it holds no data: the new laptop of
    OPS-07's disaster recovery; with data, a snapshot taken at its own path. A note for a
    snapshot older than lake ids."""
    ours = lake_id(settings)
    whose = owner(manifest.lake_id, ours)
    if whose == "unknown":
        return [
            f"snapshot {manifest.snapshot} was taken before snapshots named their lake: "
            f"restored as asked (it is of the lake at {manifest.source})"
        ]
    if whose == "other" and ours is None and not has_data:
        return [
            f"snapshot {manifest.snapshot} is of the lake at {manifest.source} (lake id "
            f"{(manifest.lake_id or '')[:8]}); restored into {dest}, which held no lake"
        ]
    if whose == "other" and ours is None and manifest.source == str(dest):
        return []  # this path's own lake, which lost its backup records
    if whose == "other" and not from_other_lake:
        this = f"lake id {ours[:8]}" if ours else "no lake id yet: never backed up"
        raise RestoreRefused(
            f"Restore refused: snapshot {manifest.snapshot} is of another lake "
            f"({manifest.source}, lake id {(manifest.lake_id or '')[:8]}), not of this one "
            f"({settings.lake_name}, {this}). Pick one of this lake's snapshots "
            "(`lakeconsole backup --list`), or pass --from-other-lake to restore it anyway"
        )
    if whose == "other":
        return [
            f"snapshot {manifest.snapshot} is of another lake ({manifest.source}): restored "
            "as asked (--from-other-lake)"
        ]
    return []


def write_snapshot(
    tgt: Target,
    manifest: Manifest,
    dest: Path,
    report: ProgressSink,
    cancel_event: threading.Event | None,
) -> None:
    """Write every file of the manifest under `dest`, checking each against its SHA-256."""
    by_blob: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    for rel, f in manifest.all_files():
        by_blob.setdefault(f.sha256, []).append(rel)
        sizes[f.sha256] = f.size
    total, done = manifest.bytes, 0
    dest.mkdir(parents=True, exist_ok=True)
    remote = not tgt.reads_in_place
    # Inside `dest`, so a killed restore leaves nothing beside it (and moves stay on one disk).
    with tempfile.TemporaryDirectory(dir=dest, prefix=".lakeconsole-fetch-") as tmp:
        for batch in blob_batches(sizes):
            if remote:
                report(BackupProgress("fetch", done, total, "bytes", f"downloading from {tgt}"))
                tgt.fetch_blobs(batch, Path(tmp))
            for sha in batch:
                if cancel_event is not None and cancel_event.is_set():
                    raise BackupCancelled()
                src = tgt.local_blob(sha) or Path(tmp) / blob_key(sha)
                paths = by_blob[sha]
                for i, rel in enumerate(paths):
                    # A downloaded blob is moved to its last place: no second copy on disk.
                    _place_checked(src, dest / rel, rel, sha, move=remote and i == len(paths) - 1)
                    done += sizes[sha]
                report(BackupProgress("restore", done, total, "bytes", f"writing {dest}"))


def _place_checked(src: Path, dest: Path, rel: str, sha: str, move: bool) -> None:
    if not src.is_file():
        raise BackupError(
            f"The backup lacks the content of {rel} (blob {sha[:12]}…); it is damaged: "
            "run `lakeconsole backup --verify-only` and restore an older snapshot"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    if move:
        with src.open("rb") as fin:
            while block := fin.read(1 << 20):
                digest.update(block)
    else:
        with src.open("rb") as fin, dest.open("wb") as fout:
            while block := fin.read(1 << 20):
                digest.update(block)
                fout.write(block)
    if digest.hexdigest() != sha:
        raise BackupError(
            f"{rel} is corrupted in the backup (checksum mismatch); restore an older "
            "snapshot, and run `lakeconsole backup --verify-only`"
        )
    if move:
        src.replace(dest)


def _carry_backup_state(old: Path, new: Path, settings: Settings) -> None:
    # The backup records describe the target, not the lake: keep them across a restore.
    rel = settings.state_dir.resolve().relative_to(settings.data_dir.resolve()) / "backup"
    src = old / rel
    if src.is_dir():
        shutil.copytree(
            src, new / rel, dirs_exist_ok=True, ignore=shutil.ignore_patterns("staging-*")
        )
