"""The lake's tables at a glance: version, rows, files, size, last commit, schema version, flags.

Rows, files and size come from the log's add actions, never from reading data files.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lakeconsole.core.explorer.history import (
    commits_since,
    iter_commits,
    schema_version_of,
    to_commit,
)
from lakeconsole.core.explorer.log import read_commit
from lakeconsole.core.explorer.table import ExplorerError, explain, layer_of, open_table, table_name
from lakeconsole.core.lake import find_tables
from lakeconsole.core.maintenance.tables import (
    MIN_RETENTION_HOURS,
    RETENTION_PROPERTY,
    SMALL_FILE_BYTES,
)
from lakeconsole.core.maintenance.tables import parse_interval_hours as interval_hours
from lakeconsole.core.settings import Settings
from lakeconsole.core.small_files import SMALL_FILES_MIN_COUNT
from lakeconsole.core.storage import LakePath, Location, StorageError
from lakeconsole.core.units import human_bytes

SCHEMA_VERSION_PROPERTY = "lakeconsole.schema_version"
# How far back to look for a commit carrying a schema version, and for the last vacuum.
SCHEMA_VERSION_SCAN = 200
VACUUM_SCAN = 5000
LAYER_ORDER = ("landing", "bronze", "silver", "gold", "quarantine", "engine", "other")


@dataclass(frozen=True)
class TableSummary:
    """One row of the tables view; an unreadable table has `error` set and no numbers."""

    name: str
    layer: str
    path: LakePath
    version: int | None = None
    rows: int | None = None
    files: int | None = None
    size_bytes: int | None = None
    last_commit_ms: int | None = None
    schema_version: str | None = None
    flags: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def last_commit_local(self) -> str:
        if self.last_commit_ms is None:
            return ""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.last_commit_ms / 1000))

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["path"] = str(self.path)
        out["last_commit_local"] = self.last_commit_local
        return out


def lake_tables(settings: Settings, now: float | None = None) -> list[TableSummary]:
    """Every Delta table in the lake, by layer then name. Blocking: call off the UI thread."""
    now = time.time() if now is None else now
    overdue = maintenance_overdue(settings, now)
    tables: list[Path] | list[Location] = find_tables(settings.lake_root)
    summaries = [summarize(p, settings, now, overdue) for p in tables]
    rank = {layer: i for i, layer in enumerate(LAYER_ORDER)}
    return sorted(summaries, key=lambda s: (rank.get(s.layer, len(rank)), s.name))


def maintenance_overdue(settings: Settings, now: float) -> dict[LakePath, bool] | None:
    """Overdue per table as the maintenance view sees it (its ledger), so both views agree;
    None when that area is not installed or cannot answer."""
    try:
        from lakeconsole.core.maintenance.status import table_upkeep

        return {_same(u.path): bool(u.overdue) for u in table_upkeep(settings, now)}
    except Exception:  # optional area, or one unreadable table: fall back to the Delta log
        return None


def _same(path: LakePath) -> LakePath:
    """One key per table whichever way its path was spelled."""
    return path.resolve() if isinstance(path, Path) else path


def summarize(
    path: LakePath,
    settings: Settings,
    now: float | None = None,
    overdue: dict[LakePath, bool] | None = None,
) -> TableSummary:
    """The summary of one table; an unreadable table becomes a row with its error.

    `overdue` (from maintenance_overdue) decides the vacuum flag; without it the Delta log does.
    """
    name, layer = table_name(settings.lake_root, path), layer_of(settings.lake_root, path)
    now = time.time() if now is None else now
    try:
        late = overdue.get(_same(path)) if overdue is not None else None
        if late is None:
            late = vacuum_overdue(path, settings, now)
        return _summarize(path, name, layer, settings, late)
    except ExplorerError as exc:
        return TableSummary(name, layer, path, error=str(exc))
    except Exception as exc:  # delta-rs raises many kinds; each becomes one line
        return TableSummary(name, layer, path, error=str(explain(exc, path)))


def _summarize(
    path: LakePath, name: str, layer: str, settings: Settings, overdue: bool
) -> TableSummary:
    import pyarrow.compute as pc

    dt = open_table(path)
    version = dt.version()
    from lakeconsole.core.lake import add_actions, live_rows

    actions = add_actions(dt)
    files = actions.num_rows
    size = int(pc.sum(actions["size_bytes"]).as_py() or 0) if files else 0
    # A file without stats (some writers skip them) makes the count unknown, not low.
    rows = live_rows(dt, actions)
    partition_columns = [c for c in actions.column_names if c.startswith("partition.")]
    partitions = (
        len(actions.select(partition_columns).group_by(partition_columns).aggregate([]))
        if partition_columns and files
        else 1
    )
    config = dict(dt.metadata().configuration or {})
    last = to_commit(read_commit(path, version))
    flags = _flags(files, partitions, size, config, settings, overdue)
    from lakeconsole.core.table_health import log_damage

    # delta-rs opens a table with an empty commit file without a word: the log is read here.
    flags[:0] = [f"damaged: {d.kind} (lakeconsole check)" for d in log_damage(path, name)]
    return TableSummary(
        name,
        layer,
        path,
        version,
        rows,
        files,
        size,
        last.timestamp_ms,
        schema_version(path, config),
        flags,
    )


def schema_version(path: LakePath, config: dict[str, str]) -> str | None:
    """The newest schema version (OPS-06): recent commits' userMetadata, else a table property."""
    for commit in iter_commits(path, SCHEMA_VERSION_SCAN):
        if commit.schema_version:
            return commit.schema_version
    if config.get(SCHEMA_VERSION_PROPERTY):
        return config[SCHEMA_VERSION_PROPERTY]
    return schema_version_of(config.get("delta.userMetadata"))


def _flags(
    files: int,
    partitions: int,
    size: int,
    config: dict[str, str],
    settings: Settings,
    overdue: bool,
) -> list[str]:
    flags = []
    # Files beyond one per partition are what compaction can remove; a table partitioned by
    # day has one small file per day by design and is not flagged for it.
    if files - partitions > SMALL_FILES_MIN_COUNT and size / files < SMALL_FILE_BYTES:
        flags.append(f"many small files ({files}, avg {human_bytes(size / files)}): optimize")
    hours = interval_hours(config.get(RETENTION_PROPERTY, ""))
    if hours is not None and hours < MIN_RETENTION_HOURS:
        flags.append(f"retention {hours:g} h < {MIN_RETENTION_HOURS} h")
    if overdue:
        flags.append(f"vacuum overdue (> {settings.vacuum_interval_days} d)")
    return flags


def last_vacuum_ms(path: LakePath, settings: Settings, since_ms: float) -> float | None:
    """When the table was last vacuumed after `since_ms`: the maintenance ledger, else the log."""
    best: float | None = None
    try:
        from lakeconsole.core.maintenance.ledger import last_done
        from lakeconsole.core.storage import state_home

        record = last_done(state_home(settings), "vacuum").get(table_name(settings.lake_root, path))
        if record and record.get("at") is not None:
            best = float(record["at"]) * 1000
    except (ImportError, AttributeError, TypeError, ValueError, OSError, StorageError):
        pass  # the maintenance area is optional; the Delta log still tells
    if best is not None and best >= since_ms:
        return best
    commits, _ = commits_since(path, since_ms, VACUUM_SCAN)
    for commit in commits:
        if commit.operation.startswith("VACUUM") and commit.timestamp_ms >= since_ms:
            return float(commit.timestamp_ms)
    return best


def vacuum_overdue(path: LakePath, settings: Settings, now: float) -> bool:
    """No vacuum within the vacuum interval (OPS-03), on a table older than that interval."""
    since_ms = (now - settings.vacuum_interval_days * 86400) * 1000
    if last_vacuum_ms(path, settings, since_ms) is not None:
        return False
    commits, reached = commits_since(path, since_ms, VACUUM_SCAN)
    # Unknown (log longer than the scan) is not flagged: false alarms teach users to ignore flags.
    return reached and bool(commits) and commits[-1].timestamp_ms < since_ms
