"""The latency watch (OPS-09) on made-up run histories."""

from __future__ import annotations

import json

import pyarrow as pa
from deltalake import write_deltalake

from lakeconsole.core.maintenance.latency import LatencyPoint, detect_creep, optimize_candidates
from lakeconsole.core.maintenance.status import latency_status
from lakeconsole.core.runs import RunRecord, runs_dir
from lakeconsole.core.settings import Settings


def _points(latencies: list[float]) -> list[LatencyPoint]:
    return [LatencyPoint(f"run{i}", 1000.0 + i, v) for i, v in enumerate(latencies)]


def test_three_slow_runs_after_a_steady_week_are_creep() -> None:
    watch = detect_creep(_points([10, 11, 9, 10, 12, 16, 17, 18]), runs=3, factor=1.5)
    assert watch.creeping and watch.baseline_median == 10
    assert "last 3 runs (16.0 s, 17.0 s, 18.0 s)" in watch.message


def test_one_fast_run_among_the_last_three_is_not_creep() -> None:
    watch = detect_creep(_points([10, 11, 9, 10, 16, 14, 18]), runs=3, factor=1.5)
    assert watch.enough_history and not watch.creeping


def test_short_history_says_it_is_not_enough() -> None:
    watch = detect_creep(_points([10, 30, 40, 50]), runs=3, factor=1.5)
    assert not watch.creeping and not watch.enough_history
    assert "not enough history: 4 run(s)" in watch.message and "needs 6" in watch.message


def _write_runs(settings: Settings, latencies: list[float]) -> None:
    folder = runs_dir(settings.state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for i, latency in enumerate(latencies):
        rec = RunRecord(
            f"20261101T0000{i:02d}-000000Z-1",
            1,
            "test",
            1_790_000_000.0 + i * 86400,
            status="succeeded",
            ended_at=1_790_000_000.0 + i * 86400 + latency,
            latency_s=latency,
        )
        (folder / f"{rec.run_id}.json").write_text(json.dumps(rec.to_json()))
    failed = RunRecord(
        "20261101T000099-000000Z-1",
        1,
        "test",
        1_790_000_000.0 + 99 * 86400,
        status="failed",
        latency_s=None,
    )
    (folder / f"{failed.run_id}.json").write_text(json.dumps(failed.to_json()))


def test_creep_in_the_run_history_names_tables_with_many_small_files(settings: Settings) -> None:
    table = settings.data_dir / "silver" / "orders"
    for i in range(4):  # four appends: four small files in one partition
        write_deltalake(str(table), pa.table({"id": [i]}), mode="append")
    write_deltalake(str(settings.data_dir / "gold" / "one"), pa.table({"id": [1]}))
    _write_runs(settings, [5, 5, 6, 5, 9, 10, 11])
    [item] = latency_status(settings)
    assert item.overdue and "latency creeping" in item.detail
    assert "optimize: silver/orders" in item.detail and "gold/one" not in item.detail


def test_steady_history_is_not_flagged(settings: Settings) -> None:
    _write_runs(settings, [5, 5, 6, 5, 5, 6, 5])
    [item] = latency_status(settings)
    assert not item.overdue and "steady" in item.detail


def test_after_optimize_only_growth_since_then_counts(settings: Settings) -> None:
    from lakeconsole.core.maintenance.optimize import optimize_tables

    table = settings.data_dir / "silver" / "orders"
    for i in range(3):
        write_deltalake(str(table), pa.table({"id": [i]}), mode="append")
    [result] = optimize_tables([table], settings)
    assert (result.before.files, result.after.files) == (3, 1)
    assert optimize_candidates(settings) == []
    for i in range(2):
        write_deltalake(str(table), pa.table({"id": [i]}), mode="append")
    grown = ("silver/orders", "1 → 3 files since the last OPTIMIZE")
    assert optimize_candidates(settings) == [grown]
