"""`lakeconsole optimize`: compact small files, optionally Z-ORDER (OPS-09's remedy)."""

from __future__ import annotations

import argparse
import sys

from lakeconsole.cli.lake_use import on_object_storage
from lakeconsole.cli.output import GREEN, error, paint, print_json
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import FAILED, OK, REFUSED, USAGE
from lakeconsole.core.settings import Settings

COMMAND = "optimize"
ORDER = 41
HELP = "compact a table's small files, optionally Z-ORDER by the pipeline's columns"
DESCRIPTION = """\
OPTIMIZE one table or all of them: small files are compacted into larger ones; with --zorder the
rows are also ordered by the Z-ORDER columns the pipeline definition names for each table. Shows
files and sizes before and after. The replaced files stay until a VACUUM removes them. A table
whose writer features delta-rs cannot write (see 'lakeconsole features') is refused (exit 75)."""
EPILOG = f"""\
{exit_codes.epilog(OK, FAILED, USAGE, REFUSED)}
examples:
  lakeconsole optimize                          compact every table
  lakeconsole optimize silver/sales_orders --zorder"""

object_storage = on_object_storage


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "table",
        nargs="?",
        default="all",
        help="a table as the lake names it (silver/sales_orders), or all (default)",
    )
    p.add_argument(
        "--zorder", action="store_true", help="Z-ORDER by the columns the pipeline definition names"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.explorer.table import TableNotFound, resolve_tables
    from lakeconsole.core.lock import RunLocked
    from lakeconsole.core.maintenance.optimize import optimize_tables
    from lakeconsole.core.runner import describe_error
    from lakeconsole.core.table_features import WritesRefused

    no_color = "NO_COLOR" in settings.raw
    try:
        tables = resolve_tables(settings.lake_root, args.table)
    except TableNotFound as exc:
        error(str(exc), no_color)
        return USAGE

    def progress(done: int, total: int, what: str) -> None:
        if not args.json and what != "done":
            print(f"[{done + 1}/{total}] optimize {what}", flush=True)

    try:
        results = optimize_tables(tables, settings, args.zorder, progress=progress)
    except RunLocked as exc:
        error(f"✗ OPTIMIZE refused: {describe_error(exc)}", no_color)
        return REFUSED
    except WritesRefused as exc:
        error(f"✗ {exc}", no_color)
        return REFUSED
    except Exception as exc:  # delta-rs: one line, the traceback in app.log
        import logging

        logging.getLogger("lakeconsole.maintenance").exception("optimize failed")
        error(f"✗ OPTIMIZE failed: {describe_error(exc)} (details in logs/app.log)", no_color)
        return FAILED
    if args.json:
        print_json(
            [
                {
                    "table": r.name,
                    "zorder_by": list(r.zorder_by),
                    "note": r.note,
                    "files_before": r.before.files,
                    "bytes_before": r.before.bytes,
                    "files_after": r.after.files,
                    "bytes_after": r.after.bytes,
                }
                for r in results
            ]
        )
    elif not results:
        print("No tables in the lake yet: nothing to optimize.")
    for r in results if not args.json else []:
        print(paint(f"✓ {r.summary()}", GREEN, sys.stdout, no_color))
    return OK
