"""Restore a table to an earlier version: a plan saying what will change, then a RESTORE."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lakeconsole.core.explorer.table import ExplorerError, explain, open_table
from lakeconsole.core.explorer.version import SchemaDiff, columns_of, diff_schemas, total_rows
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath, Location
from lakeconsole.core.writer_lock import lake_writer_lock


@dataclass(frozen=True)
class RestorePlan:
    """What restoring `path` from `current` to `target` changes; `missing_files` blocks it."""

    path: LakePath
    current: int
    target: int
    rows_now: int | None
    rows_after: int | None
    files_now: int
    files_after: int
    schema: SchemaDiff
    missing_files: list[str] = field(default_factory=list)

    def summary(self, name: str) -> str:
        """The confirmation text: what the table looks like now and after the restore."""
        lines = [
            f"Restore {name} from version {self.current} to version {self.target}.",
            f"Rows: {_n(self.rows_now)} now, {_n(self.rows_after)} after; "
            f"files: {self.files_now} now, {self.files_after} after.",
        ]
        if not self.schema.empty:
            lines.append("Schema changes: " + "; ".join(self.schema.lines()))
        lines.append(
            f"This commits a RESTORE as version {self.current + 1}; "
            f"the versions in between stay in the history."
        )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "current": self.current,
            "target": self.target,
            "rows_now": self.rows_now,
            "rows_after": self.rows_after,
            "files_now": self.files_now,
            "files_after": self.files_after,
            "schema": self.schema.to_json(),
            "missing_files": self.missing_files,
        }


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _missing_files(path: LakePath, uris: list[str]) -> list[str]:
    """The data files (URIs) of a version that are gone: a stat each on disk, one listing of
    the table in a bucket."""
    if not isinstance(path, Location):
        return [uri for uri in uris if not _local_path(uri).exists()]
    from lakeconsole.core.storage_walk import walk_files

    there = walk_files(path)
    base = path.uri.rstrip("/") + "/"  # file_uris() are decoded already: no unquote
    return [uri for uri in uris if uri.removeprefix(base) not in there]


def _local_path(uri: str) -> Path:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(uri)


def plan_restore(path: LakePath, target: int) -> RestorePlan:
    """Check the target version can be restored and describe the change.

    Raises WritesRefused on a table whose writer features delta-rs cannot write, ExplorerError
    otherwise, also when the log is damaged (a RESTORE computed from a log that lies would
    write its mistake down as the table's truth)."""
    from lakeconsole.core.table_health import log_damage

    damage = log_damage(path)
    if damage:
        raise ExplorerError(f"Restore refused: {damage[0].message}")
    from lakeconsole.core.table_features import refuse_unwritable

    now = open_table(path)
    refuse_unwritable(now, "RESTORE", path.name)
    current = now.version()
    if target < 0 or target > current:
        raise ExplorerError(
            f"Version {target} of {path} does not exist (versions go up to {current}); "
            "pick one from 'lakeconsole history'"
        )
    if target == current:
        raise ExplorerError(f"{path} is already at version {target}; nothing to restore")
    then = open_table(path, target)
    missing = _missing_files(path, then.file_uris())
    return RestorePlan(
        path,
        current,
        target,
        total_rows(now),
        total_rows(then),
        len(now.file_uris()),
        len(then.file_uris()),
        diff_schemas(columns_of(now), columns_of(then)),
        missing,
    )


def restore_version(plan: RestorePlan, settings: Settings) -> int:
    """Commit a RESTORE to the plan's target under the lake's lock; returns the new version.

    Refused when the target's data files were vacuumed, when the table moved since the plan
    (the confirmation the user gave described another state), or with RunLocked while a run,
    vacuum or optimize holds the lake's lock (a RESTORE under a running MERGE loses its rows).
    """
    if plan.missing_files:
        raise ExplorerError(
            f"Cannot restore {plan.path} to version {plan.target}: "
            f"{len(plan.missing_files)} of its data files were removed by a VACUUM. "
            "Restore from a backup, or pick a newer version"
        )
    command = f"lakeconsole restore-version {plan.path.name} {plan.target}"
    with lake_writer_lock(settings, command):
        dt = open_table(plan.path)
        if dt.version() != plan.current:
            raise ExplorerError(
                f"{plan.path} changed while you were deciding (now version {dt.version()}, "
                f"was {plan.current}); review the restore again"
            )
        try:
            dt.restore(plan.target)
        except Exception as exc:
            raise explain(exc, plan.path, plan.target) from None
        return int(open_table(plan.path).version())
