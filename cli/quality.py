"""`lakeconsole quality`: the share of lines each rule rejected, run after run, per silver table;
and the quarantined lines of one rule with the landing file and line they came from."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import error, print_json, table
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import FAILED, OK, USAGE
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.quality import QualityRecord

COMMAND = "quality"
ORDER = 25
HELP = (
    "data quality over runs: lines rejected per rule and table, trend, a rule's quarantined lines"
)
DESCRIPTION = """\
Every run records, per silver table and rule, the lines it checked and the lines it rejected
(a line counts under the first rule it failed, as quarantine records it). This shows, for the last
--runs runs that checked lines: each rule's rejected share in the latest run, its trend (oldest →
newest, scaled to its largest share), its declared thresholds, WARN or FAIL when the latest run
went above one, and whether it is rising (above the median of the runs before). With --rule, the
quarantined lines of that rule, a page at a time, with their landing file and line number."""
EPILOG = f"""\
{exit_codes.epilog(OK, FAILED, USAGE)}
examples:
  lakeconsole quality
  lakeconsole quality silver/sales_orders --runs 30
  lakeconsole quality silver/sales_orders --rule qty_invalid --limit 20
  lakeconsole quality --json | jq '.rules[] | select(.rising)'"""

lake_use = reads_only
object_storage = on_object_storage  # the ledger in the bucket's _lakeconsole/


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", nargs="?", metavar="TABLE", help="a silver table (default: all)")
    p.add_argument("--runs", type=int, default=10, help="how many recent runs (default 10)")
    p.add_argument("--rule", help="show the quarantined lines of this rule")
    p.add_argument("--limit", type=int, default=20, help="lines per page with --rule (20)")
    p.add_argument("--offset", type=int, default=0, help="lines to skip with --rule")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.quality import lake_quality, sparkline, trends

    if args.runs < 1:
        error("✗ --runs must be at least 1")
        return USAGE
    records = lake_quality(settings, _table_name(args.table))
    if args.table and not records:
        error(
            f"✗ no quality records for {args.table}: a silver table name (`lakeconsole quality` "
            "lists them) whose runs checked lines since quality was recorded"
        )
        return USAGE
    if args.rule:
        return _rule_page(args, settings, records)
    found = trends(records, args.runs)
    if args.json:
        print_json(
            {
                "runs": args.runs,
                "tables": sorted({r.table for r in records}),
                "rules": [
                    {
                        "table": t.table,
                        "rule": t.rule,
                        "shares": t.shares,
                        "rejected": t.rejected,
                        "checked": t.checked,
                        "rising": t.rising,
                        "warn_above": t.threshold.warn_above if t.threshold else None,
                        "fail_above": t.threshold.fail_above if t.threshold else None,
                        "breached": t.breached or None,
                    }
                    for t in found
                ],
            }
        )
        return OK
    if not records:
        print(
            "No quality records yet: a run that checks landing lines writes them (lakeconsole run)"
        )
        return OK
    for name in sorted({r.table for r in records}):
        held = [r for r in records if r.table == name][-args.runs :]
        checked = sum(r.checked for r in held)
        print(
            f"{name}: {len(held)} run(s), {checked:,} lines checked, "
            f"quarantine in {held[-1].quarantine}"
        )
        rows = [
            [
                t.rule,
                f"{t.last:.2%} ({t.rejected[-1]:,})",
                sparkline(t.shares),
                t.threshold.text() if t.threshold else "",
                " ".join(w for w in (t.breached.upper(), "rising" if t.rising else "") if w),
            ]
            for t in found
            if t.table == name
        ]
        if rows:
            print(table(rows, ["rule", "last run", "trend", "thresholds", ""]))
        else:
            print("  no line rejected in these runs")
        stopped = [r.run_id for r in held if r.stopped]
        if stopped:
            print(f"  stopped on a fail_above in run(s): {', '.join(stopped)}")
    print("a rule's quarantined lines: lakeconsole quality TABLE --rule RULE")
    return OK


def _table_name(given: str | None) -> str | None:
    return given.strip().rstrip("/") if given else None


def _rule_page(args: argparse.Namespace, settings: Settings, records: list[QualityRecord]) -> int:
    from lakeconsole.core.explorer.table import ExplorerError
    from lakeconsole.core.explorer.version import text_rows
    from lakeconsole.core.quality import quarantined_page

    if not records:
        error("✗ no quality records yet: run the pipeline first (lakeconsole run)")
        return USAGE
    quarantines = sorted({r.quarantine for r in records})
    if len(quarantines) > 1:
        error(
            "✗ --rule needs one table: name it (one of "
            f"{', '.join(sorted({r.table for r in records}))})"
        )
        return USAGE
    try:
        page = quarantined_page(settings, quarantines[0], args.rule, args.offset, args.limit)
    except ExplorerError as exc:
        error(str(exc))
        return FAILED
    shown = page.table.select(
        [c for c in ("_source_file", "_source_row", "detail") if c in page.table.column_names]
    )
    if args.json:
        print_json(
            {
                "quarantine": quarantines[0],
                "rule": args.rule,
                "offset": page.offset,
                "matching": page.total_rows,
                "rows": page.table.to_pylist(),
            }
        )
        return OK
    n = shown.num_rows
    if not page.total_rows and not args.offset:
        rules = sorted({rule for r in records for rule in r.rejected})
        print(
            f"no line of rule {args.rule} is quarantined in {quarantines[0]} (rules with "
            f"quarantined lines: {', '.join(rules) or 'none'})"
        )
        return OK
    print(
        f"{quarantines[0]} where rule={args.rule}: lines {page.offset + 1 if n else 0}-"
        f"{page.offset + n} of {page.total_rows or 0:,}"
    )
    if n:
        print(table(text_rows(shown, width=70), shown.column_names))
    if page.has_more:
        print(
            f"next page: lakeconsole quality {args.table or ''} --rule {args.rule} "
            f"--offset {page.offset + n} --limit {args.limit}".replace("  ", " ")
        )
    print(f"every column: lakeconsole show {quarantines[0]} --where rule={args.rule}")
    return OK
