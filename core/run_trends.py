"""What the run history says over time: end-to-end latency per run, and how long each step took
per run (and which step grew), for the dashboard's charts and anyone else who asks."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from lakeconsole.core.events import RunStatus
from lakeconsole.core.runs import RunRecord
from lakeconsole.core.settings import Settings


@dataclass(frozen=True)
class LatencyPoint:
    """One run's end-to-end latency (start of bronze to end of gold)."""

    run_id: str
    started_at: float
    latency_s: float


@dataclass(frozen=True)
class RunSteps:
    """How long each step of one run took, in pipeline order (0 for a step that did not run)."""

    run_id: str
    started_at: float
    steps: tuple[tuple[str, float], ...]  # (step name, seconds)

    @property
    def total_s(self) -> float:
        return sum(took for _, took in self.steps)


@dataclass(frozen=True)
class StepGrowth:
    """The step of the newest run that took the most longer than it usually does."""

    step: str
    last_s: float
    usual_s: float  # the median of the runs before

    @property
    def grew_s(self) -> float:
        return self.last_s - self.usual_s


def latency_trend(runs: list[RunRecord], limit: int | None = None) -> list[LatencyPoint]:
    """The newest `limit` succeeded runs that went bronze to gold, oldest first (whatever the
    order of `runs`). The latency watch (OPS-09) judges these same points."""
    points = [
        LatencyPoint(r.run_id, r.started_at, float(r.latency_s))
        for r in runs
        if r.status == RunStatus.SUCCEEDED.value and r.latency_s is not None
    ]
    points.sort(key=lambda p: p.started_at)
    return points[-limit:] if limit else points


def step_durations(runs: list[RunRecord], limit: int | None = None) -> list[RunSteps]:
    """Per-step seconds of the newest `limit` succeeded runs, oldest first. Every run lists the
    same steps in the same order (the pipeline's, as the records name them), so the stacks of
    two runs compare step by step; a failed or cancelled run would show a short stack that only
    says it stopped early, and is left out."""
    done = sorted(
        (r for r in runs if r.status == RunStatus.SUCCEEDED.value), key=lambda r: r.started_at
    )
    done = done[-limit:] if limit else done
    names = list(dict.fromkeys(s.name for r in done for s in r.steps))
    out = []
    for r in done:
        took = {s.name: s.duration_s or 0.0 for s in r.steps}
        out.append(RunSteps(r.run_id, r.started_at, tuple((n, took.get(n, 0.0)) for n in names)))
    return out


def step_that_grew(trend: list[RunSteps], recent: int = 1) -> StepGrowth | None:
    """The step whose time in the newest `recent` runs (their median) is furthest above its
    median in the runs before, or None without a run before them or when no step grew."""
    if len(trend) <= recent:
        return None
    before, last = trend[:-recent], trend[-recent:]
    grown = []
    for i, (name, _) in enumerate(last[-1].steps):
        took = statistics.median(run.steps[i][1] for run in last)
        usual = statistics.median(run.steps[i][1] for run in before)
        grown.append(StepGrowth(name, took, usual))
    best = max(grown, key=lambda g: g.grew_s, default=None)
    return best if best is not None and best.grew_s > 0 else None


def step_tables(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Each step's tables, for the advice on the step that grew ({} when the pipeline does not
    load: the durations are still shown)."""
    from lakeconsole.core.pipeline import loaded_or_none

    pipeline = loaded_or_none(settings)
    return {n: s.outputs for n, s in pipeline.steps.items()} if pipeline else {}


def grown_step_advice(settings: Settings, runs: list[RunRecord], recent: int) -> str:
    """For latency creep over the last `recent` runs: the step whose time grew, and its tables
    (what OPTIMIZE / Z-ORDER should look at first); "" when no step grew."""
    from lakeconsole.core.run_timeline import seconds

    trend = step_durations(runs)
    grew = step_that_grew(trend, recent)
    if grew is None:
        return ""
    mine = step_tables(settings).get(grew.step, ())
    said = (
        f"step {grew.step} grew most ({seconds(grew.usual_s)} → {seconds(grew.last_s)}, the "
        f"median of the last {min(recent, len(trend) - 1)} run(s) against the "
        f"{len(trend) - recent} before)"
    )
    return said + (f"; its tables: {', '.join(mine)}" if mine else "")
