"""Latency creep names the step whose time grew and that step's tables, so OPTIMIZE / Z-ORDER is
pointed where the time went (issue 17, deliverable 5), in the maintenance summary and its alert."""

from __future__ import annotations

import json

from lakeconsole.core.maintenance.latency import latency_watch
from lakeconsole.core.maintenance.status import latency_status
from lakeconsole.core.runs import RunRecord, StepRecord, runs_dir
from lakeconsole.core.settings import Settings

DAY = 86400.0


def write_runs(settings: Settings, silver_s: list[float]) -> None:
    """Succeeded runs of the sales steps, one a day: bronze 1 s, silver as given, gold 2 s."""
    folder = runs_dir(settings.state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for i, silver in enumerate(silver_s):
        start = 1_790_000_000.0 + i * DAY
        steps, t = [], start
        for name, layer, took in (
            ("bronze_ingest", "bronze", 1.0),
            ("silver_orders", "silver", silver),
            ("gold_daily_revenue", "gold", 2.0),
        ):
            steps.append(StepRecord(name, layer, "succeeded", t, t + took))
            t += took
        record = RunRecord(
            f"20261101T0000{i:02d}-000000Z-1",
            1,
            "lakeconsole run",
            start,
            status="succeeded",
            ended_at=t,
            latency_s=t - start,
            steps=steps,
        )
        (folder / f"{record.run_id}.json").write_text(json.dumps(record.to_json()))


def test_creep_names_the_step_that_grew_and_its_tables(settings: Settings) -> None:
    write_runs(settings, [2, 2, 2.2, 2, 9, 10, 11])  # silver took 5x longer in the last 3 runs
    watch = latency_watch(settings)
    assert watch.creeping
    assert (
        "step silver_orders grew most (2.0s → 10.0s, the median of the last 3 run(s) against "
        "the 4 before); its tables: silver/sales_orders"
    ) in watch.message
    [item] = latency_status(settings)  # the maintenance panel's line, and the creep alert's
    assert "step silver_orders grew most" in item.detail


def test_steady_runs_name_no_step(settings: Settings) -> None:
    write_runs(settings, [2, 2, 2.2, 2, 2, 2.1, 2])
    watch = latency_watch(settings)
    assert not watch.creeping and "grew most" not in watch.message
