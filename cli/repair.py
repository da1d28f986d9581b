"""`lakeconsole repair TABLE`: drop lost live files from a table's log (dry run first)."""

from __future__ import annotations

import argparse
import sys

from lakeconsole.cli.lake_use import LakeUse, on_object_storage
from lakeconsole.cli.output import GREEN, error, paint
from lakeconsole.core.settings import Settings

COMMAND = "repair"
ORDER = 42
HELP = "drop live files a table has lost from its log (delta-rs FSCK; --dry-run first)"
DESCRIPTION = """\
A table whose live parquet files were deleted by hand cannot be read, and every run that reads it
fails (`lakeconsole check` names it). Repair commits one FSCK that drops those files from the
table: their rows are gone from it afterwards. Restoring the files from a backup keeps the rows;
repair is for when no backup has them. --dry-run lists the files and changes nothing. The repair
takes the lake's run lock, so it never races a pipeline run."""
EPILOG = """\
exit codes: 0 done (or nothing to repair), 1 failed, 2 unknown table, 75 a run holds the lock
examples:
  lakeconsole repair silver/sales_orders --dry-run
  lakeconsole repair silver/sales_orders"""

EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 1, 2, 75
LISTED = 10


READ_ONLY_FORMS = ("repair --dry-run",)
object_storage = on_object_storage


def lake_use(args: argparse.Namespace) -> LakeUse:
    return "reads" if args.dry_run else "writes"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", metavar="TABLE", help="the table, e.g. silver/sales_orders")
    p.add_argument(
        "--dry-run", action="store_true", help="list the files repair would drop; change nothing"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.lock import RunLocked
    from lakeconsole.core.maintenance.tables import TableNotFound
    from lakeconsole.core.table_health import TableDamaged
    from lakeconsole.core.table_repair import repair_table

    no_color = "NO_COLOR" in settings.raw
    try:
        result = repair_table(settings, args.table, args.dry_run)
    except TableNotFound as exc:
        error(str(exc), no_color)
        return EXIT_USAGE
    except RunLocked as exc:
        error(f"✗ Repair refused: {exc}", no_color)
        return EXIT_LOCKED
    except TableDamaged as exc:  # a broken log: FSCK cannot help, a restore can
        error(f"✗ Repair Failed: {exc}", no_color)
        return EXIT_FAILED
    if not result.files:
        print(f"✓ {result.table}: no live file is missing; nothing to repair")
        return 0
    for rel in result.files[:LISTED]:
        print(f"  {rel}")
    if len(result.files) > LISTED:
        print(f"  … and {len(result.files) - LISTED} more")
    n = len(result.files)
    if result.dry_run:
        print(
            f"dry run: {n} missing live file(s) of {result.table} would be dropped from the "
            f"table (their rows with them); nothing changed. "
            f"To do it: lakeconsole repair {result.table}"
        )
        return 0
    print(
        paint(
            f"✓ Repair Finished: {result.table}: dropped {n} missing live file(s) from the table "
            f"(now version {result.version}); their rows are no longer in it",
            GREEN,
            sys.stdout,
            no_color,
        )
    )
    return 0
