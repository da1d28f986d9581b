"""Run history (OPS-09): one JSON record per run under the data dir, kept up to date as it goes.

A record is rewritten atomically at every step boundary, so a run killed half-way leaves a
record that says `running`; `load_runs` reports it as `aborted` once its process is gone.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.events import (
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
from core.lock import current_holder


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
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

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

    def step(self, name: str) -> StepRecord:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for s, rec in zip(out["steps"], self.steps, strict=True):
            s["duration_s"] = rec.duration_s
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        steps = [
            StepRecord(**{k: v for k, v in s.items() if k != "duration_s"})
            for s in data.get("steps", [])
        ]
        fields = {k: v for k, v in data.items() if k != "steps"}
        return cls(**fields, steps=steps)


def runs_dir(state_dir: Path) -> Path:
    return state_dir / "runs"


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

    def __init__(self, state_dir: Path, command: str) -> None:
        self.dir = runs_dir(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.command = command
        self.record: RunRecord | None = None

    def __call__(self, event: Event) -> None:
        rec = self.record
        if isinstance(event, RunStarted):
            self.record = RunRecord(
                run_id=event.run_id,
                pid=os.getpid(),
                command=self.command,
                started_at=event.at,
                steps=[StepRecord(name, event.layers[name].value) for name in event.steps],
            )
        elif rec is None:
            return
        elif isinstance(event, StepStarted):
            s = rec.step(event.step)
            s.state, s.started_at = StepState.RUNNING.value, event.at
        elif isinstance(event, StepFinished):
            s = rec.step(event.step)
            s.state, s.ended_at = StepState.SUCCEEDED.value, event.at
            s.records_in, s.records_out, s.details = (
                event.records_in,
                event.records_out,
                event.details,
            )
        elif isinstance(event, StepFailed):
            s = rec.step(event.step)
            s.state, s.ended_at, s.error = StepState.FAILED.value, event.at, event.error
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
        if self.record is None:
            return
        path = self.dir / f"{self.record.run_id}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.record.to_json(), indent=1))
        os.replace(tmp, path)


def load_runs(state_dir: Path, limit: int | None = None) -> list[RunRecord]:
    """Recent runs, newest first. A `running` record whose process is gone is `aborted`."""
    folder = runs_dir(state_dir)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.json"), reverse=True)
    if limit is not None:
        files = files[:limit]
    holder = current_holder(state_dir)
    records = []
    for f in files:
        try:
            rec = RunRecord.from_json(json.loads(f.read_text()))
        except (OSError, ValueError, TypeError):
            continue  # a half-written or foreign file: not a run we can show
        if rec.status == RunStatus.RUNNING.value and not (holder and holder.run_id == rec.run_id):
            rec.status = RunStatus.ABORTED.value
            for s in rec.steps:
                if s.state in (StepState.RUNNING.value, StepState.QUEUED.value):
                    s.state = (
                        StepState.CANCELLED.value if s.state == StepState.RUNNING.value else s.state
                    )
        records.append(rec)
    return records
