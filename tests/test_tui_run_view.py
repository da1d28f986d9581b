"""What the dashboard shows per step, folded from the runner's events or a run record."""

from __future__ import annotations

from lakeconsole.core.events import (
    Layer,
    RunStarted,
    StepFailed,
    StepFinished,
    StepProgress,
    StepSkipped,
    StepStarted,
    StepState,
)
from lakeconsole.core.runs import RunRecord, StepRecord
from lakeconsole.tui.dag_view import count, detail_text, state_text
from lakeconsole.tui.run_view import RunView
from tests.tui_fixtures import synthetic_pipeline

LAYERS = {"bronze_orders": Layer.BRONZE, "silver_orders": Layer.SILVER, "gold_revenue": Layer.GOLD}


def started_view() -> RunView:
    view = RunView.idle(synthetic_pipeline())
    view.apply(RunStarted("r1", 0.0, tuple(LAYERS), LAYERS))
    return view


def test_every_step_is_idle_before_a_run_and_queued_when_it_starts() -> None:
    view = RunView.idle(synthetic_pipeline())
    assert {s.state for s in view.steps.values()} == {StepState.IDLE}
    assert [s.name for s in view.by_layer()[Layer.SILVER]] == ["silver_orders"]
    view.apply(RunStarted("r1", 0.0, tuple(LAYERS), LAYERS))
    assert {s.state for s in view.steps.values()} == {StepState.QUEUED}


def test_a_running_step_shows_its_progress_and_a_finished_one_its_records() -> None:
    view = started_view()
    view.apply(StepStarted("r1", 10.0, "bronze_orders", Layer.BRONZE))
    step = view.apply(StepProgress("r1", 11.0, "bronze_orders", 1500, 3000, "rows"))
    assert step is not None
    assert detail_text(step) == "1.5k/3.0k rows · 1.5k rows/s"  # 1500 rows in its first second
    assert detail_text(step, width=20) == "1.5k/3.0k · 1.5k/s"  # a card at 80×24
    assert state_text(step, now=12.5) == "running · 2.5s"
    view.apply(StepFinished("r1", 13.0, "bronze_orders", Layer.BRONZE, 3000, 2990, 3.0))
    assert detail_text(step) == "in 3.0k → out 3.0k rows"
    assert state_text(step, now=99.0) == "succeeded · 3.0s"


def test_a_failure_shows_its_error_and_downstream_why_it_was_skipped() -> None:
    view = started_view()
    failed = view.apply(StepFailed("r1", 1.0, "bronze_orders", Layer.BRONZE, "bad CSV", 0.5))
    skipped = view.apply(
        StepSkipped("r1", 1.0, "silver_orders", Layer.SILVER, "upstream failed: bronze_orders")
    )
    assert failed is not None and skipped is not None
    assert detail_text(failed) == "bad CSV"
    assert state_text(skipped, 0.0) == "skipped"
    assert detail_text(skipped) == "upstream failed: bronze_orders"


def test_another_process_run_is_shown_from_its_record() -> None:
    view = RunView.idle(synthetic_pipeline())
    record = RunRecord(
        "r2", 1, "lakeconsole run", 0.0,
        steps=[
            StepRecord("bronze_orders", "bronze", "succeeded", 0.0, 2.0, 10, 10),
            StepRecord("silver_orders", "silver", "running", 2.0),
            StepRecord("gold_revenue", "gold", "queued"),
        ],
    )  # fmt: skip
    view.load_record(record)
    assert [s.state.value for s in view.steps.values()] == ["succeeded", "running", "queued"]
    assert view.steps["bronze_orders"].duration_s == 2.0


def test_counts_fit_a_narrow_card() -> None:
    assert [count(n) for n in (None, 999, 1000, 1_250_000, 3_000_000_000)] == [
        "-", "999", "1.0k", "1.2M", "3.0G",
    ]  # fmt: skip
