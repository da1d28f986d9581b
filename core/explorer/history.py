"""A table's history, one row per commit, newest first, a page at a time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lakeconsole.core.explorer.log import RawCommit, commit_versions, read_commit
from lakeconsole.core.storage import LakePath

# Metric names differ by writer: delta-rs (snake_case) and Spark/Databricks (camelCase).
# Each user-facing count takes the first name present.
METRIC_NAMES: dict[str, tuple[str, ...]] = {
    "rows_added": (
        "num_added_rows",
        "numOutputRows",
        "num_target_rows_inserted",
        "numTargetRowsInserted",
    ),
    "rows_updated": (
        "num_updated_rows",
        "numUpdatedRows",
        "num_target_rows_updated",
        "numTargetRowsUpdated",
    ),
    "rows_deleted": (
        "num_deleted_rows",
        "numDeletedRows",
        "num_target_rows_deleted",
        "numTargetRowsDeleted",
    ),
    "files_added": (
        "num_added_files",
        "numAddedFiles",
        "numFiles",
        "num_target_files_added",
        "numTargetFilesAdded",
        "numFilesAdded",
        "numRestoredFile",
        "numRestoredFiles",
    ),
    "files_removed": (
        "num_removed_files",
        "numRemovedFiles",
        "num_target_files_removed",
        "numTargetFilesRemoved",
        "numFilesRemoved",
        "numRemovedFile",
        "numDeletedFiles",
    ),
}
# Spark writes numOutputRows for WRITE (rows added) but also for MERGE (rows in the output);
# for a MERGE only the inserted count is "added".
MERGE_ROWS_ADDED = ("num_target_rows_inserted", "numTargetRowsInserted")

# Parameters that say nothing to a user reading the history.
QUIET_PARAMETERS = {"notMatchedBySourcePredicates", "isManaged", "statsOnLoad"}

DEFAULT_PAGE = 50


@dataclass(frozen=True)
class Commit:
    """One commit as a user reads it; `info` is the commitInfo exactly as the log holds it."""

    version: int
    timestamp_ms: int
    operation: str
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    user_metadata: str | None
    schema_version: str | None
    changes_metadata: bool
    info: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def local_time(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.timestamp_ms / 1000))

    def counts(self) -> dict[str, int]:
        """Rows and files added, updated, deleted and removed, whatever the writer called them."""
        names = dict(METRIC_NAMES)
        if self.operation == "MERGE":
            names["rows_added"] = MERGE_ROWS_ADDED
        out: dict[str, int] = {}
        for label, candidates in names.items():
            for name in candidates:
                value = _as_int(self.metrics.get(name))
                if value is not None:
                    out[label] = value
                    break
        return out

    def key_parameters(self) -> str:
        """Parameters in one short line, e.g. `mode=Append` or `predicate=id = 2`."""
        parts = []
        # Sorted: delta-rs writes some parameters (MERGE) in a different order each commit.
        for key, value in sorted(self.parameters.items()):
            if key in QUIET_PARAMETERS or value in (None, "", "[]", "{}", [], {}):
                continue
            parts.append(f"{key}={value if isinstance(value, str) else json.dumps(value)}")
        return ", ".join(parts)

    def metrics_line(self) -> str:
        """Counts in one short line, e.g. `+3 rows, 1 updated, files +1 -2`."""
        c = self.counts()
        parts = []
        if c.get("rows_added"):
            parts.append(f"+{c['rows_added']:,} rows")
        if c.get("rows_updated"):
            parts.append(f"{c['rows_updated']:,} updated")
        if c.get("rows_deleted"):
            parts.append(f"-{c['rows_deleted']:,} rows")
        signed = (("files_added", "+"), ("files_removed", "-"))
        files = " ".join(f"{sign}{c[k]:,}" for k, sign in signed if c.get(k))
        if files:
            parts.append(f"files {files}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "timestamp": self.timestamp_ms,
            "local_time": self.local_time,
            "operation": self.operation,
            "parameters": self.parameters,
            "metrics": self.metrics,
            "counts": self.counts(),
            "user_metadata": self.user_metadata,
            "schema_version": self.schema_version,
        }


@dataclass(frozen=True)
class HistoryPage:
    """Commits newest first; `next_before` continues the listing (None: nothing older)."""

    path: LakePath
    latest: int
    commits: list[Commit]
    next_before: int | None
    oldest_available: int


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def schema_version_of(user_metadata: str | None) -> str | None:
    """The `version` in a commit's userMetadata JSON (OPS-06), e.g. '1.2.0'; None if absent."""
    if not user_metadata:
        return None
    try:
        parsed = json.loads(user_metadata)
    except ValueError:
        return None
    if isinstance(parsed, dict) and parsed.get("version") is not None:
        return str(parsed["version"])
    return None


def to_commit(raw: RawCommit) -> Commit:
    info = raw.info
    user_metadata = info.get("userMetadata")
    if user_metadata is not None and not isinstance(user_metadata, str):
        user_metadata = json.dumps(user_metadata)
    return Commit(
        version=raw.version,
        timestamp_ms=_as_int(info.get("timestamp")) or raw.file_mtime_ms,
        operation=str(info.get("operation") or "?"),
        parameters=dict(info.get("operationParameters") or {}),
        metrics=dict(info.get("operationMetrics") or {}),
        user_metadata=user_metadata,
        schema_version=schema_version_of(user_metadata),
        changes_metadata=raw.changes_metadata,
        info=info,
    )


def history_page(
    path: LakePath, before: int | None = None, limit: int = DEFAULT_PAGE
) -> HistoryPage:
    """The newest `limit` commits older than version `before` (default: from the latest).

    Reads only those commit files, so a 10,000-commit table pages as fast as a short one.
    """
    versions = commit_versions(path)
    if not versions:
        from lakeconsole.core.explorer.log import latest_version

        latest_version(path)  # raises the "no commits" error
    wanted = [v for v in versions if before is None or v < before]
    page = wanted[-limit:][::-1] if limit > 0 else []
    commits = [to_commit(read_commit(path, v)) for v in page]
    more = len(wanted) > len(page)
    next_before = page[-1] if more and page else None
    return HistoryPage(path, versions[-1], commits, next_before, versions[0])


def iter_commits(path: LakePath, cap: int) -> Iterator[Commit]:
    """Commits newest first, at most `cap` of them, read one file at a time."""
    for v in reversed(commit_versions(path)[-cap:]):
        yield to_commit(read_commit(path, v))


def commits_since(path: LakePath, since_ms: float, cap: int) -> tuple[list[Commit], bool]:
    """Commits newest first back to the first one older than `since_ms` (at most `cap` files).

    Returns the commits and whether the scan got past `since_ms` or to the oldest commit.
    """
    out: list[Commit] = []
    for commit in iter_commits(path, cap):
        out.append(commit)
        if commit.timestamp_ms < since_ms:
            return out, True
    return out, len(out) < cap
