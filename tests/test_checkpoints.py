"""Pipeline tables get a checkpoint every CHECKPOINT_EVERY commits (core/checkpoints.py), not
delta-rs's 100: every opening replays the commits since the last one (silver at 10M lines:
19 ms from 42 commits, 5 ms from a checkpoint), and a run opens silver several times."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.checkpoints import (
    CHECKPOINT_EVERY,
    checkpoint_when_due,
    commits_since_checkpoint,
)
from lakeconsole.core.events import RunStatus
from lakeconsole.core.pipeline import forget_loaded, load_pipeline
from lakeconsole.core.runner import run_pipeline
from lakeconsole.core.settings import Settings, load_settings
from lakeconsole.core.table_health import (
    TableCache,
    refuse_damaged_outputs,
    scan_log,
    table_damage,
)
from tests.conftest import Shipped
from tests.maintenance_fixtures import make_table, read_rows


def test_a_run_of_many_batches_leaves_its_tables_few_commits_to_replay(shipped: Shipped) -> None:
    (Path(shipped.env["LAKECONSOLE_HOME"]) / ".env").write_text("SILVER_BATCH_ROWS=1000\n")
    settings = load_settings(shipped.env)
    shipped.write_demo(rows=15_000, files=3)
    forget_loaded()
    outcome = run_pipeline(load_pipeline(settings), settings)
    assert outcome.status == RunStatus.SUCCEEDED, outcome.error
    silver = next(n for n, s in shipped.declared.specs().items() if s.layer == "silver")
    assert DeltaTable(str(settings.data_dir / silver)).version() > CHECKPOINT_EVERY  # it was due
    for name in shipped.declared.specs():
        if (settings.data_dir / name / "_delta_log").is_dir():
            assert commits_since_checkpoint(settings.data_dir / name) < CHECKPOINT_EVERY, name


def test_a_checkpoint_comes_when_due_and_changes_no_row(tmp_path: Path) -> None:
    table = make_table(tmp_path / "silver" / "orders", overwrites=CHECKPOINT_EVERY - 2)
    checkpoint_when_due(tmp_path, ["silver/orders", "silver/not_a_table"])
    assert commits_since_checkpoint(table) == CHECKPOINT_EVERY - 1  # not due yet
    write_deltalake(str(table), pa.table({"id": [7], "version": [9]}), mode="append")
    rows = read_rows(table)
    checkpoint_when_due(tmp_path, ["silver/orders"])
    assert commits_since_checkpoint(table) == 0
    assert read_rows(table) == rows
    assert DeltaTable(str(table), version=1).version() == 1  # older versions still open


def test_the_damage_checks_cache_outlives_a_checkpoint(settings: Settings) -> None:
    """A checkpoint changes no live file: the next run's check must not open the table whole
    because the log listing changed (30-45 ms at 10M rows)."""
    table = make_table(settings.data_dir / "silver" / "orders", overwrites=CHECKPOINT_EVERY - 1)
    refuse_damaged_outputs(settings.data_dir, ("silver/orders",))  # a run's check remembers
    write_deltalake(str(table), pa.table({"id": [7], "version": [9]}), mode="append")
    checkpoint_when_due(settings.data_dir, ["silver/orders"])
    assert commits_since_checkpoint(table) == 0
    held = TableCache(table, scan_log(table)[1]).get("live")
    assert held is not None
    assert {table / p for p, _ in held} == {table / p for p in DeltaTable(str(table)).file_uris()}


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1],  # cut short by one byte
        lambda b: b[:-8] + (len(b)).to_bytes(4, "little") + b"PAR1",  # a footer longer than it
        lambda b: b"JUNK" + b[4:],  # overwritten at its start
    ],
)
def test_a_checkpoint_that_is_not_whole_is_found(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    table = make_table(tmp_path / "silver" / "orders", overwrites=CHECKPOINT_EVERY)
    checkpoint_when_due(tmp_path, ["silver/orders"])
    [part] = (table / "_delta_log").glob("*.checkpoint.parquet")
    assert table_damage(table) == []
    part.write_bytes(damage(part.read_bytes()))
    (found,) = table_damage(table)
    assert found.kind == "checkpoint" and "is unreadable" in found.message
