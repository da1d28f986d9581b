"""The health check and the leftover sweep keep what a table's log state says in the lake's state
folder (issue 18: a no-op run opened every table to read its live files). A warm cache must
never make them miss damage or a leftover, nor carry one table state's files over to another."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.leftovers import find_crash_leftovers, remove_crash_leftovers
from lakeconsole.core.settings import Settings
from lakeconsole.core.table_health import (
    CACHE_DIR,
    TableCache,
    refuse_damaged_outputs,
    scan_log,
    table_damage,
)
from tests.maintenance_fixtures import make_table


def cached(settings: Settings, table: Path) -> dict[str, object]:
    cache = TableCache(table, scan_log(table)[1])
    assert cache.file is not None and cache.file.is_relative_to(settings.state_dir / CACHE_DIR)
    return {f: cache.get(f) for f in ("live", "referenced")}


def live(table: Path) -> list[Path]:
    return [table / p for p in DeltaTable(str(table)).file_uris()]


def test_a_warm_cache_still_finds_a_missing_or_resized_live_file(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=1)
    assert table_damage(table, remember=True) == []
    assert cached(settings, table)["live"]  # the second check reads no add actions
    first = live(table)[0]
    size = first.stat().st_size
    first.write_bytes(first.read_bytes() + b"x")
    assert [d.kind for d in table_damage(table)] == ["files"]
    assert "not the size the log records" in table_damage(table)[0].message
    first.write_bytes(first.read_bytes()[:size])
    assert table_damage(table) == []
    first.unlink()
    assert "live file(s) of silver/orders are missing" in table_damage(table)[0].message


def test_a_new_commit_is_a_new_state(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=0)
    refuse_damaged_outputs(settings.data_dir, ("silver/orders",))  # a run's check remembers
    before = scan_log(table)[1]
    write_deltalake(str(table), pa.table({"id": [7], "version": [0]}), mode="append")
    assert scan_log(table)[1] != before
    added = set(live(table)) - {table / p for p, _ in cached_files(table, before)}
    [new] = added
    new.unlink()
    assert [d.kind for d in table_damage(table)] == ["files"]


def cached_files(table: Path, key: str | None) -> list[tuple[str, int]]:
    files = TableCache(table, key).get("live")
    assert files is not None
    return [(p, s) for p, s in files]


def test_a_restored_table_at_the_same_version_is_not_taken_for_the_old_one(
    settings: Settings, tmp_path: Path
) -> None:
    """A restore can bring back other commits under the same version numbers."""
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=1)
    other = make_table(tmp_path / "other" / "orders", overwrites=1, rows=5)
    assert table_damage(table, remember=True) == []
    old_key = scan_log(table)[1]
    shutil.rmtree(table)
    shutil.copytree(other, table)
    assert DeltaTable(str(table)).version() == 1
    assert scan_log(table)[1] != old_key
    assert table_damage(table) == []
    live(table)[0].unlink()
    assert [d.kind for d in table_damage(table)] == ["files"]


def test_a_warm_cache_still_finds_new_leftovers(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=1)
    assert remove_crash_leftovers(table, min_age_s=0) == []
    assert cached(settings, table)["referenced"]
    orphan = table / "part-00009-0000dead-beef-c000.snappy.parquet"
    pq.write_table(pa.table({"id": [99], "version": [99]}), orphan)
    assert find_crash_leftovers(table, scan_log(table)[1]) == [orphan]
    assert remove_crash_leftovers(table, min_age_s=0) == [orphan]
    assert not orphan.exists()
    assert table_damage(table) == []


def test_an_unwritable_or_torn_cache_costs_nothing_but_time(settings: Settings) -> None:
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=1)
    assert table_damage(table, remember=True) == []
    cache = TableCache(table, scan_log(table)[1])
    assert cache.file is not None
    cache.file.write_text('{"key": ')  # torn
    assert table_damage(table, remember=True) == []
    assert cached(settings, table)["live"]  # worked out and written again
    outside = make_table(Path(settings.data_dir.parent) / "elsewhere" / "t", overwrites=0)
    assert TableCache(outside, scan_log(outside)[1]).file is None  # no lake above: no cache
    assert table_damage(outside) == []


def test_a_check_without_remember_writes_nothing(settings: Settings) -> None:
    """`lakeconsole check` and backups only read the lake (test_backup_only_reads_the_lake)."""
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=1)
    assert table_damage(table) == []
    assert not (settings.state_dir / CACHE_DIR).exists()


def test_the_first_run_leaves_each_table_it_made_in_the_cache(settings: Settings) -> None:
    """Else the next run's check has no state to bring forward and opens each table whole
    (the first daily run after a full run paid 0.05-0.1 s at 10M lines)."""
    from lakeconsole.core.pipeline import load_pipeline
    from tests.sales_fixtures import line, run, write_csv

    write_csv(settings, "orders_1.csv", [line("A1"), line("A2", order_ts="yesterday")])
    run(settings)
    outputs = [o for step in load_pipeline().steps.values() for o in step.outputs]
    assert len(outputs) == 3  # bronze, silver, gold: the tables the check reads before a step
    for table in (settings.data_dir / o for o in outputs):
        held = cached(settings, table)["live"]
        assert isinstance(held, list), table
        assert {table / p for p, _ in held} == set(live(table)), table


def test_the_first_run_leaves_the_paths_its_commits_name_for_the_leftover_sweep(
    settings: Settings,
) -> None:
    """The next run's sweep reads them from the cache, not from the log and its checkpoint
    (45 ms at 10M rows); its quarantine is a table the step writes too."""
    from lakeconsole.core.pipeline import load_pipeline
    from tests.sales_fixtures import line, run, write_csv

    write_csv(settings, "orders_1.csv", [line("A1"), line("A2", order_ts="yesterday")])
    run(settings)
    written = [o for s in load_pipeline().steps.values() for o in (*s.outputs, *s.also_writes)]
    for table in (settings.data_dir / o for o in written):
        if (table / "_delta_log").is_dir():
            referenced = cached(settings, table)["referenced"]
            assert isinstance(referenced, list), table
            assert {table / p for p in referenced} >= set(live(table)), table
