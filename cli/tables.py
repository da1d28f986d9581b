"""`lakeconsole tables`: every Delta table of the lake with its size, version and flags."""

from __future__ import annotations

import argparse

from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import YELLOW, paint, print_json, table
from lakeconsole.core.exit_codes import OK
from lakeconsole.core.settings import Settings
from lakeconsole.core.small_files import SMALL_FILE_BYTES, SMALL_FILES_MIN_COUNT
from lakeconsole.core.units import human_bytes

COMMAND = "tables"
ORDER = 20
HELP = "list the lake's Delta tables: version, rows, files, size, schema version, flags"
DESCRIPTION = f"""\
List every Delta table under the data dir by layer (bronze, silver, gold, quarantine, the
engine's own tables): current version, rows, files and size (from the Delta log, no data is
read), last commit time, schema version (OPS-06) and flags to act on:
  many small files   more than {SMALL_FILES_MIN_COUNT} files beyond one per partition,
                     averaging under {human_bytes(SMALL_FILE_BYTES)}: run 'lakeconsole optimize'
  retention < 168 h  delta.deletedFileRetentionDuration below the runbook's 7 days (OPS-03)
  vacuum overdue     no vacuum within VACUUM_INTERVAL_DAYS on a table older than that"""
EPILOG = """\
examples:
  lakeconsole tables
  lakeconsole tables --json"""


lake_use = reads_only
object_storage = on_object_storage


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    import sys

    from lakeconsole.core.explorer.catalog import lake_tables

    summaries = lake_tables(settings)
    if args.json:
        print_json([s.to_json() for s in summaries])
        return OK
    if not summaries:
        print(f"No Delta tables in {settings.lake_name} yet. Fill the lake with: lakeconsole run")
        return OK
    no_color = "NO_COLOR" in settings.raw
    rows = []
    for s in summaries:
        if s.error:
            rows.append(
                [
                    s.layer,
                    s.name,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    paint("unreadable: " + s.error, YELLOW, sys.stdout, no_color),
                ]
            )
            continue
        rows.append(
            [
                s.layer,
                s.name,
                str(s.version),
                "?" if s.rows is None else f"{s.rows:,}",
                str(s.files),
                human_bytes(s.size_bytes),
                s.last_commit_local,
                s.schema_version or "",
                paint("; ".join(s.flags), YELLOW, sys.stdout, no_color) if s.flags else "",
            ]
        )
    print(
        table(
            rows,
            [
                "layer",
                "table",
                "version",
                "rows",
                "files",
                "size",
                "last commit",
                "schema",
                "flags",
            ],
        )
    )
    return OK
