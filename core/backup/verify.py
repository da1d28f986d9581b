"""`--verify`: read a snapshot back from the target and check every blob against the manifest."""

from __future__ import annotations

import logging
import threading
import time

from lakeconsole.core.backup.model import (
    BackupError,
    BackupProgress,
    Manifest,
    ProgressSink,
    VerifyResult,
)
from lakeconsole.core.backup.status import record
from lakeconsole.core.backup.target import Target, parse_target
from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.backup")


def verify_snapshot(
    settings: Settings,
    target: str | None = None,
    snapshot: str | None = None,
    on_progress: ProgressSink | None = None,
    cancel_event: threading.Event | None = None,
) -> VerifyResult:
    """Check a snapshot (default: the newest) in the target; the result is recorded."""
    tgt = parse_target(settings.backup_target if target is None else target, settings, cancel_event)
    ids = tgt.list_snapshot_ids()
    if not ids:
        raise BackupError(f"No snapshots in {tgt} yet; run `lakeconsole backup` first")
    if snapshot is not None and snapshot not in ids:
        raise BackupError(
            f"No snapshot {snapshot} in {tgt}; `lakeconsole backup --list` shows them"
        )
    return verify_on(settings, tgt, snapshot or ids[-1], on_progress or (lambda p: None))


def verify_on(settings: Settings, tgt: Target, snapshot: str, report: ProgressSink) -> VerifyResult:
    result = VerifyResult(snapshot=snapshot, ok=False, at=time.time(), target=str(tgt))
    try:
        manifest = Manifest.from_json(tgt.read_manifest(snapshot))
    except (ValueError, KeyError, TypeError) as exc:
        result.problems.append(f"manifest of {snapshot} is unreadable ({exc})")
        record(settings, "last_verify", result.to_json())
        return result
    users: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    for rel, f in manifest.all_files():
        users.setdefault(f.sha256, []).append(rel)
        sizes[f.sha256] = f.size
    total = len(users)
    done = [0]

    def checked(n: int) -> None:
        done[0] += n
        report(BackupProgress("verify", done[0], total, "files", f"checking {snapshot}"))

    report(BackupProgress("verify", 0, total, "files", f"checking {snapshot}"))
    actual = tgt.blob_hashes(sizes, checked)
    for sha, paths in sorted(users.items(), key=lambda kv: kv[1][0]):
        got = actual.get(sha)
        if got is None:
            result.problems.append(f"missing in the backup: {paths[0]}" + _more(paths))
        elif got != sha:
            result.problems.append(f"corrupted in the backup: {paths[0]}" + _more(paths))
        else:
            continue
        result.damaged.append(sha)
    result.checked = total
    result.ok = not result.problems
    record(settings, "last_verify", result.to_json())
    log.info("verify of %s in %s: %s", snapshot, tgt, "ok" if result.ok else result.problems[:5])
    return result


def _more(paths: list[str]) -> str:
    return f" (and {len(paths) - 1} identical files)" if len(paths) > 1 else ""
