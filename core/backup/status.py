"""The backup's own records (last backup, verify, drill) and the upkeep summary built from them.

Kept in `state_dir/backup/status.json`; the folder is left out of backups (it describes them).
A lake on object storage keeps them in its bucket (`_lakeconsole/backup/`), shared by every
machine that backs it up, and its scratch space (hash cache, staging) on this machine."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from lakeconsole.core.settings import Settings
from lakeconsole.core.state_shape import LIST, NUMBER, TEXT, shape_problem
from lakeconsole.core.storage import LocalLocation, Location, StorageError
from lakeconsole.core.units import ago
from lakeconsole.core.upkeep import UpkeepItem

log = logging.getLogger("lakeconsole.backup")

DAY_S = 86_400


def backup_state_dir(settings: Settings) -> Path:
    """The backup's scratch space (and, for a local lake, its records): in the lake's state
    folder, or, when the lake is read-only (a backup only reads it) or on object storage, in a
    folder of the temp dir kept per lake."""
    folder = settings.state_dir / "backup"
    if not settings.on_object_storage:
        nearest = next(p for p in (folder, *folder.parents) if p.exists())
        if os.access(nearest, os.W_OK):
            return folder
    lake = hashlib.sha256(settings.lake_name.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"lakeconsole-backup-{lake}"


def backup_records(settings: Settings) -> Location:
    """Where the records (status, lake id) live: beside the scratch space for a local lake, in
    the lake's own state folder in the bucket for one on object storage."""
    if settings.on_object_storage:
        return settings.lake / "_lakeconsole" / "backup"
    return LocalLocation(backup_state_dir(settings))


# The fields the readers rely on, in each record (last_backup, last_verify, ...).
RECORD_FIELDS = {"at": NUMBER, "ok": (bool,), "problems": LIST, "message": TEXT, "snapshot": TEXT}


def read_status(settings: Settings, problems: list[str] | None = None) -> dict[str, Any]:
    """{'last_backup': {...}, 'last_verify': {...}, 'last_drill': {...}, 'last_error': {...}}.

    A record of the wrong shape is read as missing; `problems` gets a line naming the file."""
    path = backup_records(settings) / "status.json"
    try:
        data = json.loads(path.read_text())
    except (StorageError, ValueError):
        return {}
    if not isinstance(data, dict):
        data = {"status.json": data}
    out = {}
    for key, value in data.items():
        why = shape_problem(value, RECORD_FIELDS)
        if why is None:
            out[key] = value
            continue
        message = f"skipped {key!r} in {path}: not a backup record ({why}); read as if missing"
        log.warning("%s", message)
        if problems is not None:
            problems.append(message)
    return out


def record(settings: Settings, key: str, value: dict[str, Any]) -> None:
    """Store one record (atomically; several processes may read it)."""
    data = read_status(settings)
    data[key] = value
    (backup_records(settings) / "status.json").write_bytes(json.dumps(data, indent=1).encode())


def last_backup_at(settings: Settings) -> float | None:
    last = read_status(settings).get("last_backup") or {}
    at = last.get("at")
    return float(at) if isinstance(at, int | float) else None


def backup_due(settings: Settings, now: float | None = None) -> bool:
    """True when there is no backup yet or the last one is older than BACKUP_INTERVAL_DAYS."""
    at = last_backup_at(settings)
    now = time.time() if now is None else now
    return at is None or now - at >= settings.backup_interval_days * DAY_S


def backup_status(settings: Settings) -> list[UpkeepItem]:
    """The backup line of the upkeep summary (dashboard, `maintain`, `check`)."""
    status = read_status(settings)
    at = last_backup_at(settings)
    due = backup_due(settings)
    parts = []
    if not settings.backup_target:
        parts.append("no BACKUP_TARGET set")
    if at is None:
        parts.append("never backed up")
    else:
        parts.append(
            f"last {time.strftime('%Y-%m-%d %H:%M', time.localtime(at))} ({ago(time.time() - at)})"
        )
        if due:
            parts.append(f"overdue (every {settings.backup_interval_days} d, OPS-07)")
    verify = status.get("last_verify")
    if verify:
        parts.append(
            "verified ok"
            if verify.get("ok")
            else f"verify FAILED ({len(verify.get('problems', []))} problems)"
        )
    error = status.get("last_error")
    if error and (at is None or float(error.get("at", 0)) > at):
        parts.append(f"last attempt failed: {error.get('message', '')}")
    return [UpkeepItem("backup", at, due, "; ".join(parts))]
