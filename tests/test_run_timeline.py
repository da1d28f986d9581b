"""core.run_timeline: the bars both faces draw for one run (cli/runs.py, tui/screens/runs.py)."""

from __future__ import annotations

from lakeconsole.core.run_timeline import axis, bar, seconds, timeline
from lakeconsole.core.runs import RunRecord, StepRecord


def failed_run() -> RunRecord:
    record = RunRecord("r", 1, "lakeconsole run", 100.0, "failed", 110.0, trigger="cli")
    record.steps = [
        StepRecord("bronze", "bronze", "succeeded", 100.0, 102.5, 1200, 1200),
        StepRecord("silver", "silver", "failed", 102.5, 110.0, error="bad type"),
        StepRecord("gold", "gold", "skipped", reason="upstream failed: silver"),
    ]
    return record


def test_steps_share_the_runs_time_axis_and_never_overlap_their_width() -> None:
    bronze, silver, gold = timeline(failed_run(), 40, now=500.0)
    assert bronze.bar == "█" * 10 + " " * 30  # the first quarter of the run
    assert silver.bar == " " * 10 + "█" * 30  # from there to the end
    assert gold.bar == " " * 40 and gold.note == "upstream failed: silver"
    assert bronze.counts == "1,200 → 1,200 rows" and silver.counts == ""


def test_a_step_too_short_to_see_still_shows_a_sliver() -> None:
    assert bar(0.5, 0.5001, 10) == "     ▏    "
    assert bar(0.99, 1.0, 10) == "         █"
    assert len(bar(0.0, 1.0, 7)) == 7


def test_a_running_step_reaches_now() -> None:
    record = RunRecord("r", 1, "lakeconsole console", 100.0, "running", trigger="console")
    record.steps = [StepRecord("bronze", "bronze", "running", 100.0)]
    (row,) = timeline(record, 10, now=104.0)
    assert row.bar == "█" * 10


def test_the_axis_is_labelled_at_start_middle_and_end() -> None:
    line = axis(10.0, 30)
    assert line.startswith("0s") and line.endswith("10.0s") and "5.0s" in line
    assert len(line) == 30
    assert seconds(0.042) == "0.04s" and seconds(135) == "2m15s" and seconds(7260) == "2h01m"


def test_a_narrow_line_keeps_what_came_out_with_its_unit() -> None:
    from lakeconsole.core.run_timeline import counts_text

    gold = StepRecord("gold", "gold", "succeeded", 100.0, 101.0, 90, 17868, records_in_unit="dates")
    assert counts_text(gold) == "90 dates → 17,868 rows"
    assert counts_text(gold, short=True) == "→ 17,868 rows"  # not "90 dates → 17,868 r…"
    (row,) = timeline(RunRecord("r", 1, "c", 100.0, "succeeded", 101.0, steps=[gold]), 20, 101.0)
    assert row.counts_short == "→ 17,868 rows"
