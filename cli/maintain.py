"""`lakeconsole maintain`: the scheduled upkeep for cron, with a heartbeat line."""

from __future__ import annotations

import argparse
import sys

from lakeconsole.cli.interrupt import cancel_on_ctrl_c
from lakeconsole.cli.lake_use import on_object_storage
from lakeconsole.cli.output import GREEN, RED, YELLOW, paint, print_json
from lakeconsole.core import exit_codes
from lakeconsole.core.settings import Settings

COMMAND = "maintain"
ORDER = 42
HELP = "do the upkeep that is due (weekly vacuum, weekly backup) — for cron"
DESCRIPTION = """\
Does whatever upkeep is due: VACUUM of every table not vacuumed for VACUUM_INTERVAL_DAYS
(OPS-03, retention VACUUM_RETENTION_HOURS), and the weekly backup (OPS-07) when BACKUP_TARGET is
set. Reports latency creep (OPS-09) and tables whose own retention is under 168 h. Ends with
'✓ Maintenance Finished: …' on stdout (exit 0) or '✗ Maintenance Failed: …' on stderr (exit 1).
On a lake in a bucket (s3://) it runs with --skip-backup (the backup of such a lake is not here
yet); the vacuum holds the lake's lease."""
EPILOG = """\
exit codes: 0 done (or nothing due), 1 something failed, 75 a pipeline run holds the lock,
            130 cancelled
crontab (every night at 03:30; maintain only acts when something is due):
  30 3 * * * cd /path/to/lakeconsole && .venv/bin/lakeconsole maintain >> logs/cron.log 2>&1"""

EXIT_FAILED, EXIT_LOCKED, EXIT_CANCELLED = (
    exit_codes.FAILED,
    exit_codes.REFUSED,
    exit_codes.CANCELLED,
)


object_storage = on_object_storage  # vacuum under the lease, then the backup (a bucket lake too)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="say what is due, do nothing")
    p.add_argument(
        "--skip-backup",
        action="store_true",
        help="do not back up even when due (e.g. no BACKUP_TARGET on this machine)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.maintenance.schedule import run_maintenance
    from lakeconsole.core.upkeep import state_problems

    no_color = "NO_COLOR" in settings.raw
    # Read as missing by the upkeep below; cron mails stderr, so a damaged file is seen.
    for problem in [line for lines in state_problems(settings).values() for line in lines]:
        print(paint(f"warning: {problem}", YELLOW, sys.stderr, no_color), file=sys.stderr)

    def progress(done: int, total: int, what: str) -> None:
        if not args.json and what != "done":
            print(f"[{done + 1}/{total}] vacuum {what}", flush=True)

    cancel, restore_sigint = cancel_on_ctrl_c("stopping after the current table")
    try:
        report = run_maintenance(
            settings,
            dry_run=args.dry_run,
            backup=not args.skip_backup,
            cancel=cancel,
            progress=progress,
        )
    finally:
        restore_sigint()
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "done": report.done,
                "notes": report.notes,
                "errors": report.errors,
                "heartbeat": report.heartbeat(),
            }
        )
    else:
        for note in report.notes:
            print(paint(f"note: {note}", YELLOW, sys.stdout, no_color))
    if report.ok:
        if not args.json:
            print(paint(report.heartbeat(), GREEN, sys.stdout, no_color))
        return 0
    if not args.json:
        print(paint(report.heartbeat(), RED, sys.stderr, no_color), file=sys.stderr)
    if cancel.is_set():
        return EXIT_CANCELLED
    return EXIT_LOCKED if report.locked else EXIT_FAILED
