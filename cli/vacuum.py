"""`lakeconsole vacuum`: the OPS-03 vacuum, dry run first, confirmed, recorded."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from lakeconsole.cli.interrupt import cancel_on_ctrl_c
from lakeconsole.cli.lake_use import LakeUse, on_object_storage
from lakeconsole.cli.output import DIM, GREEN, YELLOW, error, paint, print_json
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import CANCELLED, FAILED, OK, REFUSED, USAGE
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.maintenance.vacuum import VacuumPlan, VacuumResult

COMMAND = "vacuum"
ORDER = 40
HELP = "delete old file versions of Delta tables (dry run, then confirm)"
DESCRIPTION = """\
VACUUM one table or all of them (OPS-03). First lists the files and bytes that would go (a dry
run), then asks to confirm. The retention (VACUUM_RETENTION_HOURS, default 168 h = 7 days) is
always passed explicitly; below 168 h is refused unless --force --reason TEXT, and who forced it
and why go to logs/app.log. Only data files are deleted: a README or any other file in a table
folder is kept, in --full mode too. Crash leftovers (unreferenced or partial parquet files of a
killed write) are removed once older than the retention. Every vacuum is recorded."""
EPILOG = f"""\
{exit_codes.epilog(OK, FAILED, USAGE, REFUSED, CANCELLED)}
examples:
  lakeconsole vacuum --dry-run                 what a vacuum of every table would delete
  lakeconsole vacuum silver/sales_orders       one table, asks to confirm
  lakeconsole vacuum --yes                     every table, no question (cron)
  lakeconsole vacuum gold/sales/daily_revenue --retention-hours 0 --force \\
      --reason "purging rows loaded by mistake" --yes"""

LISTED_FILES = 30  # per table; the totals are always complete


READ_ONLY_FORMS = ("vacuum --dry-run",)
object_storage = on_object_storage


def lake_use(args: argparse.Namespace) -> LakeUse:
    return "reads" if args.dry_run else "writes"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "table",
        nargs="?",
        default="all",
        help="a table as the lake names it (silver/sales_orders), or all (default)",
    )
    p.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    p.add_argument(
        "--retention-hours",
        type=int,
        metavar="H",
        help="keep this many hours of history (default: VACUUM_RETENTION_HOURS)",
    )
    p.add_argument("--force", action="store_true", help="allow a retention under 168 h (OPS-03)")
    p.add_argument("--reason", default="", metavar="TEXT", help="why you force it (logged)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask to confirm")
    p.add_argument(
        "--full",
        action="store_true",
        help="also delete data files unreferenced since before the last checkpoint",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def plan_lines(plans: list[VacuumPlan], no_color: bool, listed: int = LISTED_FILES) -> list[str]:
    """The dry-run listing: per table its files (kind, size) and totals, and its flags."""
    from lakeconsole.core.maintenance.tables import MIN_RETENTION_HOURS, RETENTION_PROPERTY
    from lakeconsole.core.units import human_bytes

    out = sys.stdout
    lines: list[str] = []
    for plan in plans:
        lines.append(plan.summary())
        for f in plan.files[:listed]:
            lines.append(
                paint(f"    {f.path}  {human_bytes(f.bytes)}  ({f.kind})", DIM, out, no_color)
            )
        if len(plan.files) > listed:
            lines.append(f"    … and {len(plan.files) - listed} more file(s)")
        for kept in plan.kept:
            lines.append(f"    keeps {kept}: not a data file")
        if plan.retention_flagged:
            lines.append(
                paint(
                    f"    warning: {RETENTION_PROPERTY} is {plan.table_retention_hours:g} h, under "
                    f"{MIN_RETENTION_HOURS} h (OPS-03); lakeconsole passes {plan.retention_hours} h"
                    " explicitly, other tools may not",
                    YELLOW,
                    out,
                    no_color,
                )
            )
    total_files = sum(len(p.files) for p in plans)
    total_bytes = sum(p.bytes for p in plans)
    lines.append(
        f"total: {total_files} file(s), {human_bytes(total_bytes)} in {len(plans)} table(s)"
    )
    return lines


def plan_json(plan: VacuumPlan) -> dict[str, object]:
    return {
        "table": plan.name,
        "retention_hours": plan.retention_hours,
        "forced": plan.forced,
        "table_retention_hours": plan.table_retention_hours,
        "retention_flagged": plan.retention_flagged,
        "files": [{"path": f.path, "bytes": f.bytes, "kind": f.kind} for f in plan.files],
        "bytes": plan.bytes,
        "kept": list(plan.kept),
    }


def result_json(result: VacuumResult) -> dict[str, object]:
    return {
        "table": result.name,
        "files": result.files,
        "bytes": result.bytes,
        "leftovers": result.leftovers,
        "retention_hours": result.retention_hours,
        "forced": result.forced,
        "reason": result.reason,
        "user": result.user,
        "at": result.at,
    }


def confirm(question: str) -> bool:
    """Ask on stderr (stdout stays clean for --json), read the answer from the terminal."""
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.explorer.table import TableNotFound, resolve_tables
    from lakeconsole.core.maintenance.vacuum import VacuumRefused, plan_tables
    from lakeconsole.core.runner import describe_error
    from lakeconsole.core.units import human_bytes

    no_color = "NO_COLOR" in settings.raw
    if args.reason and not args.force:
        error("--reason goes with --force: add --force, or drop --reason", no_color)
        return USAGE
    try:
        tables = resolve_tables(settings.lake_root, args.table)
        plans = plan_tables(
            tables,
            settings,
            args.retention_hours,
            force=args.force,
            reason=args.reason,
            full=args.full,
        )
    except TableNotFound as exc:
        error(str(exc), no_color)
        return USAGE
    except VacuumRefused as exc:
        error(str(exc), no_color)
        return REFUSED
    except Exception as exc:  # an unreadable table (delta-rs error): one line, details in the log
        logging.getLogger("lakeconsole.maintenance").exception("vacuum dry run failed")
        error(f"✗ VACUUM failed: {describe_error(exc)} (details in logs/app.log)", no_color)
        return FAILED
    if not plans:
        print("No tables in the lake yet: nothing to vacuum.")
        return OK
    if not args.json:
        print("\n".join(plan_lines(plans, no_color)))
    if args.dry_run:
        if args.json:
            print_json({"dry_run": True, "plans": [plan_json(p) for p in plans]})
        return OK
    files = sum(len(p.files) for p in plans)
    # Nothing to delete still runs: the vacuum is recorded, so the table is no longer overdue.
    if files and not args.yes:
        if not sys.stdin.isatty():
            if args.json:
                print_json({"dry_run": True, "plans": [plan_json(p) for p in plans]})
            error(
                f"VACUUM not run: it would delete {files} file(s). Confirm with --yes "
                "(no terminal to ask on).",
                no_color,
            )
            return REFUSED
        total = human_bytes(sum(p.bytes for p in plans))
        if not confirm(f"Delete {files} file(s), {total}?"):
            print("Nothing deleted.")
            return REFUSED
    return _execute(plans, settings, args.json, no_color)


def _execute(plans: list[VacuumPlan], settings: Settings, as_json: bool, no_color: bool) -> int:
    from lakeconsole.core.lock import RunLocked
    from lakeconsole.core.maintenance.vacuum import VacuumRefused, vacuum_tables
    from lakeconsole.core.runner import describe_error

    def progress(done: int, total: int, what: str) -> None:
        if not as_json and what != "done":
            print(f"[{done + 1}/{total}] vacuum {what}", flush=True)

    cancel, restore_sigint = cancel_on_ctrl_c("stopping after the current table")
    try:
        results = vacuum_tables(plans, settings, progress=progress, cancel=cancel)
    except RunLocked as exc:  # refused: nothing changed (exit 75), not failed
        error(f"✗ VACUUM refused: {describe_error(exc)}", no_color)
        return REFUSED
    except VacuumRefused as exc:  # its message starts "VACUUM refused"
        error(f"✗ {describe_error(exc)}", no_color)
        return REFUSED
    except Exception as exc:  # a delta-rs error: one line, details in the log
        logging.getLogger("lakeconsole.maintenance").exception("vacuum failed")
        error(f"✗ VACUUM failed: {describe_error(exc)} (details in logs/app.log)", no_color)
        return FAILED
    finally:
        restore_sigint()
    if as_json:
        print_json(
            {
                "dry_run": False,
                "results": [result_json(r) for r in results],
                "cancelled": len(results) < len(plans),
            }
        )
    else:
        for r in results:
            print(paint(f"✓ {r.summary()}", GREEN, sys.stdout, no_color))
    if len(results) < len(plans):
        error(f"cancelled: {len(plans) - len(results)} table(s) not vacuumed", no_color)
        return CANCELLED
    return OK
