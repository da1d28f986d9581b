"""Runs a pipeline selection in DAG order with blocking (OPS-01), reporting typed events."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from lakeconsole.core.alerts import alerts_configured
from lakeconsole.core.blocks.handoff import forget as forget_kept_rows
from lakeconsole.core.checkpoints import checkpoint_when_due
from lakeconsole.core.dag import (
    Cancelled,
    Pipeline,
    PipelineError,
    Step,
    StepContext,
    StepResult,
)
from lakeconsole.core.disk import disk_full_line, free_bytes, full_at, is_disk_full
from lakeconsole.core.engines import LOCAL, step_engines
from lakeconsole.core.events import (
    Event,
    EventSink,
    Layer,
    RunFinished,
    RunStarted,
    RunStatus,
    StepCancelled,
    StepFailed,
    StepFinished,
    StepProgress,
    StepSkipped,
    StepStarted,
)
from lakeconsole.core.lock import lake_lock
from lakeconsole.core.quiet_marks import UNCHANGED, QuietMarks
from lakeconsole.core.runs import RunRecorder, end_to_end_latency, new_run_id
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import state_home
from lakeconsole.core.table_health import refuse_damaged_outputs, remember_new_tables

log = logging.getLogger("lakeconsole.runner")

SWEEPS, SWEEP_PAUSE_S = 10, 0.2  # clear_failed_writes: passes, and the pause between them


@dataclass
class RunOutcome:
    run_id: str
    status: RunStatus
    records_processed: int
    latency_s: float | None
    error: str | None
    results: dict[str, StepResult] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def error_detail(exc: BaseException, max_lines: int = 20) -> str:
    """The lines after the first of an error's message, without a Rust backtrace."""
    lines = str(exc).strip().splitlines()[1:]
    kept = []
    for line in lines[:max_lines]:
        if "backtrace" in line.lower():
            break
        kept.append(line)
    return "\n".join(kept).rstrip()


def step_error(exc: BaseException, data_dir: Path, free_at_start: int) -> tuple[str, str]:
    """A failed step's one line and the lines under it. A full disk is named as such, with what
    to free: the step used up all the space it had at its start and needed more, so freeing as
    much again is the estimate (delta-rs's panic and error text say neither where nor how much)."""
    if is_disk_full(exc):
        return disk_full_line(full_at(exc, data_dir), free_at_start), ""
    return describe_error(exc), error_detail(exc)


def clear_failed_writes(data_dir: Path, outputs: tuple[str, ...]) -> int:
    """Remove the data files a write that ran out of space left in the step's tables: they hold
    the very space the user is asked to free, and no commit references them.

    delta-rs's upload tasks still finish files for a moment after the error reaches Python, so
    this sweeps until a pass finds nothing (a few tenths of a second; at most ~2 s)."""
    from lakeconsole.core.leftovers import remove_crash_leftovers

    tables = [data_dir / o for o in outputs if (data_dir / o / "_delta_log").is_dir()]
    removed = 0
    for sweep in range(SWEEPS):
        found = sum(len(remove_crash_leftovers(t, min_age_s=0)) for t in tables)
        removed += found
        if sweep and not found:
            break
        time.sleep(SWEEP_PAUSE_S)
    return removed


def unsaved_record_warning(recorder: RunRecorder) -> str:
    """What the user is told when even the run's final record could not be written."""
    exc = recorder.unsaved
    why = getattr(exc, "strerror", None) or str(exc)
    return (
        f"the record of this run could not be written to {recorder.dir} ({why}); "
        "`lakeconsole runs` shows the run as aborted"
    )


def describe_error(exc: BaseException) -> str:
    """One line for the user: the message, with the exception type only when it says nothing."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or type(exc).__name__


def run_pipeline(
    pipeline: Pipeline,
    settings: Settings,
    on_event: EventSink | None = None,
    *,
    start: str | None = None,
    only: str | None = None,
    cancel_event: threading.Event | None = None,
    command: str = "lakeconsole run",
    trigger: str | None = None,
    clock: Callable[[], float] = time.time,
) -> RunOutcome:
    """Run the selected steps under the lake's run lock. Raises RunLocked or PipelineError
    before anything starts; everything after that is reported through events. `trigger` (a
    core.runs.Trigger) is what started the run, for its record."""
    selected = pipeline.select(start=start, only=only)
    missing = pipeline.missing_upstream(selected, settings.lake_root)
    if missing:
        raise PipelineError(
            f"Cannot start at '{only or start}': upstream step(s) {', '.join(missing)} have never "
            f"been built. Run the whole pipeline first (lakeconsole run)"
        )
    if alerts_configured(settings):
        _check_alert_settings(settings)
    engines = step_engines(pipeline, selected, settings)  # core/engines: local or Spark
    cancel = cancel_event or threading.Event()
    run_id = new_run_id(clock())
    recorder = RunRecorder(state_home(settings), command, trigger)
    lost: list[str] = []  # why the lake's lease was lost mid-run (object storage only)

    def stop_writing(why: str) -> None:
        lost.append(why)
        cancel.set()  # the running step stops at its next safe point

    with lake_lock(settings, command, run_id, on_lost=stop_writing):

        def emit(event: Event) -> None:
            recorder(event)
            if isinstance(event, RunFinished) and recorder.unsaved is not None:
                event = replace(event, warnings=(*event.warnings, unsaved_record_warning(recorder)))
            if on_event is not None:
                on_event(event)

        try:
            outcome = _run_steps(
                pipeline, settings, selected, run_id, emit, cancel, clock, recorder, engines, lost
            )
        finally:
            forget_kept_rows(run_id)  # bronze's rows kept for silver (core.blocks.handoff)
        if alerts_configured(settings):  # under the lock: one evaluation at a time
            from lakeconsole.core.alerts.evaluation import after_run

            after_run(settings, recorder.record)
        return outcome


def _check_alert_settings(settings: Settings) -> None:
    """A wrong alert setting stops the run before it starts: found at its end, it would only
    be a log line, and the failure it should have reported would go unsaid."""
    from lakeconsole.core.alerts.targets import alert_targets
    from lakeconsole.core.settings import SettingsError

    try:
        alert_targets(settings)
    except SettingsError as exc:
        raise PipelineError(str(exc)) from None


def _run_steps(
    pipeline: Pipeline,
    settings: Settings,
    selected: list[str],
    run_id: str,
    emit: EventSink,
    cancel: threading.Event,
    clock: Callable[[], float],
    recorder: RunRecorder,
    engines: dict[str, str],
    lost: list[str],
) -> RunOutcome:
    layers = {n: pipeline.steps[n].layer for n in selected}
    emit(RunStarted(run_id, clock(), tuple(selected), layers))
    log.info("run %s started: %s", run_id, ", ".join(selected))
    results: dict[str, StepResult] = {}
    blocked: dict[str, str] = {}  # step -> why it cannot run
    first_error: str | None = None
    cancelled = False
    marks = QuietMarks(settings, pipeline, getattr(pipeline, "source", ""))
    for name in selected:
        step = pipeline.steps[name]
        failed_deps = [d for d in step.depends_on if d in blocked]
        if cancelled or failed_deps:
            reason = "run cancelled" if cancelled else f"upstream failed: {', '.join(failed_deps)}"
            blocked[name] = reason
            emit(StepSkipped(run_id, clock(), name, step.layer, reason))
            log.warning("step %s skipped (%s)", name, reason)
            continue
        started = clock()
        free_at_start = free_bytes(settings.data_dir)
        emit(StepStarted(run_id, started, name, step.layer, engines.get(name, LOCAL)))
        log.info("step %s started", name)

        def report(
            done: int, total: int | None, unit: str, message: str, _name: str = name
        ) -> None:
            emit(StepProgress(run_id, clock(), _name, done, total, unit, message))

        ctx = StepContext(settings, run_id, name, report, cancel)
        try:
            ctx.check_cancelled()
            new_tables = refuse_damaged_outputs(settings.lake_root, step.writes)
            result = _run_or_skip(step, ctx, marks)
            remember_new_tables(settings.lake_root, new_tables)
        except Cancelled:
            cancelled = True
            blocked[name] = "cancelled"
            emit(StepCancelled(run_id, clock(), name, step.layer))
            log.warning("step %s cancelled", name)
            continue
        except Exception as exc:  # a step's failure is data for the report, not a crash
            message, detail = step_error(exc, settings.data_dir, free_at_start)
            if is_disk_full(exc):
                clear_failed_writes(settings.data_dir, step.outputs)
            first_error = first_error or f"{name}: {message}"
            blocked[name] = "failed"
            failed = StepFailed(
                run_id, clock(), name, step.layer, message, clock() - started, detail
            )
            emit(failed)
            log.error("step %s failed: %s\n%s", name, message, traceback.format_exc())
            continue
        results[name] = result
        emit(
            StepFinished(
                run_id,
                clock(),
                name,
                step.layer,
                result.records_in,
                result.records_out,
                clock() - started,
                result.details,
                result.records_in_unit,
            )
        )
        log.info("step %s finished: %d in, %d out", name, result.records_in, result.records_out)
        if cancel.is_set():
            cancelled = True

    if cancelled and lost:
        first_error = first_error or (
            f"stopped: {lost[0]} (this run could not renew it in time); what it committed "
            "stands, the rest was not run: run again once the other run is done"
        )
    if not first_error and not cancelled:
        marks.finish(run_id)
    marks.save()
    status = RunStatus.SUCCEEDED
    if first_error:
        status = RunStatus.FAILED
    elif cancelled:
        status = RunStatus.CANCELLED
    processed = sum(r.landing_rows for r in results.values())
    warnings = [w for r in results.values() for w in r.warnings]
    latency = end_to_end_latency(recorder.record) if recorder.record else None
    error = first_error or ("cancelled by the user" if cancelled else None)
    emit(RunFinished(run_id, clock(), status, processed, latency, error, tuple(warnings)))
    log.info(
        "run %s %s: %d records, latency %s",
        run_id,
        status.value,
        processed,
        f"{latency:.2f}s" if latency is not None else "n/a",
    )
    return RunOutcome(run_id, status, processed, latency, error, results, warnings)


def _run_or_skip(step: Step, ctx: StepContext, marks: QuietMarks) -> StepResult:
    """The step's work, or what it reported last time when nothing it depends on changed
    since it last settled (core/quiet_marks.py): a no-op run imports no numpy."""
    unchanged = marks.skip(step)
    if unchanged is not None:
        log.info("step %s: nothing changed since run %s", step.name, unchanged[UNCHANGED])
        return StepResult(details=unchanged)
    from lakeconsole.core.arrow import keep_pandas_out

    keep_pandas_out()  # 0.3-0.4 s of pandas import that no step needs
    before = marks.before(step)
    result = step.run(ctx)
    # Before the step's quiet mark lists the lake: the checkpoint is part of what it left.
    checkpoint_when_due(ctx.settings.lake_root, step.writes)
    marks.after(step, before, result, ctx.run_id)
    return result


__all__ = ["Layer", "RunOutcome", "run_pipeline"]
