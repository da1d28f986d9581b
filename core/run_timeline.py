"""One run as a timeline: a bar per step on the run's own time axis, drawn with block characters,
and the words `lakeconsole runs` and the console's runs screen both show for a run."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from lakeconsole.core.events import StepState
from lakeconsole.core.runs import RunRecord, StepRecord
from lakeconsole.core.units import count

# A bar ends inside a cell: ▏ is one eighth of it, █ the whole cell.
EIGHTHS = " ▏▎▍▌▋▊▉█"
NO_TRIGGER = "—"  # an old record that does not say what started it
# A step's state at a glance, as the dashboard's step cards mark it.
MARKS = {
    StepState.IDLE.value: "○",
    StepState.QUEUED.value: "◌",
    StepState.RUNNING.value: "▶",
    StepState.SUCCEEDED.value: "✓",
    StepState.FAILED.value: "✗",
    StepState.SKIPPED.value: "⊘",
    StepState.CANCELLED.value: "■",
}


def seconds(s: float | None) -> str:
    """0.042 → '0.04s', 4.25 → '4.2s', 135 → '2m15s' (as the dashboard's cards say them)."""
    if s is None:
        return ""
    if s < 1:
        return f"{s:.2f}s"  # a step on a small lake: 0.0s would say it did nothing
    if s < 60:
        return f"{s:.1f}s"
    minutes, rest = divmod(int(s), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def trigger_text(record: RunRecord) -> str:
    return record.trigger or NO_TRIGGER


def run_summary(record: RunRecord, now: float) -> str:
    """'started 2026-12-03 10:15:02 · trigger cli · took 6.5s · 1,200 records': the line under a
    run's id in `lakeconsole runs RUN_ID` and in the console's run view."""
    took = seconds(run_duration(record, now)) or "-"
    return (
        f"started {started_text(record)} · trigger {trigger_text(record)} · took {took} · "
        f"{count(record.records_processed)} records"
    )


def engines_line(record: RunRecord) -> str:
    """'silver_orders, gold_daily_revenue ran on spark sc://host:15002; the others here': under
    the summary (CLI and console) when a step ran on another engine (core/engines); else ''."""
    elsewhere: dict[str, list[str]] = {}
    for step in record.steps:
        if step.engine != "local":
            elsewhere.setdefault(step.engine, []).append(step.name)
    if not elsewhere:
        return ""
    said = "; ".join(f"{', '.join(names)} ran on {engine}" for engine, names in elsewhere.items())
    rest = sum(len(n) for n in elsewhere.values()) < len(record.steps)
    return said + ("; the others ran here" if rest else "")


def started_text(record: RunRecord) -> str:
    """Local time, as `lakeconsole runs` has always printed it."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.started_at))


def run_duration(record: RunRecord, now: float) -> float | None:
    """How long the run took, or has taken so far while it goes; None for one cut off."""
    if record.ended_at is not None:
        return record.ended_at - record.started_at
    return now - record.started_at if record.status == "running" else None


def records_in_unit(step: StepRecord) -> str:
    """What a recorded step's records in count (the step says: a gold step counts dates,
    partitions or tables); in a record written before steps said so, gold's detail tells."""
    if step.records_in_unit is not None:
        return step.records_in_unit
    return "dates" if "dates_recomputed" in step.details else "rows"


def counts_text(step: StepRecord, short: bool = False) -> str:
    """'1,200 → 1,200 rows', '90 dates → 496 rows'; short: '→ 496 rows', what came out (a
    narrow line keeps the unit rather than cutting it); '' for a step that did not finish."""
    if step.state != StepState.SUCCEEDED.value:
        return ""
    if short:
        return f"→ {count(step.records_out)} rows"
    unit = records_in_unit(step)
    if unit == "rows":
        return f"{count(step.records_in)} → {count(step.records_out)} rows"
    return f"{count(step.records_in)} {unit} → {count(step.records_out)} rows"


@dataclass(frozen=True)
class TimelineRow:
    """One step of a run on the run's time axis."""

    step: str
    layer: str
    state: str
    bar: str  # exactly `width` characters: blank before the step started, blocks while it ran
    duration: str
    counts: str
    note: str  # why it did not run, or its error's first line
    counts_short: str = ""  # counts where they do not fit: what came out


def bar(start: float, end: float, width: int) -> str:
    """A bar from `start` to `end` (fractions of the axis, 0..1) in `width` cells. A step too
    short to see still gets a sliver, so every step that ran shows."""
    first = min(width - 1, math.floor(start * width))
    end_eighths = max(first * 8 + 1, round(end * width * 8))
    full, part = divmod(min(end_eighths, width * 8), 8)
    text = " " * first + "█" * (full - first) + (EIGHTHS[part] if part else "")
    return text.ljust(width)


def timeline(record: RunRecord, width: int, now: float) -> list[TimelineRow]:
    """The steps of `record`, each with a bar `width` wide on one axis: the run's start to its
    end (or `now` while it goes)."""
    span = max(axis_span(record, now), 1e-9)
    rows = []
    for step in record.steps:
        started = step.started_at
        ended = step.ended_at if step.ended_at is not None else (now if started else None)
        if started is None or ended is None:
            drawn = " " * width
        else:
            drawn = bar(
                (started - record.started_at) / span, (ended - record.started_at) / span, width
            )
        note = step.reason or step.error or ""
        rows.append(
            TimelineRow(
                step.name,
                step.layer,
                step.state,
                drawn,
                seconds(step.duration_s),
                counts_text(step),
                note,
                counts_text(step, short=True),
            )
        )
    return rows


def axis(total_s: float, width: int) -> str:
    """The time axis under the bars: '0s' on the left, the middle and the end labelled."""
    line = ["─"] * width
    left, mid, right = "0s", seconds(total_s / 2), seconds(total_s)
    for at, label in ((0, left), ((width - len(mid)) // 2, mid), (width - len(right), right)):
        line[at : at + len(label)] = label
    return "".join(line[:width])


def axis_span(record: RunRecord, now: float) -> float:
    """The seconds the axis of `timeline` covers."""
    ends = [s.ended_at for s in record.steps if s.ended_at is not None]
    end = record.ended_at or max([now if record.status == "running" else record.started_at, *ends])
    return max(end - record.started_at, 0.0)


def fit(text: str, width: int) -> str:
    """`text` cut to `width` characters, with … when something was cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
