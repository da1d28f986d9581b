"""`lakeconsole features`: what a Delta table asks of the engines that touch it."""

from __future__ import annotations

import argparse

from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import error, print_json, table
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import FAILED, OK, USAGE
from lakeconsole.core.settings import Settings

COMMAND = "features"
ORDER = 24
HELP = "show a Delta table's protocol, reader/writer features, properties and checkpoint"
DESCRIPTION = """\
The table's protocol versions, the reader and writer features it requires (Spark and Databricks
turn on deletion vectors, column mapping, v2 checkpoints...), its table properties, and its
checkpoint: the newest one, its kind, and how many commits a reader replays past it. Writer
features delta-rs cannot write are named: VACUUM, OPTIMIZE and RESTORE refuse such a table
(exit 75); run those from the engine that wrote it. In the console: `i` on the tables view."""
EPILOG = f"""\
{exit_codes.epilog(OK, FAILED, USAGE)}
examples:
  lakeconsole features silver/sales_orders
  lakeconsole features /data/spark/events --json"""

lake_use = reads_only
object_storage = on_object_storage


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", metavar="TABLE", help="lake table name or path to a Delta table")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.explorer.table import ExplorerError, TableNotFound, resolve_table
    from lakeconsole.core.table_features import table_features

    try:
        path = resolve_table(args.table, settings.lake_root)
        found = table_features(path)
    except ExplorerError as exc:
        error(str(exc))
        return USAGE if isinstance(exc, TableNotFound) else FAILED
    if args.json:
        print_json({"path": str(path), **found.to_json()})
        return OK
    print(path)
    print(table([list(r) for r in found.rows()], ["", ""]).split("\n", 1)[1])
    return OK
