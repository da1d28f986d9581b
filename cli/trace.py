"""`lakeconsole trace`: where a gold number came from, down to the landing file lines."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import error, print_json, table
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import FAILED, OK, USAGE
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.lineage.trace import SilverRows, Trace

COMMAND = "trace"
ORDER = 26
HELP = "where a gold row came from: its silver rows, their landing file:line, superseded lines"
DESCRIPTION = """\
Name a row of a gold table by its key (every key column as KEY=VALUE) and see the silver rows
that make it up, each with the landing file and line number it came from; then, for the same
silver keys, the lines a later line superseded (still in bronze) and the lines quarantined with
the rule they failed (and the quarantined lines that would have counted in the gold row, typed
and derived as silver does, though their key never reached silver).

The silver rows are found from the pipeline's declaration: a gold table groups the rows of the
silver tables it reads (reads=[...]) by its key columns, so the rows are those with the gold
row's values in the key columns silver also has. A key column the gold function computes
(not a silver column) is said so: the rows shown are then all those of the other key columns.
A gold table written by a custom @pipeline.step cannot be traced (its Python is not read).

--version reads the gold table at that version and the other tables as they were when it was
committed. Reads prune by partition and statistics (one day of silver; the bronze files and row
groups whose key range can hold the keys) and read the key columns first. Works on a lake on S3
(--data-dir s3://bucket/lake) as on disk."""
EPILOG = f"""\
{exit_codes.epilog(OK, FAILED, USAGE)}
examples:
  lakeconsole trace gold/sales/daily_revenue order_date=2024-01-05 region=west \\
      product_id=P0042 currency=EUR
  lakeconsole trace gold/product/daily_active_users event_date=2024-03-10 platform=web --limit 50
  lakeconsole trace gold/product/daily_funnel event_date=2024-03-10 step=purchase \\
      --version 3 --json"""

lake_use = reads_only
object_storage = on_object_storage  # an s3:// lake is read through core.storage's Location


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", metavar="TABLE", help="a gold table (gold/<mart>/<table>)")
    p.add_argument(
        "keys",
        nargs="*",
        metavar="KEY=VALUE",
        help="each key column of the row with its value (the error names the keys to give)",
    )
    p.add_argument(
        "--version", type=int, metavar="N", help="the gold table's version (default: latest)"
    )
    p.add_argument(
        "--limit", type=int, default=20, metavar="N", help="silver rows per page (default 20)"
    )
    p.add_argument(
        "--offset", type=int, default=0, metavar="N", help="silver rows to skip (next page)"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print {gold, version, key, row, silver: [{table, matched_on, total, rows, "
        "superseded, quarantined, notes}], seconds}",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.dag import PipelineError
    from lakeconsole.core.explorer.table import ExplorerError, TableNotFound
    from lakeconsole.core.lineage.plan import TraceError
    from lakeconsole.core.lineage.trace import parse_keys, trace_row

    if args.limit < 1 or args.offset < 0:
        error("✗ --limit is at least 1 and --offset at least 0")
        return USAGE
    try:
        found = trace_row(
            settings,
            args.table,
            parse_keys(args.keys),
            version=args.version,
            limit=args.limit,
            offset=args.offset,
        )
    except (TraceError, TableNotFound) as exc:
        error(f"✗ {exc}")
        return USAGE
    except (ExplorerError, PipelineError) as exc:
        error(f"✗ {exc}")
        return FAILED
    if args.json:
        print_json(found.as_dict())
        return OK
    print_trace(found, args)
    return OK


def print_trace(found: Trace, args: argparse.Namespace) -> None:
    from lakeconsole.core.explorer.version import cell_text

    print(f"{found.gold} version {found.version}: {found.key_text()}")
    print("  " + " · ".join(f"{k} {cell_text(v, 30)}" for k, v in found.measures().items()))
    for note in found.notes:
        print(f"  note: {note}")
    for silver in found.silver:
        print()
        _print_silver(silver, args)
    print(f"\ntraced in {found.seconds:.2f} s")


def _print_silver(silver: SilverRows, args: argparse.Namespace) -> None:
    from lakeconsole.core.explorer.version import cell_text
    from lakeconsole.core.lineage.text import key_text, line_text, shown

    where = key_text(silver.matched_on, list(silver.matched_on))
    n = silver.rows.num_rows
    span = f"{silver.offset + 1}-{silver.offset + n}" if n else "none"
    print(f"{silver.table} where {where}: {silver.total:,} row(s), {span} shown")
    for note in silver.notes:
        print(f"  note: {note}")
    columns = silver.shown_columns()
    rows = [
        [
            line_text(r["_source_file"], r["_source_row"]),
            *(cell_text(shown(r[c]), 20) for c in columns),
        ]
        for r in silver.rows.to_pylist()
    ]
    if rows:
        print(_indent(table(rows, ["landing line", *columns])))
    if silver.offset + n < silver.total:
        keys = " ".join(args.keys)
        print(
            f"  next page: lakeconsole trace {args.table} {keys} --offset {silver.offset + n} "
            f"--limit {args.limit}"
        )
    print(f"superseded in {silver.bronze}: {_count(silver.superseded.num_rows)}")
    superseded = [
        [
            line_text(r["_source_file"], r["_source_row"]),
            key_text(r, silver.key),
            f"replaced by {line_text(r['by_file'], r['by_row'])}",
        ]
        for r in silver.superseded.to_pylist()
    ]
    if superseded:
        print(_indent(table(superseded, ["landing line", "key", ""])))
    print(
        f"quarantined in {silver.quarantine or 'no quarantine'}: "
        f"{_count(silver.quarantined.num_rows)}"
    )
    quarantined = [
        [
            line_text(r["_source_file"], r["_source_row"]),
            key_text(r, silver.key),
            str(r.get("rule") or ""),
            cell_text(r.get("detail"), 50),
        ]
        for r in silver.quarantined.to_pylist()
    ]
    if quarantined:
        print(_indent(table(quarantined, ["landing line", "key", "rule", "detail"])))


def _count(n: int) -> str:
    return f"{n:,} line(s)" if n else "none"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
