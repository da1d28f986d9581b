"""Run history (OPS-09): one JSON record per run under the data dir, kept up to date as it goes.

A record is rewritten atomically at every step boundary, so a run killed half-way leaves a
record that says `running`; `load_runs` reports it as `aborted` once its process is gone.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum, auto
from pathlib import Path
from typing import Any, overload

from lakeconsole.core.events import (
    Event,
    RunFinished,
    RunStarted,
    RunStatus,
    StepCancelled,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
    StepState,
)
from lakeconsole.core.lock import LockHolder, current_holder
from lakeconsole.core.state_shape import (
    LIST,
    NONE,
    NUMBER,
    OBJECT,
    TEXT,
    WHOLE,
    known,
    list_problem,
    shape_problem,
)
from lakeconsole.core.storage import LakePath, StorageError, read_optional, write_whole

log = logging.getLogger("lakeconsole.runs")

RUN_FIELDS = {
    "run_id": TEXT,
    "pid": WHOLE,
    "command": TEXT,
    "trigger": TEXT + NONE,
    "started_at": NUMBER,
    "status": TEXT,
    "ended_at": NUMBER + NONE,
    "records_processed": WHOLE,
    "latency_s": NUMBER + NONE,
    "error": TEXT + NONE,
    "warnings": LIST,
    "steps": LIST,
}
STEP_FIELDS = {
    "name": TEXT,
    "layer": TEXT,
    "state": TEXT,
    "started_at": NUMBER + NONE,
    "ended_at": NUMBER + NONE,
    "records_in": WHOLE,
    "records_out": WHOLE,
    "error": TEXT + NONE,
    "detail": TEXT + NONE,
    "reason": TEXT + NONE,
    "details": OBJECT,
    "records_in_unit": TEXT + NONE,
    "engine": TEXT,
}


class Trigger(StrEnum):
    """What started a run, decided where it starts (cli/run.py, the console, its auto-run)."""

    # auto(): "cli", "console"; a bare "cli" would read as a module name to the import rules.
    CLI = auto()  # `lakeconsole run`: a shell, a script, cron
    CONSOLE = auto()  # r / f / re-run from a failed step, in the console
    AUTO_RUN = "auto-run"  # the console, when new files landed


def trigger_from_command(command: str) -> str | None:
    """The trigger of a record written before runs recorded one, where its command tells."""
    if command == "lakeconsole console":
        return Trigger.CONSOLE.value  # an auto-run of then was recorded the same way
    if command.startswith("lakeconsole run"):
        return Trigger.CLI.value
    return None


class NotARunRecord(ValueError):
    """A run record file holds JSON that is not a run record; the message says what is wrong."""


def record_problem(data: object) -> str | None:
    """What makes `data` not a run record, or None."""
    problem = shape_problem(data, RUN_FIELDS, ("run_id", "pid", "command", "started_at"))
    if problem or not isinstance(data, dict):
        return problem
    if data.get("status", RunStatus.RUNNING.value) not in {s.value for s in RunStatus}:
        return f"'status' is {data['status']!r}, not a run status"
    problem = list_problem(data.get("warnings", []), TEXT, "warnings")
    problem = problem or list_problem(data.get("steps", []), OBJECT, "steps")
    if problem:
        return problem
    states = {s.value for s in StepState}
    for n, step in enumerate(data.get("steps", [])):
        problem = shape_problem(step, STEP_FIELDS, ("name", "layer"))
        if problem:
            return f"steps[{n}]: {problem}"
        if step.get("state", StepState.QUEUED.value) not in states:
            return f"steps[{n}]: 'state' is {step['state']!r}, not a step state"
    return None


@dataclass
class StepRecord:
    name: str
    layer: str
    state: str = StepState.QUEUED.value
    started_at: float | None = None
    ended_at: float | None = None
    records_in: int = 0
    records_out: int = 0
    error: str | None = None
    detail: str | None = None  # the lines under a failed step's error (a schema diff, …)
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    records_in_unit: str | None = None  # None in records written before it was recorded
    engine: str = "local"  # where it ran: "local" or "spark sc://host:port" (core/engines)

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


@dataclass
class RunRecord:
    run_id: str
    pid: int
    command: str
    started_at: float
    status: str = RunStatus.RUNNING.value
    ended_at: float | None = None
    records_processed: int = 0
    latency_s: float | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    trigger: str | None = None  # a Trigger; None: an old record whose command does not tell

    def step(self, name: str) -> StepRecord:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def failed_step(self) -> str | None:
        """The first step that failed: where a re-run of this run starts."""
        return next((s.name for s in self.steps if s.state == StepState.FAILED.value), None)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for s, rec in zip(out["steps"], self.steps, strict=True):
            s["duration_s"] = rec.duration_s
        return out

    @classmethod
    def from_json(cls, data: object) -> RunRecord:
        """The record in `data`; NotARunRecord (saying what is wrong) if it is not one."""
        problem = record_problem(data)
        if problem or not isinstance(data, dict):
            raise NotARunRecord(problem)
        step_fields = [f.name for f in fields(StepRecord)]
        steps = [StepRecord(**known(s, step_fields)) for s in data.get("steps", [])]
        top = known(data, (f.name for f in fields(cls) if f.name != "steps"))
        if top.get("trigger") is None:
            top["trigger"] = trigger_from_command(top["command"])
        return cls(**top, steps=steps)


@overload
def runs_dir(state_dir: Path) -> Path: ...
@overload
def runs_dir(state_dir: LakePath) -> LakePath: ...
def runs_dir(state_dir: LakePath) -> LakePath:
    return state_dir / "runs"


def runs_stamp(state_dir: LakePath) -> object:
    """What changes whenever a run record is written: the runs folder's modification time
    (each write renames a file into it), or on object storage, which has no folders, the
    listing's names, sizes and times. Compared between polls, so records are read only then."""
    folder = runs_dir(state_dir)
    try:
        if isinstance(folder, Path):
            return folder.stat().st_mtime_ns
        return tuple(sorted((f.name, f.size, f.mtime_ms) for f in folder.files()))
    except (OSError, StorageError):
        return 0


def new_run_id(now: float | None = None) -> str:
    """Sortable by time: 20261126T105812-123456Z-<pid>."""
    now = time.time() if now is None else now
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
    return f"{stamp}-{int((now % 1) * 1e6):06d}Z-{os.getpid()}"


def end_to_end_latency(record: RunRecord) -> float | None:
    """Start of the first bronze step to the end of the last gold step, if the run did both."""
    bronze = [s.started_at for s in record.steps if s.layer == "bronze" and s.started_at]
    gold = [
        s.ended_at
        for s in record.steps
        if s.layer == "gold" and s.ended_at and s.state == "succeeded"
    ]
    if not bronze or not gold:
        return None
    return max(gold) - min(bronze)


class RunRecorder:
    """An event sink that keeps the run's record file current."""

    def __init__(self, state_dir: LakePath, command: str, trigger: str | None = None) -> None:
        self.dir = runs_dir(state_dir)
        if isinstance(self.dir, Path):
            self.dir.mkdir(parents=True, exist_ok=True)
        self.command = command
        self.trigger = trigger
        self.record: RunRecord | None = None
        # why the last save failed, while it stays failed
        self.unsaved: OSError | StorageError | None = None

    def __call__(self, event: Event) -> None:
        rec = self.record
        if isinstance(event, RunStarted):
            self.record = RunRecord(
                run_id=event.run_id,
                pid=os.getpid(),
                command=self.command,
                trigger=self.trigger,
                started_at=event.at,
                steps=[StepRecord(name, event.layers[name].value) for name in event.steps],
            )
        elif rec is None:
            return
        elif isinstance(event, StepStarted):
            s = rec.step(event.step)
            s.state, s.started_at = StepState.RUNNING.value, event.at
            s.engine = event.engine
        elif isinstance(event, StepFinished):
            s = rec.step(event.step)
            s.state, s.ended_at = StepState.SUCCEEDED.value, event.at
            s.records_in, s.records_out, s.details = (
                event.records_in,
                event.records_out,
                event.details,
            )
            s.records_in_unit = event.records_in_unit
        elif isinstance(event, StepFailed):
            s = rec.step(event.step)
            s.state, s.ended_at, s.error = StepState.FAILED.value, event.at, event.error
            s.detail = event.detail or None
        elif isinstance(event, StepSkipped):
            s = rec.step(event.step)
            s.state, s.reason = StepState.SKIPPED.value, event.reason
        elif isinstance(event, StepCancelled):
            s = rec.step(event.step)
            s.state, s.ended_at = StepState.CANCELLED.value, event.at
        elif isinstance(event, RunFinished):
            rec.status, rec.ended_at = event.status.value, event.at
            rec.records_processed, rec.error = event.records_processed, event.error
            rec.warnings = list(event.warnings)
            rec.latency_s = end_to_end_latency(rec)
        else:
            return  # progress events are not worth a disk write
        self.save()

    def save(self) -> None:
        """Write the record; a failure (a full disk) is kept in `unsaved`, never raised: the
        run goes on and says at its end that its record could not be written."""
        if self.record is None:
            return
        path = self.dir / f"{self.record.run_id}.json"
        text = json.dumps(self.record.to_json(), indent=1)
        try:
            if isinstance(path, Path):
                write_atomically(path, text)
            else:
                write_whole(path, text.encode("utf-8"))  # one PUT: old or new, never a part
        except (OSError, StorageError) as exc:
            if self.unsaved is None:
                log.warning("run record %s could not be written: %s", path, exc)
            self.unsaved = exc
        else:
            self.unsaved = None


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step; a failed write leaves no `.json.tmp` behind.

    On a full disk there is no room for the temporary copy: the record is then rewritten in
    place, in the blocks it already holds, so a run that fails for lack of space still ends
    as `failed` rather than `running`. (Torn only by a crash in that very write: it is then
    skipped with a warning naming it.)"""
    tmp = path.with_suffix(".json.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno != errno.ENOSPC or not path.exists():
            raise
        with path.open("r+b") as fh:
            fh.write(text.encode("utf-8"))
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())


def read_record(path: LakePath) -> RunRecord:
    """One run record file; NotARunRecord (naming what is wrong) if it holds something else,
    FileNotFoundError when it is gone."""
    raw = read_optional(path)
    if raw is None:
        raise FileNotFoundError(str(path))
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotARunRecord("not UTF-8 text") from None
    except ValueError as exc:
        raise NotARunRecord(f"not JSON: {exc}") from None
    return RunRecord.from_json(data)


def skipped_line(path: LakePath, why: str) -> str:
    return f"skipped {path}: not a run record ({why}); move it out of the runs folder"


def load_runs(
    state_dir: LakePath, limit: int | None = None, problems: list[str] | None = None
) -> list[RunRecord]:
    """Recent runs, newest first. A `running` record whose process is gone is `aborted`.

    A file that is not a run record is left out as if missing; `problems` gets a line naming it."""
    folder = runs_dir(state_dir)
    files: list[LakePath]
    if isinstance(folder, Path):
        if not folder.is_dir():
            return []
        files = sorted(folder.glob("*.json"), reverse=True)
    else:
        names = [n for n in folder.names() if n.endswith(".json")]
        files = [folder / n for n in sorted(names, reverse=True)]
    if limit is not None:
        files = files[:limit]
    holder = holder_now(state_dir)
    records = []
    for f in files:
        try:
            rec = read_record(f)
        except FileNotFoundError:
            continue  # pruned between the listing and the read
        except (OSError, StorageError, NotARunRecord) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            log.warning("%s", skipped_line(f, why))
            if problems is not None:
                problems.append(skipped_line(f, why))
            continue
        records.append(as_seen_now(rec, holder))
    return records


def as_seen_now(rec: RunRecord, holder: LockHolder | None) -> RunRecord:
    """`rec`, `aborted` if it says `running` but the lake's lock is not its run's."""
    if rec.status == RunStatus.RUNNING.value and not (holder and holder.run_id == rec.run_id):
        rec.status = RunStatus.ABORTED.value
        for s in rec.steps:
            if s.state == StepState.RUNNING.value:
                s.state = StepState.CANCELLED.value
    return rec


def load_run(state_dir: LakePath, run_id: str) -> RunRecord | None:
    """One run by its id (as `lakeconsole runs` lists it); None when there is no such run.
    NotARunRecord when its file holds something else."""
    path = runs_dir(state_dir) / f"{run_id}.json"
    if "/" in run_id:
        return None
    try:
        record = read_record(path)
    except (FileNotFoundError, IsADirectoryError):
        return None
    return as_seen_now(record, holder_now(state_dir))


def holder_now(state_dir: LakePath) -> LockHolder | None:
    """Who holds the lake's lock now: its file lock, or its lease on object storage."""
    if isinstance(state_dir, Path):
        return current_holder(state_dir)
    from lakeconsole.core.lease import holder_of

    return holder_of(state_dir)
