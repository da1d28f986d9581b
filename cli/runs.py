"""`lakeconsole runs`: the run history with what started each run and its end-to-end latency
(OPS-09); `lakeconsole runs RUN_ID`: one run's step timeline, counts, warnings and error."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from lakeconsole.cli.lake_use import on_object_storage, reads_only
from lakeconsole.cli.output import error, print_json, table
from lakeconsole.core.runs import RunRecord

if TYPE_CHECKING:
    from lakeconsole.core.run_trends import RunSteps, StepGrowth
from lakeconsole.core.settings import Settings

COMMAND = "runs"
ORDER = 11
HELP = "list recent runs with their status, trigger and end-to-end latency"
DESCRIPTION = """\
List recent pipeline runs, newest first: status, what started it (trigger: cli, console,
auto-run; '—' for a run recorded before runs said), duration, records processed and the
end-to-end latency (start of bronze to end of gold). A run whose process died shows as
'aborted'. With a run id: that run's steps on a timeline, their counts, warnings and error.
With --steps: how long each step took in each succeeded run, oldest first, beside the run's
end-to-end latency, and the step of the newest run that grew most over its median of the runs
before it: where a latency creep comes from."""
EPILOG = """\
examples:
  lakeconsole runs --limit 5
  lakeconsole runs --steps --limit 30
  lakeconsole runs --steps --json | jq '.grew'"""

LINE_WIDTH = 80  # a run's lines fit a small terminal
TIMELINE_WIDTH = 32  # the bars, leaving room for the step's name and its counts

STEPS_READ = 200  # run records read for --steps (core.upkeep.RUNS_CHECKED)

lake_use = reads_only
object_storage = on_object_storage


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", metavar="RUN_ID", help="show this run, step by step")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="how many runs (default 20)")
    p.add_argument(
        "--steps",
        action="store_true",
        help="per-step durations of the last N succeeded runs beside their end-to-end latency",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.runs import load_runs
    from lakeconsole.core.storage import state_home

    if args.run_id:
        return show_one(args.run_id, settings, args.json)
    problems: list[str] = []
    # --steps counts succeeded runs: read as many records as the latency watch does.
    records = load_runs(
        state_home(settings), limit=STEPS_READ if args.steps else args.limit, problems=problems
    )
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.steps:
        from lakeconsole.core.run_trends import step_tables

        return show_steps(records, args.limit, args.json, step_tables(settings))
    if args.json:
        print_json([r.to_json() for r in records])
        return 0
    if not records:
        print("No runs yet. Start one with: lakeconsole run")
        return 0
    print(runs_table(records, time.time()))
    return 0


def runs_table(records: list[RunRecord], now: float) -> str:
    from lakeconsole.core.run_timeline import run_duration, seconds, started_text, trigger_text
    from lakeconsole.core.units import count

    rows = [
        [
            started_text(r),
            r.status,
            trigger_text(r),
            seconds(run_duration(r, now)) or "-",
            count(r.records_processed),
            f"{r.latency_s:.2f}s" if r.latency_s is not None else "-",
            r.run_id,
            (r.error or "")[:60],
        ]
        for r in records
    ]
    headers = ["started", "status", "trigger", "took", "records", "latency", "run id", "error"]
    return table(rows, headers)


def show_one(run_id: str, settings: Settings, as_json: bool) -> int:
    from lakeconsole.core.exit_codes import USAGE
    from lakeconsole.core.runs import NotARunRecord, load_run
    from lakeconsole.core.storage import state_home

    try:
        record = load_run(state_home(settings), run_id)
    except NotARunRecord as exc:
        error(f"✗ run {run_id}: not a run record ({exc})")
        return USAGE
    if record is None:
        error(f"✗ No run '{run_id}'. `lakeconsole runs` lists the run ids")
        return USAGE
    if as_json:
        print_json(record.to_json())
    else:
        print(one_run_text(record, time.time()))
    return 0


def one_run_text(record: RunRecord, now: float) -> str:
    from lakeconsole.core.run_timeline import (
        MARKS,
        axis,
        axis_span,
        engines_line,
        fit,
        run_summary,
        timeline,
    )

    lines = [f"run {record.run_id}: {record.status}", run_summary(record, now)]
    lines += [line for line in [engines_line(record)] if line] + [""]
    rows = timeline(record, TIMELINE_WIDTH, now)
    name_width = max([len(r.step) for r in rows] + [4])
    for row in rows:
        head = f"{MARKS.get(row.state, '?')} {row.step.ljust(name_width)} {row.bar} "
        head += f"{row.duration.rjust(6)}  "
        # The whole error is printed below: its line here only has to say which it is.
        lines.append((head + fit(row.counts or row.note, LINE_WIDTH - len(head))).rstrip())
    lines.append(f"  {' ' * name_width} {axis(axis_span(record, now), TIMELINE_WIDTH)}")
    for warning in record.warnings:
        lines.append(f"warning: {warning}")
    failed = [s for s in record.steps if s.error]
    if record.error:
        lines.append(f"error: {record.error}")
    for step in failed:
        for detail in (step.detail or "").splitlines():
            lines.append(f"  {detail}")
    if record.failed_step:
        lines.append(f"re-run from the failed step: lakeconsole run --from {record.failed_step}")
    return "\n".join(lines)


def show_steps(
    records: list[RunRecord], limit: int, as_json: bool, tables: dict[str, tuple[str, ...]]
) -> int:
    """The per-step durations of the newest `limit` succeeded runs, and the step that grew."""
    from lakeconsole.core.run_trends import step_durations, step_that_grew

    trend = step_durations(records, limit)
    grew = step_that_grew(trend)
    latency = {r.run_id: r.latency_s for r in records}
    if as_json:
        print_json(
            {
                "runs": [
                    {
                        "run_id": run.run_id,
                        "started_at": run.started_at,
                        "latency_s": latency.get(run.run_id),
                        "steps": dict(run.steps),
                    }
                    for run in trend
                ],
                "grew": None
                if grew is None
                else {
                    "step": grew.step,
                    "last_s": grew.last_s,
                    "usual_s": grew.usual_s,
                    "grew_s": grew.grew_s,
                    "tables": list(tables.get(grew.step, ())),
                },
            }
        )
        return 0
    if not trend:
        print("No succeeded runs yet. Start one with: lakeconsole run")
        return 0
    print(steps_table(trend, latency))
    print(grew_line(grew, len(trend), tables))
    return 0


def steps_table(trend: list[RunSteps], latency: dict[str, float | None]) -> str:
    """One row per run, oldest first: started, each step's seconds, the end-to-end latency."""
    from lakeconsole.core.run_timeline import seconds

    names = [name for name, _ in trend[0].steps]
    rows = []
    for run in trend:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.started_at))
        took = [seconds(s) or "-" for _, s in run.steps]
        rows.append([started, *took, seconds(latency.get(run.run_id)) or "-"])
    return table(rows, ["started", *names, "end-to-end"])


def grew_line(grew: StepGrowth | None, runs: int, tables: dict[str, tuple[str, ...]]) -> str:
    from lakeconsole.core.run_timeline import seconds

    if runs < 2:
        return "One succeeded run: no step to compare yet"
    if grew is None:
        return f"No step of the newest run took longer than its median of the {runs - 1} before"
    mine = tables.get(grew.step, ())
    advice = (
        "; its tables: " + ", ".join(f"`lakeconsole optimize {t}`" for t in mine) if mine else ""
    )
    return (
        f"grew most: {grew.step}, {seconds(grew.last_s)} in the newest run against a median of "
        f"{seconds(grew.usual_s)} of the {runs - 1} before (+{seconds(grew.grew_s)}){advice}"
    )
