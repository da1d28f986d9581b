"""`lakeconsole show`: one version of a Delta table (schema, schema changes, rows), or a compare."""

from __future__ import annotations

import argparse
from typing import Any

from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import error, print_json, table
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import FAILED, OK, USAGE
from lakeconsole.core.settings import Settings

COMMAND = "show"
ORDER = 22
HELP = "show one version of a Delta table: schema, changes, rows; or compare two versions by key"
DESCRIPTION = """\
Time travel: the schema of a version, what changed against the previous version's schema
(added, removed and retyped columns), and its rows, a page at a time (only the files the page
needs are read, so the first page of a 10M-row table shows at once).
With --compare OLD..NEW: rows added, removed and changed between two versions, by key, and for
a page of the changed keys (--limit, --offset; in key order) each changed column's value
before → after. The key comes from --key, else the key the pipeline declares for the table,
else a 'lakeconsole.keys' table property, else a column named 'id'."""
EPILOG = f"""\
{exit_codes.epilog(OK, FAILED, USAGE)}
examples:
  lakeconsole show silver/sales_orders                      latest version, first 20 rows
  lakeconsole show silver/sales_orders --version 3 --limit 50 --offset 100
  lakeconsole show silver/sales_orders --where order_id=1042          one order, any version
  lakeconsole show /data/spark/events --version 0 --json
  lakeconsole show silver/sales_orders --compare 3..7 --key order_id,line_no
  lakeconsole show silver/sales_orders --compare 3..7 --offset 20   the next changed keys"""


lake_use = reads_only
object_storage = on_object_storage


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", metavar="TABLE", help="lake table name or path to a Delta table")
    p.add_argument("--version", type=int, metavar="N", help="the version to show (default latest)")
    p.add_argument(
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help="rows (with --compare: changed keys) per page (default 20)",
    )
    p.add_argument(
        "--offset", type=int, default=0, metavar="N", help="skip this many rows (changed keys)"
    )
    p.add_argument(
        "--where",
        metavar="COL=VALUE",
        help="only rows where COL equals VALUE (COL~TEXT: contains TEXT, any case), "
        "counted over the whole version",
    )
    p.add_argument("--compare", metavar="OLD..NEW", help="compare two versions by key instead")
    p.add_argument("--key", metavar="COL,COL", help="key columns for --compare")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.explorer.table import (
        ExplorerError,
        KeyNeeded,
        TableNotFound,
        resolve_table,
        table_name,
    )

    if args.limit < 0 or args.offset < 0:
        error("--limit and --offset must be 0 or more")
        return USAGE
    try:
        path = resolve_table(args.table, settings.lake_root)
        name = table_name(settings.lake_root, path)
        if args.compare:
            return _compare(args, path, name, settings)
        return _show(args, path, name)
    except KeyNeeded as exc:  # the core's words are the console's too; the flag is the CLI's
        error(f"{exc}, with --key COL,COL (e.g. --key order_id,line_no)")
        return FAILED
    except ExplorerError as exc:
        error(str(exc))
        return USAGE if isinstance(exc, TableNotFound) else FAILED


def _show(args: argparse.Namespace, path: Any, name: str) -> int:
    from lakeconsole.core.explorer.filters import parse_row_filter
    from lakeconsole.core.explorer.history import to_commit
    from lakeconsole.core.explorer.log import read_commit
    from lakeconsole.core.explorer.table import open_table
    from lakeconsole.core.explorer.version import rows_page, schema_at, text_rows

    where = parse_row_filter(args.where or "")
    dt = open_table(path, args.version)
    schema = schema_at(path, dt=dt)
    page = rows_page(path, offset=args.offset, limit=args.limit, dt=dt, where=where)
    commit = to_commit(read_commit(path, schema.version))
    if args.json:
        print_json(
            {
                "table": name,
                "path": str(path),
                "version": schema.version,
                "commit": commit.to_json(),
                "columns": [c.__dict__ for c in schema.columns],
                "schema_changes": schema.diff.to_json() if schema.diff else None,
                "compared_with": schema.previous,
                "offset": page.offset,
                "total_rows": page.total_rows,
                "where": str(where) if where else None,
                "all_rows": page.all_rows if where else page.total_rows,
                "ordered": page.ordered,
                "rows": page.table.to_pylist(),
            }
        )
        return OK
    print(
        f"{name} at version {schema.version}: {commit.operation} at {commit.local_time}"
        + (f", schema {commit.schema_version}" if commit.schema_version else "")
    )
    print("\nschema:")
    print(
        table(
            [[c.name, c.type, "" if c.nullable else "not null"] for c in schema.columns],
            ["column", "type", ""],
        )
    )
    if schema.diff is None:
        print("\nschema changes: none to compare (first version, or the previous log is gone)")
    elif schema.diff.empty:
        print(f"\nschema changes since version {schema.previous}: none")
    else:
        print(f"\nschema changes since version {schema.previous}:")
        print("\n".join("  " + line for line in schema.diff.lines()))
    if args.limit == 0:
        return OK
    shown = page.table.num_rows
    total = "?" if page.total_rows is None else f"{page.total_rows:,}"
    matching = f" where {where} (of {page.all_rows:,} rows)" if where and page.all_rows else ""
    print(
        f"\nrows {page.offset + 1 if shown else page.offset}-{page.offset + shown} "
        f"of {total}{matching}:"
    )
    print(table(text_rows(page.table), page.table.column_names))
    if not page.ordered:
        print("(this table is read by delta-rs's own reader: page order can vary between reads)")
    if page.has_more:
        filtered = f" --where '{where}'" if where else ""
        print(
            f"next page: lakeconsole show {args.table} --version {schema.version}{filtered} "
            f"--offset {page.offset + shown} --limit {args.limit}"
        )
    return OK


def _compare(args: argparse.Namespace, path: Any, name: str, settings: Settings) -> int:
    from lakeconsole.core.explorer.compare import compare_versions, files_read, parse_range

    old, new = parse_range(args.compare)
    keys = [k.strip() for k in args.key.split(",") if k.strip()] if args.key else None
    result = compare_versions(
        path,
        old,
        new,
        keys,
        name=name,
        sample=args.limit,
        settings=settings,
        changed_offset=args.offset,
    )
    if args.json:
        print_json({"table": name, **result.to_json()})
        return OK
    print(f"{name}: version {old} → {new}, by key ({', '.join(result.keys)})")
    print(
        table(
            [
                ["added", f"{result.added:,}"],
                ["removed", f"{result.removed:,}"],
                ["changed", f"{result.changed:,}"],
                ["unchanged", f"{result.unchanged:,}"],
            ],
            ["rows", "count"],
        )
    )
    print(files_read(result))
    if not result.schema.empty:
        print("schema changes: " + "; ".join(result.schema.lines()))
    for kind in ("added", "removed"):
        sample = result.samples.get(kind) or []
        if sample:
            keys_text = ", ".join(
                "(" + ", ".join(str(v) for v in row.values()) + ")" for row in sample[:10]
            )
            print(f"{kind} e.g.: {keys_text}")
    _print_changed_values(args, result)
    return OK


def _print_changed_values(args: argparse.Namespace, result: Any) -> None:
    """The page of changed keys, one line per changed column: `before → after`."""
    from lakeconsole.core.explorer.compare import value_rows

    rows = result.changed_rows
    if not rows:
        return
    first = result.changed_offset + 1
    last = result.changed_offset + len(rows)
    print(f"\nchanged values, keys {first}-{last} of {result.changed:,} (in key order):")
    print(table(value_rows(rows), [*result.keys, "column", "before → after"]))
    if last < result.changed:
        key = f" --key {args.key}" if args.key else ""
        print(
            f"next page: lakeconsole show {args.table} --compare {args.compare}{key} "
            f"--offset {last} --limit {args.limit}"
        )
