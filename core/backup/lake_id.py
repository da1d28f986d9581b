"""Which lake a snapshot is of: an id made once in the lake's state folder, and its path.

One backup target can serve several lakes. The id lives with backup's own records
(`_lakeconsole/backup/lake-id`): not lake content, so a backup only reads the lake, and kept
across a restore over the lake like those records. Snapshots older than lake ids have only the
path they were taken from: they restore with a note rather than a refusal.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Literal

from lakeconsole.core.backup.status import backup_state_dir
from lakeconsole.core.settings import Settings

LAKE_ID_FILE = "lake-id"
Owner = Literal["this", "other", "unknown"]


def lake_id(settings: Settings, create: bool = False) -> str | None:
    """This lake's id (made on first use when `create`), or None when it has none yet."""
    path = backup_state_dir(settings) / LAKE_ID_FILE
    try:
        found = path.read_text().strip()
    except FileNotFoundError:
        found = ""
    if found or not create:
        return found or None
    made = uuid.uuid4().hex
    _write(path, made)
    return made


def adopt_lake_id(settings: Settings, value: str) -> None:
    """Take `value` as this lake's id: a lake without one rebuilt from that lake's snapshot."""
    _write(backup_state_dir(settings) / LAKE_ID_FILE, value)


def _write(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{LAKE_ID_FILE}.{os.getpid()}.tmp")
    tmp.write_text(value + "\n")
    os.replace(tmp, path)  # never a half-written id


def owner(snapshot_lake: str | None, this_lake: str | None) -> Owner:
    """'this' or 'other' lake's snapshot; 'unknown' for one taken before snapshots named it."""
    if snapshot_lake is None:
        return "unknown"
    return "this" if snapshot_lake == this_lake else "other"
