"""Reading a table's `_delta_log` commit files directly.

Opening a DeltaTable replays the log from the last checkpoint; for a table with thousands of
commits and no checkpoint that takes seconds. A page of history only needs the newest N commit
files, so we list the folder and read just those (measured: 10,000 commits without a checkpoint,
DeltaTable() 2.9 s; listing + 50 files a few ms).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lakeconsole.core.explorer.table import ExplorerError
from lakeconsole.core.storage import LakePath, StorageError, as_location

COMMIT_FILE = re.compile(r"^(\d{20})\.json$")


@dataclass(frozen=True)
class RawCommit:
    """One commit file: its commitInfo and which kinds of actions it holds."""

    version: int
    info: dict[str, Any]
    file_mtime_ms: int
    changes_metadata: bool  # holds a metaData action: the schema or table properties were set


def commit_versions(path: LakePath) -> list[int]:
    """Versions whose commit file is still in the log, oldest first."""
    log = as_location(path) / "_delta_log"
    try:
        names = log.names()
    except StorageError:
        raise ExplorerError(
            f"{path} is not a Delta table (no _delta_log folder); give the folder of a Delta table"
        ) from None
    return sorted(int(m.group(1)) for n in names if (m := COMMIT_FILE.match(n)))


def latest_version(path: LakePath) -> int:
    """The newest commit number, from the folder listing alone."""
    versions = commit_versions(path)
    if not versions:
        raise ExplorerError(f"{path} has a _delta_log but no commits: not a readable Delta table")
    return versions[-1]


def read_commit(path: LakePath, version: int) -> RawCommit:
    """Parse one commit file; a missing commitInfo gives an empty info (some writers omit it)."""
    file = as_location(path) / "_delta_log" / f"{version:020d}.json"
    try:
        text = file.read_text()
        mtime_ms = file.mtime_ms()
    except (StorageError, UnicodeDecodeError) as exc:
        reason = str(exc).rsplit(": ", 1)[-1]
        raise ExplorerError(f"Cannot read commit {version} of {path}: {reason}") from None
    info: dict[str, Any] = {}
    changes_metadata = False
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            action = json.loads(line)
        except ValueError:
            continue
        if "commitInfo" in action and isinstance(action["commitInfo"], dict):
            info = action["commitInfo"]
        elif "metaData" in action:
            changes_metadata = True
    return RawCommit(version, info, mtime_ms, changes_metadata)
