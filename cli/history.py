"""`lakeconsole history`: a Delta table's commits, newest first."""

from __future__ import annotations

import argparse

from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import error, print_json, table
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import FAILED, OK, USAGE
from lakeconsole.core.settings import Settings

COMMAND = "history"
ORDER = 21
HELP = "show a Delta table's commits newest first (lake table name or any Delta table path)"
DESCRIPTION = """\
One row per commit, newest first: version, local time, operation, its key parameters, rows and
files added/removed, and the schema version from the commit's userMetadata (OPS-06).
TABLE is a lake table name (silver/sales_orders, or just sales_orders when unique) or the path of
any Delta table (Spark, Databricks, delta-rs). Only the commit files shown are read, so a table
with 10,000 commits lists as fast as one with ten."""
EPILOG = f"""\
{exit_codes.epilog(OK, FAILED, USAGE)}
examples:
  lakeconsole history silver/sales_orders
  lakeconsole history /data/spark/events --limit 5
  lakeconsole history gold/sales/daily_revenue --before 120     commits older than version 120
  lakeconsole history silver/sales_orders --json"""


lake_use = reads_only
object_storage = on_object_storage


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", metavar="TABLE", help="lake table name or path to a Delta table")
    p.add_argument(
        "--limit", type=int, default=20, metavar="N", help="how many commits (default 20)"
    )
    p.add_argument(
        "--before", type=int, metavar="VERSION", help="start below this version (the next page)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.explorer.history import history_page
    from lakeconsole.core.explorer.table import (
        ExplorerError,
        TableNotFound,
        resolve_table,
        table_name,
    )

    if args.limit < 1:
        error("--limit must be 1 or more")
        return USAGE
    try:
        path = resolve_table(args.table, settings.lake_root)
        page = history_page(path, before=args.before, limit=args.limit)
    except ExplorerError as exc:
        error(str(exc))
        return USAGE if isinstance(exc, TableNotFound) else FAILED
    name = table_name(settings.lake_root, path)
    if args.json:
        print_json(
            {
                "table": name,
                "path": str(path),
                "latest": page.latest,
                "next_before": page.next_before,
                "commits": [c.to_json() for c in page.commits],
            }
        )
        return OK
    rows = [
        [
            str(c.version),
            c.local_time,
            c.operation,
            _cut(c.key_parameters(), 50),
            c.metrics_line(),
            c.schema_version or "",
        ]
        for c in page.commits
    ]
    print(f"{name}  (latest version {page.latest})")
    print(table(rows, ["version", "time", "operation", "parameters", "changes", "schema"]))
    if page.next_before is not None:
        print(f"older commits: lakeconsole history {args.table} --before {page.next_before}")
    return OK


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
