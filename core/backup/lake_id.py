"""Which lake a snapshot is of: an id made once in the lake's state folder, and its path.

One backup target can serve several lakes. The id lives with backup's own records
(`_lakeconsole/backup/lake-id`): not lake content, so a backup only reads the lake, and kept
across a restore over the lake like those records. Snapshots older than lake ids have only the
path they were taken from: they restore with a note rather than a refusal.
"""

from __future__ import annotations

import uuid
from typing import Literal

from lakeconsole.core.backup.status import backup_records
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import StorageError

LAKE_ID_FILE = "lake-id"
Owner = Literal["this", "other", "unknown"]


def lake_id(settings: Settings, create: bool = False) -> str | None:
    """This lake's id (made on first use when `create`), or None when it has none yet."""
    where = backup_records(settings) / LAKE_ID_FILE
    try:
        found = where.read_text().strip()
    except StorageError:  # none yet
        found = ""
    if found or not create:
        return found or None
    made = uuid.uuid4().hex
    if where.is_local:
        where.write_bytes(f"{made}\n".encode())  # replaced in one step: never half an id
        return made
    # Several machines may back one bucket lake up at once: the first id written is its id.
    if where.create(f"{made}\n".encode()) is None:
        return where.read_text().strip() or made
    return made


def adopt_lake_id(settings: Settings, value: str) -> None:
    """Take `value` as this lake's id: a lake without one rebuilt from that lake's snapshot."""
    (backup_records(settings) / LAKE_ID_FILE).write_bytes(f"{value}\n".encode())


def owner(snapshot_lake: str | None, this_lake: str | None) -> Owner:
    """'this' or 'other' lake's snapshot; 'unknown' for one taken before snapshots named it."""
    if snapshot_lake is None:
        return "unknown"
    return "this" if snapshot_lake == this_lake else "other"
