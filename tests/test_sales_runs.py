"""The sales pipeline end to end: idempotent re-runs, incremental runs, the demo data."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from lakeconsole.core.events import RunStatus, StepProgress
from lakeconsole.core.pipeline import load_pipeline
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import Settings
from lakeconsole.pipelines.sales.demo import write_demo
from tests.sales_fixtures import CLI, line, rows, run, snapshot, table, versions, write_csv
from tests.sales_tables import BRONZE_ORDERS, GOLD_DAILY_REVENUE, SILVER_ORDERS


def test_second_run_on_the_same_day_changes_nothing(settings: Settings, cli: CLI) -> None:
    assert cli(["demo", "--rows", "4000", "--files", "3"]).returncode == 0
    first = cli(["run"])
    assert first.returncode == 0, first.stderr
    assert "✓ Pipeline Finished: Processed" in first.stdout
    contents, tables = snapshot(settings), versions(settings)

    for _ in range(3):  # also: a no-op run exits 0 every time (no abort at interpreter exit)
        again = cli(["run"])
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip().endswith("✓ Pipeline Finished: Processed 0 records")
    assert versions(settings) == tables
    assert snapshot(settings) == contents


def test_the_run_reports_row_accounting(settings: Settings, cli: CLI) -> None:
    cli(["demo", "--rows", "3000", "--files", "2"])
    out = cli(["run"]).stdout
    for word in (
        "rows_ingested",
        "quarantined",
        "duplicates_superseded",
        "inserted",
        "dates_rewritten",
    ):
        assert word in out


def test_adding_one_file_reads_only_it_and_touches_only_its_partitions(settings: Settings) -> None:
    write_demo(settings.data_dir / "landing", rows=6000, files=3, seed=11)
    run(settings)
    silver_files_before = set(table(settings, SILVER_ORDERS.name).file_uris())
    bronze_version = table(settings, BRONZE_ORDERS.name).version()

    write_csv(
        settings,
        "june.csv",
        [line(f"J{i}", order_ts=f"2024-06-0{1 + i % 3}T09:00:00Z") for i in range(50)],
    )
    outcome = run(settings)

    assert outcome.records_processed == 50
    bronze = table(settings, BRONZE_ORDERS.name)
    assert bronze.version() == bronze_version + 1
    assert bronze.history(1)[0]["operationMetrics"]["num_added_rows"] == 50
    merge = table(settings, SILVER_ORDERS.name).history(1)[0]
    assert merge["operation"] == "MERGE"
    assert merge["operationMetrics"]["num_target_files_scanned"] == 0
    assert merge["operationMetrics"]["num_target_rows_copied"] == 0
    assert merge["operationMetrics"]["num_target_rows_inserted"] == 50
    assert silver_files_before <= set(table(settings, SILVER_ORDERS.name).file_uris())
    gold = table(settings, GOLD_DAILY_REVENUE.name).history(1)[0]
    assert gold["operationMetrics"]["num_removed_files"] == 0
    assert outcome.results["gold_daily_revenue"].details["dates_rewritten"] == 3


def test_a_resent_line_rewrites_only_its_day_of_silver(settings: Settings) -> None:
    write_csv(
        settings, "jan.csv", [line(f"A{i}", order_ts="2024-01-10T09:00:00Z") for i in range(20)]
    )
    write_csv(
        settings, "feb.csv", [line(f"B{i}", order_ts="2024-02-10T09:00:00Z") for i in range(20)]
    )
    run(settings)
    write_csv(settings, "jan_fix.csv", [line("A3", order_ts="2024-01-10T09:00:00Z", qty="4")])
    run(settings)
    metrics = table(settings, SILVER_ORDERS.name).history(1)[0]["operationMetrics"]
    assert metrics["num_target_rows_updated"] == 1
    assert metrics["num_target_rows_copied"] == 19  # the rest of 10 January, none of 10 February
    assert metrics["num_target_files_skipped_during_scan"] >= 1


def test_the_demo_is_deterministic(tmp_path: Path) -> None:
    one = write_demo(tmp_path / "one", rows=3000, files=3, seed=4)
    two = write_demo(tmp_path / "two", rows=3000, files=3, seed=4)
    other = write_demo(tmp_path / "other", rows=3000, files=3, seed=5)
    assert [f.path.read_bytes() for f in one] == [f.path.read_bytes() for f in two]
    assert [f.path.read_bytes() for f in one] != [f.path.read_bytes() for f in other]


def test_the_demo_has_resent_and_malformed_lines_of_each_kind(tmp_path: Path) -> None:
    files = write_demo(tmp_path, rows=20_000, files=4)
    text = "".join(f.path.read_text() for f in files)
    total = sum(f.rows for f in files)
    assert 0.006 < sum(f.resent for f in files) / total < 0.014
    assert 0.003 < sum(f.malformed for f in files) / total < 0.007
    for spoiled in ('"n/a"', '""', '"-3"', '"2024-02-30 25:61"'):
        assert spoiled in text
    assert files[0].resent == 0 and all(f.resent > 0 for f in files[1:])


def test_demo_command_says_what_it_wrote(settings: Settings, cli: CLI) -> None:
    result = cli(["demo", "--rows", "1000", "--files", "2"])
    assert result.returncode == 0
    assert "orders_0001.csv" in result.stdout and "orders_0002.csv" in result.stdout
    assert (settings.data_dir / "landing" / "orders_0002.csv").exists()
    bad = cli(["demo", "--rows", "0"])
    assert bad.returncode == 2 and "--rows" in bad.stderr


def test_leftovers_of_a_killed_write_are_removed_by_the_next_run(settings: Settings) -> None:
    write_csv(settings, "f1.csv", [line("A1"), line("A2")])
    run(settings)
    silver = settings.data_dir / SILVER_ORDERS.name
    data_file = next(silver.glob("order_date=*/*.parquet"))
    orphan = data_file.with_name("part-00000-orphan-c000.snappy.parquet")
    partial = data_file.with_name("part-00001-partial-c000.snappy.parquet#1")
    orphan.write_bytes(data_file.read_bytes())
    partial.write_bytes(b"PAR1 half")
    contents = snapshot(settings)
    # A killed run leaves no marks of its own and, having had work, a lake that differs from the
    # marks of the run before; here only the orphans differ, so the marks go as on a new day.
    (settings.state_dir / "cache" / "quiet-steps.json").unlink()

    outcome = run(settings)

    assert not orphan.exists() and not partial.exists()
    assert outcome.results["silver_orders"].details["leftovers_removed"] == 2
    assert snapshot(settings) == contents


def test_demo_if_empty_writes_only_into_an_empty_lake(settings: Settings, cli: CLI) -> None:
    first = cli(["demo", "--if-empty", "--rows", "1000", "--files", "1"])
    assert first.returncode == 0 and "orders_0001.csv" in first.stdout
    (settings.data_dir / "landing" / "orders_0001.csv").write_text("mine")
    again = cli(["demo", "--if-empty", "--rows", "1000", "--files", "1"])
    assert again.returncode == 0 and "already has data" in again.stdout
    assert (settings.data_dir / "landing" / "orders_0001.csv").read_text() == "mine"


def test_a_run_cancelled_between_silver_batches_finishes_on_the_next_run(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    small = replace(settings, silver_batch_rows=1000)
    write_demo(small.data_dir / "landing", rows=4000, files=2, seed=9)
    cancel = threading.Event()

    def stop_after_first_batch(event: object) -> None:
        if isinstance(event, StepProgress) and event.step == "silver_orders" and event.done > 0:
            cancel.set()

    stopped = run_pipeline(load_pipeline(), small, stop_after_first_batch, cancel_event=cancel)
    assert stopped.status == RunStatus.CANCELLED
    assert "gold_daily_revenue" not in stopped.results
    run(small)

    clean = replace(small, data_dir=tmp_path_factory.mktemp("clean") / "data")
    write_demo(clean.data_dir / "landing", rows=4000, files=2, seed=9)
    run(clean)
    assert snapshot(small) == snapshot(clean)


def test_a_demo_continued_with_after_brings_only_new_orders(settings: Settings) -> None:
    write_demo(settings.data_dir / "landing", rows=3000, files=2, seed=2)
    run(settings)
    dates_before = {r["order_date"] for r in rows(settings, SILVER_ORDERS.name)}
    nxt = write_demo(
        settings.data_dir / "landing", rows=500, files=1, seed=2, prefix="next", after=3000
    )

    outcome = run(settings)

    details = outcome.results["silver_orders"].details
    assert outcome.records_processed == nxt[0].rows
    assert details["updated"] == 0
    assert details["inserted"] == nxt[0].rows - details["quarantined"]
    new_dates = {r["order_date"] for r in rows(settings, SILVER_ORDERS.name)} - dates_before
    assert new_dates and min(new_dates) >= max(dates_before)
