"""Safe VACUUM (OPS-03): a dry-run plan first, then execution that only ever deletes data files.

Three facts of delta-rs 1.6 shape this module (see DELTALAKE-NOTES): `vacuum()` is a dry run by
default; without `retention_hours` it trusts the table property, which can be far below 7 days;
and `full=True` deletes any unreferenced file in the table folder, a mart README included. So the
retention is always passed explicitly, and full mode is never handed to delta-rs: we take its
dry-run list and delete the data files in it ourselves, keeping everything else.
A table in a bucket is planned and vacuumed the same way, through the storage layer.
"""

from __future__ import annotations

import getpass
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lakeconsole.core.leftovers import find_crash_leftovers, is_data_file, remove_crash_leftovers
from lakeconsole.core.maintenance.ledger import append_record
from lakeconsole.core.maintenance.tables import (
    MIN_RETENTION_HOURS,
    RETENTION_PROPERTY,
    human_bytes,
    retention_property_hours,
    table_name,
)
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import FileEntry, LakePath, Location

log = logging.getLogger("lakeconsole.maintenance")

EXPIRED, LEFTOVER, UNREFERENCED = "expired", "crash leftover", "unreferenced"


class VacuumRefused(Exception):
    """VACUUM would break a rule; the message names the rule and the way to override."""


def check_retention(hours: float, force: bool, reason: str) -> None:
    """Refuse a retention under 168 h (OPS-03) unless forced with a reason."""
    if hours >= MIN_RETENTION_HOURS:
        return
    if not force:
        raise VacuumRefused(
            f"VACUUM refused: retention {hours:g} h is below the {MIN_RETENTION_HOURS} h minimum "
            "(OPS-03). Use --force --reason TEXT to override."
        )
    if not reason.strip():
        raise VacuumRefused(
            f"VACUUM refused: forcing retention {hours:g} h below {MIN_RETENTION_HOURS} h (OPS-03) "
            "needs a reason. Add --reason TEXT (who and why are logged)."
        )


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return f"uid {os.getuid()}"


@dataclass(frozen=True)
class DoomedFile:
    """A file the vacuum would delete, relative to the table folder."""

    path: str
    bytes: int
    kind: str  # EXPIRED, LEFTOVER or UNREFERENCED


@dataclass(frozen=True)
class VacuumPlan:
    """What a vacuum of one table would delete, and with which retention."""

    table: LakePath
    name: str
    retention_hours: int  # what is passed to delta-rs
    table_retention_hours: float | None  # the table's delta.deletedFileRetentionDuration
    forced: bool
    reason: str
    full: bool
    files: tuple[DoomedFile, ...]
    kept: tuple[str, ...] = ()  # non-data files full mode would have deleted: protected
    # Non-data files delta-rs itself would delete in normal mode: the vacuum is refused.
    blocked: tuple[str, ...] = ()

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def retention_flagged(self) -> bool:
        """The table itself keeps deleted files for less than the runbook's 7 days."""
        return (
            self.table_retention_hours is not None
            and self.table_retention_hours < MIN_RETENTION_HOURS
        )

    def summary(self) -> str:
        note = f", {len(self.kept)} non-data file(s) kept" if self.kept else ""
        return (
            f"{self.name}: {len(self.files)} file(s), {human_bytes(self.bytes)} "
            f"(retention {self.retention_hours} h{note})"
        )


@dataclass(frozen=True)
class VacuumResult:
    """What one vacuum deleted; the same fields go to the ledger."""

    name: str
    at: float
    files: int
    bytes: int
    retention_hours: int
    forced: bool
    reason: str
    user: str
    leftovers: int = 0
    kept: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        extra = f", {self.leftovers} crash leftover(s)" if self.leftovers else ""
        return f"{self.name}: deleted {self.files} file(s), {human_bytes(self.bytes)}{extra}"


class TableFiles:
    """Sizes and ages of a table's files by relative path: a stat each on disk, one listing of
    the table in a bucket."""

    def __init__(self, table: LakePath) -> None:
        from lakeconsole.core.storage_walk import walk_files

        self.table = table
        self.listed: dict[str, FileEntry] | None = (
            walk_files(table) if isinstance(table, Location) else None
        )

    def size(self, rel: str) -> int:
        if self.listed is not None:
            entry = self.listed.get(rel)
            return entry.size if entry else 0
        return _size(Path(str(self.table)) / rel)

    def nested_tables(self) -> list[str]:
        """Tables inside this table's folder (relative): their files are theirs, never ours."""
        if self.listed is not None:
            return sorted(
                {r.split("/_delta_log/", 1)[0] for r in self.listed if "/_delta_log/" in r}
            )
        table = Path(str(self.table))
        return [
            log.parent.relative_to(table).as_posix()
            for log in table.rglob("_delta_log")
            if log.is_dir() and log.parent != table
        ]

    def leftovers(self, hours: int, now: float) -> list[DoomedFile]:
        """Crash leftovers at least `hours` old."""
        if isinstance(self.table, Location):
            from lakeconsole.core.maintenance.bucket_leftovers import bucket_leftovers

            return [
                DoomedFile(e.name, e.size, LEFTOVER)
                for e in bucket_leftovers(self.table, self.listed)
                if now - e.mtime_ms / 1000 >= hours * 3600
            ]
        table = self.table
        return [
            DoomedFile(path.relative_to(table).as_posix(), _size(path), LEFTOVER)
            for path in find_crash_leftovers(table)
            if now - _mtime(path) >= hours * 3600
        ]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")  # gone already: never "old enough"


def plan_vacuum(
    table: LakePath,
    data_dir: LakePath,
    retention_hours: int,
    *,
    force: bool = False,
    reason: str = "",
    full: bool = False,
    now: float | None = None,
) -> VacuumPlan:
    """Dry run: the files a vacuum would delete now. Raises VacuumRefused under 168 h unless forced.

    A table whose own retention property is longer than asked keeps it (unless forced): a table
    owner who wants more history gets it."""
    from lakeconsole.core.table_health import open_healthy

    check_retention(retention_hours, force, reason)
    # --force only means something below the minimum; above it nothing is overridden or logged.
    force = force and retention_hours < MIN_RETENTION_HOURS
    reason = reason if force else ""
    now = time.time() if now is None else now
    dt = open_healthy(table, table_name(data_dir, table))  # a damaged table: TableDamaged
    from lakeconsole.core.table_features import write_refusal

    if refusal := write_refusal(dt, "VACUUM", table_name(data_dir, table)):
        raise VacuumRefused(refusal)
    own = retention_property_hours(dict(dt.metadata().configuration))
    hours = retention_hours
    if not force and own is not None and own > hours:
        hours = math.ceil(own)
    enforce = not force
    expired = dt.vacuum(retention_hours=hours, dry_run=True, enforce_retention_duration=enforce)
    on_hand = TableFiles(table)
    files = [DoomedFile(p, on_hand.size(p), EXPIRED) for p in expired if is_data_file(p)]
    blocked = tuple(p for p in expired if not is_data_file(p))
    kept: list[str] = []
    files += on_hand.leftovers(hours, now)
    if full:
        listed = {f.path for f in files}
        everything = dt.vacuum(
            retention_hours=hours, dry_run=True, enforce_retention_duration=enforce, full=True
        )
        nested = on_hand.nested_tables()
        for p in everything:
            if p in listed or p in expired:
                continue
            if is_data_file(p) and not any(p.startswith(f"{n}/") for n in nested):
                files.append(DoomedFile(p, on_hand.size(p), UNREFERENCED))
            else:
                kept.append(p)
    return VacuumPlan(
        table,
        table_name(data_dir, table),
        hours,
        own,
        force,
        reason,
        full,
        tuple(files),
        tuple(sorted(set(kept))),
        blocked,
    )


def execute_vacuum(plan: VacuumPlan, settings: Settings, now: float | None = None) -> VacuumResult:
    """Delete what the plan's rules allow *now* (re-planned, so nothing new is missed or wrongly
    taken), record it in the ledger and log it. Hold the lake's writer lock while calling this."""
    from lakeconsole.core.storage import state_home
    from lakeconsole.core.table_health import delta_table

    fresh = plan_vacuum(
        plan.table,
        settings.lake_root,
        plan.retention_hours,
        force=plan.forced,
        reason=plan.reason,
        full=plan.full,
        now=now,
    )
    sizes = {f.path: f.bytes for f in fresh.files}
    deleted: list[str] = []
    if any(f.kind == EXPIRED for f in fresh.files):
        if fresh.blocked:
            # delta-rs listed a non-data file as expired: never let it delete that.
            raise VacuumRefused(
                f"VACUUM refused on {plan.name}: it would delete non-data files "
                f"{', '.join(fresh.blocked)}. Move them out of the table folder."
            )
        dt = delta_table(plan.table)
        deleted = dt.vacuum(
            retention_hours=fresh.retention_hours,
            dry_run=False,
            enforce_retention_duration=not plan.forced,
        )
    at = time.time() if now is None else now
    leftovers = _remove_leftovers(plan, fresh.retention_hours * 3600, at)
    deleted += leftovers
    for f in fresh.files:
        if f.kind == UNREFERENCED and is_data_file(f.path) and _delete(plan.table, f.path):
            deleted.append(f.path)
    result = VacuumResult(
        plan.name,
        at,
        len(deleted),
        sum(sizes.get(p, 0) for p in deleted),
        fresh.retention_hours,
        plan.forced,
        plan.reason,
        current_user(),
        len(leftovers),
        fresh.kept,
    )
    _record(state_home(settings), result)
    return result


def _remove_leftovers(plan: VacuumPlan, min_age_s: float, now: float) -> list[str]:
    """Remove the table's crash leftovers old enough; their paths relative to the table."""
    if isinstance(plan.table, Location):
        from lakeconsole.core.maintenance.bucket_leftovers import remove_bucket_leftovers

        return [e.name for e in remove_bucket_leftovers(plan.table, plan.name, min_age_s, now)]
    removed = remove_crash_leftovers(plan.table, min_age_s=min_age_s, now=now)
    return [p.relative_to(plan.table).as_posix() for p in removed]


def _delete(table: LakePath, rel: str) -> bool:
    """Delete one file of the table; False when it was gone already."""
    if isinstance(table, Location):
        (table / rel).delete()
        return True
    try:
        (table / rel).unlink()
    except FileNotFoundError:
        return False
    return True


def _record(state_dir: Path | Location, result: VacuumResult) -> None:
    append_record(
        state_dir,
        {
            "action": "vacuum",
            "at": result.at,
            "table": result.name,
            "files": result.files,
            "bytes": result.bytes,
            "retention_hours": result.retention_hours,
            "forced": result.forced,
            "reason": result.reason,
            "user": result.user,
            "leftovers": result.leftovers,
            "kept": list(result.kept),
        },
    )
    if result.forced:
        log.warning(
            "VACUUM forced below %d h by %s on %s: retention %d h, reason: %s",
            MIN_RETENTION_HOURS,
            result.user,
            result.name,
            result.retention_hours,
            result.reason,
        )
    log.info(
        "VACUUM %s: %d file(s), %d bytes deleted, retention %d h",
        result.name,
        result.files,
        result.bytes,
        result.retention_hours,
    )


Progress = Callable[[int, int, str], None]  # (done, total, what)


def plan_tables(
    tables: Sequence[LakePath],
    settings: Settings,
    retention_hours: int | None = None,
    *,
    force: bool = False,
    reason: str = "",
    full: bool = False,
    now: float | None = None,
) -> list[VacuumPlan]:
    """Dry-run plans for several tables, retention from the settings unless given."""
    hours = settings.vacuum_retention_hours if retention_hours is None else retention_hours
    check_retention(hours, force, reason)  # refuse before opening any table
    return [
        plan_vacuum(t, settings.lake_root, hours, force=force, reason=reason, full=full, now=now)
        for t in tables
    ]


def vacuum_tables(
    plans: list[VacuumPlan],
    settings: Settings,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    now: float | None = None,
) -> list[VacuumResult]:
    """Execute plans one table at a time under the lake's writer lock (a lease on S3), so no
    pipeline write is in flight. Cancelling stops between tables (a delta-rs vacuum cannot be
    interrupted half-way)."""
    from lakeconsole.core.writer_lock import lake_writer_lock

    results: list[VacuumResult] = []
    with lake_writer_lock(settings, "lakeconsole vacuum") as lock:
        for i, plan in enumerate(plans):
            if cancel is not None and cancel.is_set():
                break
            lock.still_held()
            if progress:
                progress(i, len(plans), plan.name)
            results.append(execute_vacuum(plan, settings, now=now))
        if progress:
            progress(len(results), len(plans), "done")
    return results


__all__ = [
    "RETENTION_PROPERTY",
    "DoomedFile",
    "VacuumPlan",
    "VacuumRefused",
    "VacuumResult",
    "check_retention",
    "execute_vacuum",
    "plan_tables",
    "plan_vacuum",
    "vacuum_tables",
]
