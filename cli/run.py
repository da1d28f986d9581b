"""`lakeconsole run`: the pipeline headless, for cron. Ends with the OPS-09 heartbeat."""

from __future__ import annotations

import argparse
import sys

from lakeconsole.cli.interrupt import cancel_on_ctrl_c
from lakeconsole.cli.lake_use import on_object_storage
from lakeconsole.cli.output import DIM, GREEN, RED, paint, print_json
from lakeconsole.core import exit_codes
from lakeconsole.core.exit_codes import CANCELLED, FAILED, OK, REFUSED, USAGE
from lakeconsole.core.settings import Settings

COMMAND = "run"
ORDER = 10
object_storage = on_object_storage
HELP = "run the pipeline (bronze → silver → gold) headless"
DESCRIPTION = """\
Run the pipeline in DAG order. A failing step blocks every step downstream of it (OPS-01).
On success prints one green line on stdout: '✓ Pipeline Finished: Processed N records'
(N = landing rows ingested by this run) and exits 0; on failure one red line on stderr,
'✗ Pipeline Failed: <message>', and exits 1. Ctrl+C stops at the next safe point (exit 130)."""
EPILOG = f"""\
{exit_codes.epilog(OK, FAILED, USAGE, REFUSED, CANCELLED)}
examples:
  lakeconsole run                 everything
  lakeconsole run --from silver   silver and gold, on the bronze already there
  lakeconsole run --only gold_daily_revenue
  lakeconsole run --json          a machine-readable summary instead of text"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from",
        dest="start",
        metavar="LAYER_OR_STEP",
        help="start at this layer (bronze, silver, gold) or step, and run what follows",
    )
    p.add_argument("--only", metavar="STEP", help="run just this step")
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the heartbeat line")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from lakeconsole.core.dag import PipelineError
    from lakeconsole.core.events import RunStatus
    from lakeconsole.core.heartbeat import heartbeat_line
    from lakeconsole.core.lock import RunLocked
    from lakeconsole.core.pipeline import load_pipeline
    from lakeconsole.core.runner import run_pipeline
    from lakeconsole.core.runs import Trigger, load_runs
    from lakeconsole.core.storage import state_home

    no_color = "NO_COLOR" in settings.raw
    printer = EventPrinter(no_color, quiet=args.quiet or args.json)
    cancel, restore_sigint = cancel_on_ctrl_c("stopping at the next safe point")
    try:
        outcome = run_pipeline(
            load_pipeline(settings),
            settings,
            printer,
            start=args.start,
            only=args.only,
            cancel_event=cancel,
            command="lakeconsole run",
            trigger=Trigger.CLI,
        )
    except (PipelineError, RunLocked) as exc:
        line = heartbeat_line(RunStatus.FAILED, 0, str(exc))
        if args.json:
            print_json({"status": "failed", "error": str(exc)})
        else:
            print(paint(line, RED, sys.stderr, no_color), file=sys.stderr)
        return REFUSED if isinstance(exc, RunLocked) else USAGE
    finally:
        restore_sigint()

    if args.json:
        record = next(
            (r for r in load_runs(state_home(settings), limit=5) if r.run_id == outcome.run_id),
            None,
        )
        print_json(
            record.to_json() if record else {"run_id": outcome.run_id, "status": outcome.status}
        )
    wrote = {name: result.records_out for name, result in outcome.results.items()}
    line = heartbeat_line(outcome.status, outcome.records_processed, outcome.error, wrote)
    if outcome.status == RunStatus.SUCCEEDED:
        if not args.json:
            print(paint(line, GREEN, sys.stdout, no_color))
        return OK
    if not args.json:
        print(paint(line, RED, sys.stderr, no_color), file=sys.stderr)
    return CANCELLED if outcome.status == RunStatus.CANCELLED else FAILED


class EventPrinter:
    """Prints the runner's events as lines: what a cron mail or a terminal should show."""

    def __init__(self, no_color: bool, quiet: bool) -> None:
        self.no_color, self.quiet = no_color, quiet

    def __call__(self, event: object) -> None:
        from lakeconsole.core.events import (
            RunFinished,
            StepFailed,
            StepFinished,
            StepSkipped,
            StepStarted,
        )
        from lakeconsole.core.quiet_marks import UNCHANGED

        if self.quiet:
            return
        out = sys.stdout
        if isinstance(event, StepStarted):
            where = f" (on {event.engine})" if event.engine != "local" else ""
            print(
                f"--- {event.layer.value.capitalize()}: {event.step}{where} ---",
                file=out,
                flush=True,
            )
        elif isinstance(event, StepFinished):
            extra = ", ".join(
                f"{k} {v}" for k, v in event.details.items() if isinstance(v, int | float)
            )
            counts = f"{event.records_in} in, {event.records_out} out"
            since = event.details.get(UNCHANGED)
            if since is not None:
                counts += f", nothing changed since run {since}"
            text = f"    done in {event.duration_s:.2f}s: {counts}"
            print(
                paint(text + (f" ({extra})" if extra else ""), DIM, out, self.no_color),
                file=out,
                flush=True,
            )
        elif isinstance(event, StepFailed):
            text = f"    failed: {event.error}" + "".join(
                f"\n      {line}" for line in event.detail.splitlines()
            )
            print(
                paint(text, RED, sys.stderr, self.no_color),
                file=sys.stderr,
                flush=True,
            )
        elif isinstance(event, StepSkipped):
            print(
                f"--- {event.layer.value.capitalize()}: {event.step} skipped ({event.reason}) ---",
                file=out,
                flush=True,
            )
        elif isinstance(event, RunFinished):
            for warning in event.warnings:
                print(paint(f"warning: {warning}", RED, sys.stderr, self.no_color), file=sys.stderr)
            if event.latency_s is not None:
                print(f"end-to-end latency {event.latency_s:.2f}s", file=out, flush=True)
