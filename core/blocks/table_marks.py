"""Which version of a table a state file describes, and whether the table is still there.

A state file (silver's watermark, gold's pending dates) is a hint about a table: "every bronze line
up to here is in silver as of version 12". It stays true while the table only moves forward by
lakeconsole's own commits. A RESTORE, a lost commit, a write lakeconsole did not make, or a table
rebuilt by hand (same version number, another commit time) make it false: the step then
re-derives. The check reads the table's newest commits once (usually one: the one the state names).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lakeconsole.core.backup.lake_files import COMMIT
from lakeconsole.core.schema_version import commit_schema_version
from lakeconsole.core.storage import LakePath, StorageError, log_names, read_optional

if TYPE_CHECKING:
    from deltalake import DeltaTable

# Commits that change files but not rows: a state file stays true across them.
ROW_PRESERVING = {
    "OPTIMIZE",
    "VACUUM START",
    "VACUUM END",
    "SET TBLPROPERTIES",
    "ADD CONSTRAINT",
    "DROP CONSTRAINT",
    "ADD FEATURE",
    "UPDATE FIELD METADATA",
    "UPDATE TABLE METADATA",
    "CHECKPOINT",
}


def mark_of(dt: DeltaTable) -> dict[str, int]:
    """The table's current version and that commit's timestamp (ms), as a state file keeps them."""
    version = int(dt.version())
    newest = dt.history(1)
    stamp = int(newest[0].get("timestamp", 0)) if newest else 0
    return {"version": version, "timestamp": stamp}


def newest_version(path: LakePath) -> int | None:
    """The newest commit of the table at `path`, from its log folder's names alone (None:
    no log, or no commit). Opening the table costs 10-30 ms; a run with nothing new asks this of
    every table it keeps a state file about, and a listing is enough to see nothing moved."""
    names = log_names(path)
    return max((int(m[1]) for n in names if (m := COMMIT.match(n))), default=None)


def still_at(path: LakePath, mark: dict[str, Any] | None) -> bool:
    """True when the table at `path` is at exactly the version `mark` names, with that commit's
    timestamp: `changed_since` would find nothing, without opening the table. False says only
    "look properly" (the table moved on, or the log is not what this quick read expects)."""
    if not mark or newest_version(path) != int(mark.get("version", -1)):
        return False
    commit = path / "_delta_log" / f"{int(mark['version']):020d}.json"
    try:
        for line in (read_optional(commit) or b"").splitlines():
            if b'"commitInfo"' in line:
                info = json.loads(line).get("commitInfo") or {}
                return int(info.get("timestamp", -1)) == int(mark.get("timestamp", 0))
    except (OSError, StorageError, ValueError, TypeError, AttributeError):
        return False
    return False


def changed_since(dt: DeltaTable | None, mark: dict[str, Any] | None, name: str) -> str | None:
    """Why `name` is no longer at or after the version `mark` describes, or None if it is.

    A missing mark (a state file written before marks existed) is trusted."""
    if not mark:
        return None
    version, stamp = int(mark["version"]), int(mark["timestamp"])
    if dt is None:
        return f"{name} is gone (the last run left it at version {version})"
    current = int(dt.version())
    if current < version:
        return (
            f"{name} is at version {current}, behind version {version} the last run left "
            "(a lost commit or a table rebuilt by hand)"
        )
    for entry in dt.history(current - version + 1):
        at = int(entry.get("version", -1))
        operation = str(entry.get("operation", ""))
        if at == version:
            if stamp and int(entry.get("timestamp", 0)) != stamp:
                return f"{name} was rebuilt: its version {version} is not the last run's"
        elif at > version and operation == "RESTORE":
            target = (entry.get("operationParameters") or {}).get("version", "?")
            return f"{name} was restored to version {target} after the last run"
        elif at > version and operation == "FSCK":
            return f"{name} was repaired after the last run (version {at} dropped missing files)"
        elif at > version and operation not in ROW_PRESERVING and not commit_schema_version(entry):
            return f"{name} was changed by a {operation} lakeconsole did not make (version {at})"
    return None
