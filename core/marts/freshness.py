"""Is each mart fresh? Its README's Refresh Rate (core.marts.schedule) against its last refresh.

A table's last refresh is the end of the last recorded run step that wrote it and succeeded
(core.runs: a step that found nothing new to do succeeds too, its table is current); a table no
recorded step wrote (a table no step declares, run records pruned or lost) falls back on its
newest Delta commit. A mart's last refresh is the oldest of its tables'. It is **stale** when the
first due time after that refresh, plus the grace (FRESHNESS_GRACE_MINUTES), has passed.

A step is judged by the marts it feeds (it writes one of their tables, or a step that does
depends on it): stale when it last succeeded before the earliest due time of those marts.

`lake_freshness(settings, now=...)` answers for `lakeconsole status`, `check` and the console
(call it in a worker: it reads the run records and the marts' READMEs).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeconsole.core.events import StepState
from lakeconsole.core.marts.readme import Mart, lake_marts, section_text
from lakeconsole.core.marts.schedule import Schedule, ScheduleError, parse_schedule
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.dag import Pipeline
    from lakeconsole.core.runs import RunRecord

log = logging.getLogger("lakeconsole.freshness")

FRESH = "fresh"
STALE = "stale"
UNREADABLE = "unreadable"  # the Refresh Rate is not a schedule (the problem says why)
UNSCHEDULED = "unscheduled"  # no README or no Refresh Rate: OPS-05 findings say so
NO_TABLES = "no tables"  # a mart folder with a README and no table yet
NEVER = "never run"  # a step that feeds no scheduled mart and has not succeeded yet
REFRESH_RATE = "Refresh Rate"


@dataclass(frozen=True)
class StepOutcomes:
    """When a step last succeeded and last failed, in the recorded runs."""

    last_success: float | None = None
    last_failure: float | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class MartFreshness:
    """One mart: its schedule, its last refresh, and whether it is fresh."""

    mart: str
    state: str  # FRESH, STALE, UNREADABLE, UNSCHEDULED or NO_TABLES
    refresh_rate: str  # the schedule line as the README states it ('' when none)
    schedule: Schedule | None
    problem: str | None  # why the Refresh Rate cannot be read, naming the accepted forms
    tables: tuple[str, ...]
    steps: tuple[str, ...]  # the steps that write its tables
    last_success: float | None  # its last refresh (epoch seconds); None: never
    next_due: float | None  # the first due time after the last refresh
    stale_since: float | None  # next_due + grace, when stale

    @property
    def stale(self) -> bool:
        return self.state == STALE

    def as_dict(self) -> dict[str, Any]:
        return {
            "mart": self.mart,
            "state": self.state,
            "refresh_rate": self.refresh_rate,
            "cron": self.schedule.cron if self.schedule else None,
            "zone": self.schedule.zone_label if self.schedule else None,
            "problem": self.problem,
            "tables": list(self.tables),
            "steps": list(self.steps),
            "last_success": iso(self.last_success),
            "next_due": iso(self.next_due),
            "stale_since": iso(self.stale_since),
        }


@dataclass(frozen=True)
class StepFreshness:
    """One step: its last success and failure, and whether the marts it feeds are served."""

    step: str
    layer: str
    state: str  # FRESH, STALE, UNSCHEDULED or NEVER
    marts: tuple[str, ...]  # scheduled marts it feeds
    last_success: float | None
    last_failure: float | None
    last_error: str | None
    next_due: float | None
    stale_since: float | None

    @property
    def stale(self) -> bool:
        return self.state == STALE

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "layer": self.layer,
            "state": self.state,
            "marts": list(self.marts),
            "last_success": iso(self.last_success),
            "last_failure": iso(self.last_failure),
            "last_error": self.last_error,
            "next_due": iso(self.next_due),
            "stale_since": iso(self.stale_since),
        }


@dataclass(frozen=True)
class Freshness:
    """Every mart and step of the lake, judged at `now` with `grace_s` of grace."""

    now: float
    grace_s: float
    marts: tuple[MartFreshness, ...]
    steps: tuple[StepFreshness, ...]
    problems: tuple[str, ...] = ()  # run records skipped, the pipeline not loading

    @property
    def stale(self) -> bool:
        return any(m.stale for m in self.marts) or any(s.stale for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.stale,
            "now": iso(self.now),
            "grace_minutes": self.grace_s / 60,
            "marts": [m.as_dict() for m in self.marts],
            "steps": [s.as_dict() for s in self.steps],
            "problems": list(self.problems),
        }


def iso(at: float | None) -> str | None:
    """Local time with its offset, e.g. 2026-12-03T08:00:00+01:00 (JSON output)."""
    if at is None:
        return None
    from datetime import datetime

    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def when_text(at: float | None, now: float | None) -> str:
    """'2026-12-03 08:00 (3h00m ago)' (no gap without `now`), or '-' for never."""
    from lakeconsole.core.run_timeline import seconds

    if at is None:
        return "-"
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(at))
    if now is None:
        return stamp
    gap = seconds(abs(now - at))
    return f"{stamp} ({gap} ago)" if at <= now else f"{stamp} (in {gap})"


def state_text(state: str, since: float | None, now: float) -> str:
    """`fresh`, `stale since 2026-12-03 09:00 (2h00m ago)`, `stale: never refreshed`, ..."""
    if state != STALE:
        return state
    return f"stale since {when_text(since, now)}" if since is not None else "stale: never refreshed"


def mart_line(m: MartFreshness, now: float) -> str:
    """One mart's freshness in the console's words: stale since when, or fresh till when."""
    if m.state == FRESH:
        return f"fresh, next due {when_text(m.next_due, None)}"
    if m.state == STALE:
        return f"{state_text(m.state, m.stale_since, now)} by its Refresh Rate '{m.refresh_rate}'"
    if m.state == UNREADABLE:
        return f"Refresh Rate unreadable: {m.problem}"
    return m.state


def read_schedule(mart: Mart) -> tuple[str, Schedule | None, str | None]:
    """(schedule line, schedule, problem) of a mart's README. No README or no Refresh Rate
    section: ('', None, None), the OPS-05 findings name those."""
    from lakeconsole.core.marts.schedule import schedule_line

    try:
        text = mart.readme.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "", None, None
    body = section_text(text, REFRESH_RATE)
    line = schedule_line(body or "")
    if not line:
        return "", None, None
    try:
        return line, parse_schedule(line), None
    except ScheduleError as exc:
        return line, None, str(exc)


def step_outcomes(runs: Iterable[RunRecord]) -> dict[str, StepOutcomes]:
    """Each step's last success and failure in `runs` (any order)."""
    seen: dict[str, dict[str, Any]] = {}
    for run in runs:
        for step in run.steps:
            if step.ended_at is None:
                continue
            mine = seen.setdefault(step.name, {})
            if step.state == StepState.SUCCEEDED.value:
                if step.ended_at > mine.get("last_success", float("-inf")):
                    mine["last_success"] = step.ended_at
            elif step.state == StepState.FAILED.value and step.ended_at > mine.get(
                "last_failure", float("-inf")
            ):
                mine["last_failure"], mine["last_error"] = step.ended_at, step.error
    return {name: StepOutcomes(**found) for name, found in seen.items()}


def judge(
    schedule: Schedule, last: float | None, now: float, grace_s: float
) -> tuple[str, float | None, float | None]:
    """(state, next due, stale since) for something last refreshed at `last` (None: never)."""
    if last is None:
        return STALE, schedule.previous_due(now), None
    due = schedule.next_due(last)
    if due + grace_s <= now:
        return STALE, due, due + grace_s
    return FRESH, due, None


def lake_freshness(settings: Settings, now: float | None = None) -> Freshness:
    """Every mart's and step's freshness at `now` (default: the clock). Blocking: a worker."""
    from lakeconsole.core.pipeline import loaded_or_none
    from lakeconsole.core.runs import load_runs
    from lakeconsole.core.storage import state_home
    from lakeconsole.core.upkeep import RUNS_CHECKED

    now = time.time() if now is None else now
    grace_s = settings.freshness_grace_minutes * 60.0
    problems: list[str] = []
    outcomes = step_outcomes(load_runs(state_home(settings), limit=RUNS_CHECKED, problems=problems))
    pipeline = loaded_or_none(settings)
    if pipeline is None:
        problems.append("the pipeline does not load (`lakeconsole check` says why)")
    writers = _writers(pipeline)
    marts = tuple(
        _mart(settings, mart, writers, outcomes, now, grace_s) for mart in lake_marts(settings)
    )
    steps = _steps(pipeline, marts, outcomes, now, grace_s) if pipeline else ()
    return Freshness(now, grace_s, marts, steps, tuple(problems))


def mart_freshness(settings: Settings, now: float | None = None) -> list[MartFreshness]:
    """Each mart's freshness, for the dashboard and the marts view (call it in a worker)."""
    return list(lake_freshness(settings, now).marts)


def _writers(pipeline: Pipeline | None) -> dict[str, str]:
    """Table name (its path under the data dir) → the step that writes it."""
    if pipeline is None:
        return {}
    return {out: step.name for step in pipeline.steps.values() for out in step.outputs}


def _mart(
    settings: Settings,
    mart: Mart,
    writers: Mapping[str, str],
    outcomes: Mapping[str, StepOutcomes],
    now: float,
    grace_s: float,
) -> MartFreshness:
    from lakeconsole.core.maintenance.tables import table_name

    line, schedule, problem = read_schedule(mart) if mart.readme.is_file() else ("", None, None)
    tables = tuple(table_name(settings.lake_root, t) for t in mart.tables)
    steps = tuple(dict.fromkeys(writers[t] for t in tables if t in writers))
    refreshed = [_table_refreshed(settings, t, writers, outcomes) for t in tables]
    known = [at for at in refreshed if at is not None]
    last = min(known) if known and len(known) == len(refreshed) else None
    state, due, since = _mart_state(schedule, problem, tables, last, now, grace_s)
    return MartFreshness(mart.name, state, line, schedule, problem, tables, steps, last, due, since)


def _mart_state(
    schedule: Schedule | None,
    problem: str | None,
    tables: tuple[str, ...],
    last: float | None,
    now: float,
    grace_s: float,
) -> tuple[str, float | None, float | None]:
    if problem is not None:
        return UNREADABLE, None, None
    if schedule is None:
        return UNSCHEDULED, None, None
    if not tables:
        return NO_TABLES, None, None
    return judge(schedule, last, now, grace_s)


def _table_refreshed(
    settings: Settings,
    table: str,
    writers: Mapping[str, str],
    outcomes: Mapping[str, StepOutcomes],
) -> float | None:
    step = writers.get(table)
    recorded = outcomes.get(step) if step else None
    if recorded is not None and recorded.last_success is not None:
        return recorded.last_success
    return _last_commit(settings, table)


def _last_commit(settings: Settings, table: str) -> float | None:
    """The newest commit's time of a table no recorded step wrote; None when unreadable."""
    from lakeconsole.core.explorer.history import to_commit
    from lakeconsole.core.explorer.log import latest_version, read_commit

    path = settings.lake_root / table
    try:
        commit = to_commit(read_commit(path, latest_version(path)))
    except Exception as exc:  # a damaged log: `check` names it as DAMAGE
        log.warning("freshness: cannot read the last commit of %s: %s", table, exc)
        return None
    return commit.timestamp_ms / 1000 if commit.timestamp_ms is not None else None


def _steps(
    pipeline: Pipeline,
    marts: tuple[MartFreshness, ...],
    outcomes: Mapping[str, StepOutcomes],
    now: float,
    grace_s: float,
) -> tuple[StepFreshness, ...]:
    scheduled = [m for m in marts if m.schedule is not None and m.tables]
    feeds: dict[str, list[MartFreshness]] = {name: [] for name in pipeline.order}
    for mart in scheduled:
        for name in _upstream(pipeline, mart.steps):
            feeds[name].append(mart)
    out = []
    for name in pipeline.order:
        step = pipeline.steps[name]
        seen = outcomes.get(name, StepOutcomes())
        fed = feeds[name]
        state, due, since = _step_state(fed, seen.last_success, now, grace_s)
        out.append(
            StepFreshness(
                name,
                step.layer.value,
                state,
                tuple(m.mart for m in fed),
                seen.last_success,
                seen.last_failure,
                seen.last_error,
                due,
                since,
            )
        )
    return tuple(out)


def _step_state(
    fed: list[MartFreshness], last: float | None, now: float, grace_s: float
) -> tuple[str, float | None, float | None]:
    """A step is due when the earliest of the marts it feeds is."""
    if not fed:
        return (UNSCHEDULED if last is not None else NEVER), None, None
    judged = [judge(m.schedule, last, now, grace_s) for m in fed if m.schedule is not None]
    stale = [j for j in judged if j[0] == STALE]
    if stale:
        since = [j[2] for j in stale if j[2] is not None]
        return (
            STALE,
            min((j[1] for j in stale if j[1] is not None), default=None),
            (min(since) if since else None),
        )
    return FRESH, min((j[1] for j in judged if j[1] is not None), default=None), None


def _upstream(pipeline: Pipeline, names: Iterable[str]) -> set[str]:
    """`names` and every step they depend on, directly or not."""
    out: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in out or name not in pipeline.steps:
            continue
        out.add(name)
        todo.extend(pipeline.steps[name].depends_on)
    return out


__all__ = [
    "Freshness",
    "MartFreshness",
    "StepFreshness",
    "lake_freshness",
    "mart_freshness",
]
