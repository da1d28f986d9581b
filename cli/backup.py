"""`lakeconsole backup`: a dated snapshot of the lake in cold storage (OPS-07)."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from lakeconsole.cli.interrupt import cancel_on_ctrl_c
from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import (
    DIM,
    GREEN,
    RED,
    YELLOW,
    error,
    file_problem,
    paint,
    print_json,
    table,
)
from lakeconsole.core import exit_codes
from lakeconsole.core.settings import Settings

COMMAND = "backup"
ORDER = 50
HELP = "back the lake up to a folder, an rclone remote or S3 (dated snapshots)"
DESCRIPTION = """\
Copy the lake to BACKUP_TARGET (or --target) as a dated snapshot (OPS-07). Each Delta table is
taken at one committed version, even while a pipeline run writes; files the target already has
are not sent again; the last BACKUP_KEEP snapshots are kept. Targets:
  /mnt/usb/lake-backup or file:///mnt/usb/lake-backup a folder (external drive, NAS mount)
  rclone:REMOTE:path (or REMOTE:path)                 any rclone remote (`rclone config`)
  s3://bucket/prefix                                  S3 via `aws s3` (AWS_ENDPOINT_URL honoured)"""
EPILOG = """\
exit codes: 0 done, 1 failed (or verify found damage), 2 bad arguments or no target,
            69 target not reachable / tool missing / credentials refused, 130 cancelled
examples:
  lakeconsole backup                      snapshot to BACKUP_TARGET
  lakeconsole backup --verify             ...then read it back and check every checksum
  lakeconsole backup --target s3://my-bucket/lake
  lakeconsole backup --list               the snapshots in the target
  lakeconsole backup --verify-only        check the newest snapshot without a new backup
  lakeconsole restore --drill             prove the newest snapshot restores"""

EXIT_FAILED, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_CANCELLED = (
    exit_codes.FAILED,
    exit_codes.USAGE,
    exit_codes.UNAVAILABLE,
    exit_codes.CANCELLED,
)


lake_use = reads_only  # backup writes its target, never the lake
object_storage = on_object_storage  # an s3:// lake is backed up to any target


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", metavar="TARGET", help="where to back up (default: BACKUP_TARGET)")
    p.add_argument(
        "--verify", action="store_true", help="after the backup, re-read it and check checksums"
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help="list the snapshots in the target")
    mode.add_argument(
        "--verify-only",
        nargs="?",
        const="",
        metavar="SNAPSHOT",
        help="check a snapshot (default: the newest) without backing up",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the final line")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.backup import BackupCancelled, BackupError, NoTargetError, TargetError

    no_color = "NO_COLOR" in settings.raw
    cancel, restore_sigint = cancel_on_ctrl_c("stopping the backup")
    try:
        if args.list:
            return _list(args, settings)
        if args.verify_only is not None:
            return _verify_only(args, settings, cancel, no_color)
        return _backup(args, settings, cancel, no_color)
    except BackupCancelled as exc:
        error(f"✗ {exc}", no_color)
        return EXIT_CANCELLED
    except TargetError as exc:
        error(f"✗ Backup Failed: {exc}", no_color)
        return EXIT_USAGE if isinstance(exc, NoTargetError) else EXIT_UNAVAILABLE
    except BackupError as exc:
        error(f"✗ Backup Failed: {exc}", no_color)
        return EXIT_FAILED
    except OSError as exc:  # a lake or temp file that cannot be read or written
        error(f"✗ Backup Failed: {file_problem(exc)}", no_color)
        return EXIT_FAILED
    finally:
        restore_sigint()


def _backup(
    args: argparse.Namespace, settings: Settings, cancel: threading.Event, no_color: bool
) -> int:
    from lakeconsole.core.backup import run_backup
    from lakeconsole.core.governance import tracked_data

    printer = ProgressPrinter(quiet=args.quiet or args.json)
    result = run_backup(
        settings, target=args.target, verify=args.verify, on_progress=printer, cancel_event=cancel
    )
    printer.done()
    tracked = tracked_data(settings)
    if args.json:
        out = result.to_json()
        out["tracked_by_git"] = tracked
        print_json(out)
    else:
        for warning in result.warnings:
            print(paint(f"warning: {warning}", YELLOW, sys.stderr, no_color), file=sys.stderr)
        if tracked:
            print(
                paint(
                    f"warning: git tracks lake/log/.env files (OPS-07): {', '.join(tracked[:5])}; "
                    "`git rm --cached` them",
                    YELLOW,
                    sys.stderr,
                    no_color,
                ),
                file=sys.stderr,
            )
        if result.verify is not None:
            for problem in result.verify.problems:
                print(paint(f"verify: {problem}", RED, sys.stderr, no_color), file=sys.stderr)
    if result.verify is not None and not result.verify.ok:
        if not args.json:
            error(
                f"✗ Backup Failed: snapshot {result.snapshot} does not match its manifest "
                f"({len(result.verify.problems)} problems); check the target drive/bucket",
                no_color,
            )
        return EXIT_FAILED
    if not args.json:
        print(paint(f"✓ Backup Finished: {result.summary()}", GREEN, sys.stdout, no_color))
    return 0


def _verify_only(
    args: argparse.Namespace, settings: Settings, cancel: threading.Event, no_color: bool
) -> int:
    from lakeconsole.core.backup import verify_snapshot

    printer = ProgressPrinter(quiet=args.quiet or args.json)
    result = verify_snapshot(
        settings,
        target=args.target,
        snapshot=args.verify_only or None,
        on_progress=printer,
        cancel_event=cancel,
    )
    printer.done()
    if args.json:
        print_json(result.to_json())
        return 0 if result.ok else EXIT_FAILED
    for problem in result.problems:
        print(paint(problem, RED, sys.stderr, no_color), file=sys.stderr)
    if result.ok:
        print(
            paint(
                f"✓ Verify Finished: snapshot {result.snapshot}: {result.checked} files match "
                "their checksums",
                GREEN,
                sys.stdout,
                no_color,
            )
        )
        return 0
    error(f"✗ Verify Failed: snapshot {result.snapshot}: {len(result.problems)} problems", no_color)
    return EXIT_FAILED


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.backup import list_snapshots
    from lakeconsole.core.backup.model import human_bytes

    snapshots = list_snapshots(settings, target=args.target)
    if args.json:
        print_json([s.to_json() for s in snapshots])
        return 0
    if not snapshots:
        print("No snapshots yet. Take one with: lakeconsole backup")
        return 0
    rows = [
        [
            s.snapshot,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_at)),
            LAKE_LABEL[s.owner].format(path=s.lake),
            str(len(s.tables)),
            str(s.files),
            human_bytes(s.bytes),
        ]
        for s in reversed(snapshots)
    ]
    print(table(rows, ["snapshot", "taken", "lake", "tables", "files", "size"]))
    if any(s.owner == "other" for s in snapshots):
        print(
            "* another lake's snapshot (the target is shared): `lakeconsole restore` leaves "
            "them alone unless given --from-other-lake"
        )
    return 0


LAKE_LABEL = {
    "this": "this lake",
    "other": "* other lake: {path}",
    "unknown": "{path} (taken before lake ids)",
}


class ProgressPrinter:
    """One line per phase, refreshed in place on a terminal (plain lines for cron)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.phase = ""
        self.tty = sys.stdout.isatty()
        self.last = 0.0

    def __call__(self, progress: Any) -> None:
        if self.quiet:
            return
        from lakeconsole.core.backup.model import human_bytes

        if progress.phase != self.phase:
            if self.phase and self.tty:
                print(file=sys.stdout)
            self.phase = progress.phase
            if not self.tty:
                print(
                    paint(
                        f"{progress.phase}: {progress.message}".rstrip(": "), DIM, sys.stdout, True
                    ),
                    flush=True,
                )
        if not self.tty or time.monotonic() - self.last < 0.1:
            return
        self.last = time.monotonic()
        if progress.total:
            fmt = human_bytes if progress.unit == "bytes" else str
            text = (
                f"{progress.phase}: {fmt(progress.done)} / {fmt(progress.total)} {progress.message}"
            )
        else:
            text = f"{progress.phase}: {progress.message}"
        print(f"\r\033[K{text}", end="", flush=True)

    def done(self) -> None:
        if not self.quiet and self.tty and self.phase:
            print(flush=True)
