"""The latency watch (OPS-09): end-to-end latency per run, and whether it is creeping up.

The rule, from the settings: the last LATENCY_CREEP_RUNS runs all took more than
LATENCY_CREEP_FACTOR x the median of the runs before them. When it fires, the tables worth an
OPTIMIZE / Z-ORDER are those whose file counts grew (or that hold many small files).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from lakeconsole.core.maintenance.ledger import last_done
from lakeconsole.core.maintenance.tables import table_files, table_name
from lakeconsole.core.run_trends import LatencyPoint, grown_step_advice, latency_trend
from lakeconsole.core.runs import RunRecord, load_runs
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath, state_home

MIN_BASELINE_RUNS = 3  # a median of fewer runs says little about the "usual level"
BASELINE_WINDOW = 20  # the usual level is that of the recent past, not of the first run ever


@dataclass(frozen=True)
class LatencyWatch:
    """The recent latencies and what the creep rule says about them."""

    points: tuple[LatencyPoint, ...]  # oldest first
    creeping: bool
    enough_history: bool
    baseline_median: float | None
    message: str


def latency_points(runs: list[RunRecord]) -> list[LatencyPoint]:
    """Succeeded runs that went bronze to gold, oldest first (the dashboard's chart shows these)."""
    return latency_trend(runs)


def detect_creep(points: list[LatencyPoint], runs: int, factor: float) -> LatencyWatch:
    """Apply the creep rule to latencies (oldest first)."""
    need = runs + MIN_BASELINE_RUNS
    if len(points) < need:
        return LatencyWatch(
            tuple(points),
            False,
            False,
            None,
            f"not enough history: {len(points)} run(s) with an end-to-end latency, "
            f"the watch needs {need} ({runs} recent + {MIN_BASELINE_RUNS} before them)",
        )
    recent = [p.latency_s for p in points[-runs:]]
    baseline = [p.latency_s for p in points[:-runs]][-BASELINE_WINDOW:]
    median = statistics.median(baseline)
    limit = factor * median
    shown = ", ".join(f"{v:.1f} s" for v in recent)
    if all(v > limit for v in recent):
        message = (
            f"latency creeping: the last {runs} runs ({shown}) all took more than "
            f"{factor:g} × the median {median:.1f} s of the {len(baseline)} runs before; "
            "OPTIMIZE / Z-ORDER may help (OPS-09)"
        )
        return LatencyWatch(tuple(points), True, True, median, message)
    return LatencyWatch(
        tuple(points),
        False,
        True,
        median,
        f"latency steady: last {runs} runs {shown}, usual {median:.1f} s",
    )


def latency_watch(settings: Settings, limit: int = 200) -> LatencyWatch:
    """The creep rule applied to the run history in the settings' lake; creep names the step
    that grew and its tables (issue 17: the advice points at that step's tables)."""
    records = load_runs(state_home(settings), limit=limit)
    runs = settings.latency_creep_runs
    watch = detect_creep(latency_points(records), runs, settings.latency_creep_factor)
    grew = grown_step_advice(settings, records, runs) if watch.creeping else ""
    return replace(watch, message=f"{watch.message}; {grew}") if grew else watch


def optimize_candidates(
    settings: Settings, tables: Sequence[LakePath] | None = None
) -> list[tuple[str, str]]:
    """Tables worth an OPTIMIZE: (name, why). File counts grown since the last OPTIMIZE, or,
    for a table never optimized, several small files sharing a partition."""
    from lakeconsole.core.lake import find_tables

    optimized = last_done(state_home(settings), "optimize")
    out: list[tuple[str, str]] = []
    lake = settings.lake_root
    for table in find_tables(lake) if tables is None else tables:
        name = table_name(lake, table)
        files = table_files(table)
        previous = optimized.get(name)
        if previous is not None:
            then = int(previous.get("files_after", files.files))
            if files.files > then and files.small_files >= 2:
                out.append((name, f"{then} → {files.files} files since the last OPTIMIZE"))
        elif files.small_files >= 2:
            out.append(
                (
                    name,
                    f"{files.small_files} of {files.files} files are small and share a partition",
                )
            )
    return out
