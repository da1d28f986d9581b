"""`lakeconsole runs`: the run history with end-to-end latency (OPS-09)."""

from __future__ import annotations

import argparse
import sys
import time

from lakeconsole.cli.lake_use import reads_only
from lakeconsole.cli.output import print_json, table
from lakeconsole.core.settings import Settings

COMMAND = "runs"
ORDER = 11
HELP = "list recent runs with their status and end-to-end latency"
DESCRIPTION = """\
List recent pipeline runs, newest first: status, records processed and the end-to-end
latency (start of bronze to end of gold). A run whose process died shows as 'aborted'."""


lake_use = reads_only


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=20, metavar="N", help="how many runs (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.runs import load_runs

    problems: list[str] = []
    records = load_runs(settings.state_dir, limit=args.limit, problems=problems)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.json:
        print_json([r.to_json() for r in records])
        return 0
    if not records:
        print("No runs yet. Start one with: lakeconsole run")
        return 0
    rows = [
        [
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started_at)),
            r.status,
            str(r.records_processed),
            f"{r.latency_s:.2f}s" if r.latency_s is not None else "-",
            r.run_id,
            (r.error or "")[:60],
        ]
        for r in records
    ]
    print(table(rows, ["started", "status", "records", "latency", "run id", "error"]))
    return 0
