"""Backup and restore of the lake (OPS-07): dated, content-addressed snapshots in a folder, an
rclone remote or an S3 bucket; verify, restore, restore drill, and the weekly-backup status.

Entry points for other areas (`lakeconsole maintain`, the console):
    run_backup(settings, target=None, verify=False, on_progress=None, cancel_event=None)
        -> BackupResult
    backup_due(settings) -> bool
"""

from core.backup.backup import run_backup
from core.backup.drill import DrillResult, restore_drill
from core.backup.model import (
    BackupCancelled,
    BackupError,
    BackupProgress,
    BackupResult,
    NoTargetError,
    RestoreRefused,
    TargetError,
    VerifyResult,
)
from core.backup.restore import RestoreResult, SnapshotInfo, list_snapshots, restore_snapshot
from core.backup.status import backup_due, backup_status, read_status
from core.backup.verify import verify_snapshot

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
