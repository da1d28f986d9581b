"""`lakeconsole restore-version`: put a Delta table back to an earlier version (RESTORE)."""

from __future__ import annotations

import argparse
import sys

from lakeconsole.cli.lake_use import on_object_storage
from lakeconsole.cli.output import error, print_json
from lakeconsole.core.exit_codes import FAILED, OK, REFUSED
from lakeconsole.core.settings import Settings

COMMAND = "restore-version"
ORDER = 23
HELP = "restore a Delta table to an earlier version (commits a RESTORE, after confirmation)"
DESCRIPTION = """\
Restore a table to an earlier version. First shows what will change (rows, files, schema) and
asks for confirmation; --yes skips the question (needed when not on a terminal). The restore is
a new commit (RESTORE): the versions in between stay in the history. Refused when the version's
data files were already removed by a VACUUM, and (exit code 75) while a run, vacuum or
optimize holds the lake's lock, or when the table needs writer features delta-rs cannot write
(see 'lakeconsole features'). (Restoring the lake from a backup is
'lakeconsole restore'.)"""
EPILOG = """\
examples:
  lakeconsole restore-version silver/sales_orders 12
  lakeconsole restore-version /data/spark/events 3 --yes --json"""

object_storage = on_object_storage


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", metavar="TABLE", help="lake table name or path to a Delta table")
    p.add_argument("version", type=int, metavar="VERSION", help="the version to restore")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.explorer.restore import plan_restore, restore_version
    from lakeconsole.core.explorer.table import ExplorerError, resolve_table, table_name
    from lakeconsole.core.lock import RunLocked
    from lakeconsole.core.table_features import WritesRefused

    try:
        path = resolve_table(args.table, settings.lake_root)
        name = table_name(settings.lake_root, path)
        plan = plan_restore(path, args.version)
        if plan.missing_files:
            restore_version(plan, settings)  # raises the refusal with its explanation
        if not args.json:
            print(plan.summary(name))
        if not args.yes:
            if not sys.stdin.isatty():
                error("Not restoring: no terminal to confirm on; add --yes to restore anyway")
                return REFUSED
            if input("Restore? [y/N] ").strip().lower() not in ("y", "yes"):
                print("Not restored.")
                return REFUSED
        new_version = restore_version(plan, settings)
    except RunLocked as exc:
        error(f"✗ Restore refused: {exc}")
        return REFUSED
    except WritesRefused as exc:
        error(f"✗ {exc}")
        return REFUSED
    except ExplorerError as exc:
        error(str(exc))
        return FAILED
    if args.json:
        print_json(
            {
                "table": name,
                "restored_to": plan.target,
                "new_version": new_version,
                "plan": plan.to_json(),
            }
        )
    else:
        print(f"Restored {name} to version {plan.target}; the RESTORE is version {new_version}.")
    return OK
