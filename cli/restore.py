"""`lakeconsole restore`: the lake back from a backup snapshot, or a restore drill (OPS-07)."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from lakeconsole.cli.backup import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    ProgressPrinter,
)
from lakeconsole.cli.interrupt import cancel_on_ctrl_c
from lakeconsole.cli.lake_use import LakeUse, on_object_storage
from lakeconsole.cli.output import GREEN, RED, YELLOW, error, file_problem, paint, print_json
from lakeconsole.core import exit_codes
from lakeconsole.core.settings import Settings

COMMAND = "restore"
ORDER = 51
HELP = "restore the lake from a backup snapshot, or run a restore drill"
DESCRIPTION = """\
Restore a snapshot (default: the newest) from BACKUP_TARGET (or --target) into the lake, or into
--to DIR. Every file is checked against its checksum; restored tables equal the originals, at the
backed-up version and with the same history. A non-empty destination is refused unless --force:
then the new lake is built beside it and the current one is moved to <dir>.before-restore-<time>
(never deleted). Into object storage (an s3:// lake, or --to s3://bucket/prefix) only an empty
prefix is restored into (S3 has no rename to swap a lake in one step): under the lake's lease,
marked half-restored until the last object is written.

--drill restores the newest snapshot into a temporary folder, opens and reads every table, compares
it with the live lake at the backed-up version, reports, records the result, and cleans up."""
EPILOG = """\
exit codes: 0 done (drill passed), 1 failed (drill found problems), 2 bad arguments,
            69 target not reachable / tool missing, 75 refused (not empty, run going), 130 cancelled
examples:
  lakeconsole restore --to /tmp/lake-copy          newest snapshot into an empty folder
  lakeconsole restore 20260105T030000Z --force     that snapshot over the lake (old lake kept aside)
  lakeconsole restore --to s3://bucket/lake-new    into an empty bucket prefix
  lakeconsole restore --drill                      prove the newest snapshot restores"""

EXIT_REFUSED = exit_codes.REFUSED


READ_ONLY_FORMS = ("restore --drill",)
object_storage = on_object_storage  # into an empty s3:// prefix, or from an s3:// lake


def lake_use(args: argparse.Namespace) -> LakeUse:
    # A restore builds its lake itself, and may be all that is left of a lost one.
    return "reads" if args.drill else "rebuilds"


def _destination(value: str) -> Path | str:
    """A folder, or an object-store URL kept as written (a Path would fold `s3://` to `s3:/`)."""
    return value if "://" in value else Path(value)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "snapshot", nargs="?", metavar="SNAPSHOT", help="snapshot name (default: newest)"
    )
    p.add_argument(
        "--to",
        metavar="DIR",
        type=_destination,
        help="restore into DIR (or an empty s3://bucket/prefix) instead of the lake",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="restore over a non-empty lake (the current one is moved aside, not deleted)",
    )
    p.add_argument(
        "--from-other-lake",
        action="store_true",
        help="restore a snapshot another lake sharing the target took (`backup --list` marks them)",
    )
    p.add_argument(
        "--drill",
        action="store_true",
        help="restore into a temporary folder, compare with the lake, report",
    )
    p.add_argument(
        "--target", metavar="TARGET", help="where the backups are (default: BACKUP_TARGET)"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the final line")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.backup import (
        BackupCancelled,
        BackupError,
        NoTargetError,
        RestoreRefused,
        TargetError,
    )

    no_color = "NO_COLOR" in settings.raw
    cancel, restore_sigint = cancel_on_ctrl_c("stopping the restore")
    printer = ProgressPrinter(quiet=args.quiet or args.json)
    try:
        if args.drill:
            if args.to or args.force:
                error(
                    "--drill restores into a temporary folder: leave out --to and --force", no_color
                )
                return EXIT_USAGE
            return _drill(args, settings, printer, cancel, no_color)
        return _restore(args, settings, printer, cancel, no_color)
    except BackupCancelled:
        error("✗ Restore cancelled; the lake was not replaced", no_color)
        return EXIT_CANCELLED
    except TargetError as exc:
        error(f"✗ Restore Failed: {exc}", no_color)
        return EXIT_USAGE if isinstance(exc, NoTargetError) else EXIT_UNAVAILABLE
    except RestoreRefused as exc:
        error(f"✗ {exc}", no_color)
        return EXIT_REFUSED
    except BackupError as exc:
        error(f"✗ Restore Failed: {exc}", no_color)
        return EXIT_FAILED
    except OSError as exc:  # a lake or temp file that cannot be read or written
        error(f"✗ Restore Failed: {file_problem(exc)}", no_color)
        return EXIT_FAILED
    finally:
        restore_sigint()


def _restore(
    args: argparse.Namespace,
    settings: Settings,
    printer: ProgressPrinter,
    cancel: threading.Event,
    no_color: bool,
) -> int:
    from lakeconsole.core.backup import restore_snapshot
    from lakeconsole.core.backup.model import human_bytes

    result = restore_snapshot(
        settings,
        snapshot=args.snapshot,
        to=args.to,
        force=args.force,
        target=args.target,
        on_progress=printer,
        cancel_event=cancel,
        from_other_lake=args.from_other_lake,
    )
    printer.done()
    if args.json:
        print_json(result.to_json())
        return 0
    for warning in result.warnings:
        print(
            paint(f"warning (from the backup): {warning}", YELLOW, sys.stderr, no_color),
            file=sys.stderr,
        )
    for line in result.notes:
        print(paint(f"warning: {line}", YELLOW, sys.stderr, no_color), file=sys.stderr)
    if result.moved_aside:
        print(f"the previous lake was moved to {result.moved_aside}")
    tables = ", ".join(f"{name} v{v}" for name, v in sorted(result.tables.items())) or "no tables"
    print(
        paint(
            f"✓ Restore Finished: snapshot {result.snapshot} into {result.dest}: "
            f"{result.files} files "
            f"({human_bytes(result.bytes)}); {tables}",
            GREEN,
            sys.stdout,
            no_color,
        )
    )
    return 0


def _drill(
    args: argparse.Namespace,
    settings: Settings,
    printer: ProgressPrinter,
    cancel: threading.Event,
    no_color: bool,
) -> int:
    from lakeconsole.core.backup import restore_drill

    result = restore_drill(
        settings,
        target=args.target,
        snapshot=args.snapshot,
        on_progress=printer,
        cancel_event=cancel,
    )
    printer.done()
    if args.json:
        print_json(result.to_json())
        return 0 if result.ok else EXIT_FAILED
    for check in result.tables:
        live = "" if check.live_rows is None else f", lake had {check.live_rows}"
        state = "ok" if not check.problems else "; ".join(check.problems)
        print(f"  {check.table} v{check.version}: {check.rows} rows restored{live} — {state}")
    if result.ok:
        print(
            paint(
                f"✓ Restore Drill Passed: snapshot {result.snapshot}: {result.files} files, "
                f"{len(result.tables)} tables restored and compared in {result.duration_s:.1f}s",
                GREEN,
                sys.stdout,
                no_color,
            )
        )
        return 0
    for problem in result.problems:
        print(paint(problem, RED, sys.stderr, no_color), file=sys.stderr)
    error(
        f"✗ Restore Drill Failed: snapshot {result.snapshot}: {len(result.problems)} problems",
        no_color,
    )
    return EXIT_FAILED
