"""Backup and restore of the lake (OPS-07): dated, content-addressed snapshots in a folder, an
rclone remote or an S3 bucket; verify, restore, restore drill, and the weekly-backup status.

Entry points for other areas (`lakeconsole maintain`, the console):
    run_backup(settings, target=None, verify=False, on_progress=None, cancel_event=None)
        -> BackupResult
    backup_due(settings) -> bool

The names below are imported when first asked for (PEP 562): a run reads the Delta log patterns
of `core.backup.lake_files` on every step, and importing this package must not import all of
backup with them (40 ms of a no-op run).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakeconsole.core.backup.backup import run_backup
    from lakeconsole.core.backup.drill import DrillResult, restore_drill
    from lakeconsole.core.backup.model import (
        BackupCancelled,
        BackupError,
        BackupProgress,
        BackupResult,
        NoTargetError,
        RestoreRefused,
        TargetError,
        VerifyResult,
    )
    from lakeconsole.core.backup.restore import (
        RestoreResult,
        SnapshotInfo,
        list_snapshots,
        restore_snapshot,
    )
    from lakeconsole.core.backup.status import backup_due, backup_status, read_status
    from lakeconsole.core.backup.verify import verify_snapshot

_HOME = {
    "run_backup": "backup",
    "DrillResult": "drill",
    "restore_drill": "drill",
    "BackupCancelled": "model",
    "BackupError": "model",
    "BackupProgress": "model",
    "BackupResult": "model",
    "NoTargetError": "model",
    "RestoreRefused": "model",
    "TargetError": "model",
    "VerifyResult": "model",
    "RestoreResult": "restore",
    "SnapshotInfo": "restore",
    "list_snapshots": "restore",
    "restore_snapshot": "restore",
    "backup_due": "status",
    "backup_status": "status",
    "read_status": "status",
    "verify_snapshot": "verify",
}
__all__ = [
    "BackupCancelled",
    "BackupError",
    "BackupProgress",
    "BackupResult",
    "DrillResult",
    "NoTargetError",
    "RestoreRefused",
    "RestoreResult",
    "SnapshotInfo",
    "TargetError",
    "VerifyResult",
    "backup_due",
    "backup_status",
    "list_snapshots",
    "read_status",
    "restore_drill",
    "restore_snapshot",
    "run_backup",
    "verify_snapshot",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"lakeconsole.core.backup.{_HOME[name]}"), name)
