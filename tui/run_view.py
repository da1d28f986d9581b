"""What the dashboard shows of a run, step by step, built from the runner's events or from a
run record (a run in another process). No Textual here, so it is tested on its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakeconsole.core.dag import LAYER_ORDER, Pipeline
from lakeconsole.core.events import (
    Event,
    Layer,
    RunFinished,
    RunStarted,
    StepCancelled,
    StepFailed,
    StepFinished,
    StepProgress,
    StepSkipped,
    StepStarted,
    StepState,
)
from lakeconsole.core.run_timeline import records_in_unit
from lakeconsole.core.runs import RunRecord

# A rate from less time than this is noise (the first progress report comes right at the start).
RATE_AFTER_S = 0.2


def quarantined(details: dict[str, Any]) -> int | None:
    """Silver's rejected lines (its `quarantined` detail); None for a step that has none."""
    n = details.get("quarantined")
    return n if isinstance(n, int) and not isinstance(n, bool) else None


@dataclass
class StepView:
    """One step as the user sees it."""

    name: str
    layer: Layer
    state: StepState = StepState.IDLE
    done: int = 0
    total: int | None = None
    unit: str = "rows"
    records_in: int | None = None
    records_out: int | None = None
    records_in_unit: str = "rows"
    rate: float | None = None  # progress units a second since the step started, while running
    quarantined: int | None = None
    started_at: float | None = None
    duration_s: float | None = None
    note: str = ""  # the error, or why it was skipped

    def elapsed(self, now: float) -> float | None:
        """Duration when finished, time so far while running."""
        if self.duration_s is not None:
            return self.duration_s
        if self.state == StepState.RUNNING and self.started_at is not None:
            return max(0.0, now - self.started_at)
        return None


@dataclass
class RunView:
    """Every step of the pipeline, in DAG order, with its live state."""

    steps: dict[str, StepView] = field(default_factory=dict)
    run_id: str | None = None
    finished: RunFinished | None = None

    @classmethod
    def idle(cls, pipeline: Pipeline) -> RunView:
        return cls({n: StepView(n, pipeline.steps[n].layer) for n in pipeline.order})

    def by_layer(self) -> dict[Layer, list[StepView]]:
        """Steps grouped bronze → silver → gold, each group in DAG order."""
        return {
            layer: [s for s in self.steps.values() if s.layer == layer] for layer in LAYER_ORDER
        }

    def reset(self) -> None:
        for name, step in self.steps.items():
            self.steps[name] = StepView(name, step.layer)
        self.run_id, self.finished = None, None

    def apply(self, event: Event) -> StepView | None:
        """Fold one event in; returns the step it changed, if any."""
        if isinstance(event, RunStarted):
            self.reset()
            self.run_id = event.run_id
            for name in event.steps:
                if name not in self.steps:  # a pipeline changed since the console opened
                    self.steps[name] = StepView(name, event.layers[name])
                self.steps[name].state = StepState.QUEUED
            return None
        if isinstance(event, RunFinished):
            self.finished = event
            return None
        step_name = getattr(event, "step", None)
        step = self.steps.get(str(step_name)) if step_name is not None else None
        if step is None:
            return None
        if isinstance(event, StepStarted):
            step.state, step.started_at = StepState.RUNNING, event.at
        elif isinstance(event, StepProgress):
            step.done, step.total, step.unit = event.done, event.total, event.unit
            took = event.at - step.started_at if step.started_at is not None else 0.0
            step.rate = event.done / took if took >= RATE_AFTER_S else None
        elif isinstance(event, StepFinished):
            step.state, step.duration_s = StepState.SUCCEEDED, event.duration_s
            step.records_in, step.records_out = event.records_in, event.records_out
            step.records_in_unit = event.records_in_unit
            step.quarantined = quarantined(event.details)
            if step.total is None:
                step.done = step.total = event.records_out
        elif isinstance(event, StepFailed):
            step.state, step.duration_s, step.note = StepState.FAILED, event.duration_s, event.error
        elif isinstance(event, StepSkipped):
            step.state, step.note = StepState.SKIPPED, event.reason
        elif isinstance(event, StepCancelled):
            step.state = StepState.CANCELLED
            if step.started_at is not None:
                step.duration_s = max(0.0, event.at - step.started_at)
        return step

    def load_record(self, record: RunRecord) -> None:
        """Show a run from its record: another process's run, polled while it goes."""
        self.reset()
        self.run_id = record.run_id
        for rec in record.steps:
            step = self.steps.setdefault(rec.name, StepView(rec.name, Layer(rec.layer)))
            step.state = StepState(rec.state)
            step.started_at = rec.started_at
            step.duration_s = rec.duration_s
            if (
                step.state in (StepState.SUCCEEDED, StepState.FAILED)
                or rec.records_in
                or rec.records_out
            ):
                step.records_in, step.records_out = rec.records_in, rec.records_out
                step.records_in_unit = records_in_unit(rec)
                step.quarantined = quarantined(rec.details)
            if step.state == StepState.SUCCEEDED:
                step.done = step.total = rec.records_out
            step.note = rec.error or rec.reason or ""
