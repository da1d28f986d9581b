"""Silver cleans the lines bronze committed in this run from memory (core.blocks.handoff), not
read back from bronze: the same tables either way, and only while they are exactly bronze's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.blocks import handoff, silver
from lakeconsole.core.blocks.ledger import Ingested
from lakeconsole.core.blocks.segments import Segment
from lakeconsole.core.events import RunStatus
from lakeconsole.core.pipeline import forget_loaded, load_pipeline
from lakeconsole.core.runner import run_pipeline
from tests.conftest import Shipped


def _run(shipped: Shipped) -> str:
    forget_loaded()
    outcome = run_pipeline(load_pipeline(shipped.settings), shipped.settings)
    assert outcome.status == RunStatus.SUCCEEDED, outcome.error
    return outcome.run_id


def _bronze_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries silver sends to bronze, recorded."""
    sent: list[str] = []
    real = silver.query

    def query(dt: DeltaTable, sql: str, name: str = "t") -> Any:
        if name == "bronze":
            sent.append(sql)
        return real(dt, sql, name)

    monkeypatch.setattr(silver, "query", query)
    return sent


def test_a_daily_file_is_cleaned_from_memory_into_the_same_tables(
    shipped: Shipped, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_back = shipped.elsewhere(tmp_path / "read-back")
    for lake in (shipped, read_back):
        lake.write_demo(rows=3000, files=1, seed=3)
    sent = _bronze_reads(monkeypatch)
    _run(shipped)
    assert sent == []  # every batch came from what bronze wrote
    monkeypatch.setattr(handoff, "KEEP_ROWS", 0)
    _run(read_back)
    assert sent  # read back from bronze, as before
    assert shipped.snapshot() == read_back.snapshot()


def test_a_file_too_big_to_keep_is_read_back(
    shipped: Shipped, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped.write_demo(rows=3000, files=2, seed=3)
    monkeypatch.setattr(handoff, "KEEP_ROWS", 2000)  # the first file fits, the second not
    sent = _bronze_reads(monkeypatch)
    run_id = _run(shipped)
    assert len(sent) == 1 and sent[0].count("_source_hash =") == 1  # the second file alone
    assert all(r.run_id != run_id for r in handoff._runs.values())  # nothing kept past the run


def _taken(table: Path, dt: DeltaTable, run_id: str, segment: Segment) -> list[str] | None:
    parts, rest = handoff.take(run_id, table, dt, [segment])
    assert len(parts) + len(rest) == 1
    return parts[0].column("v").to_pylist() if parts else None


def _kept_file(tmp_path: Path) -> tuple[DeltaTable, Segment]:
    table = tmp_path / "bronze" / "t"
    rows = pa.table({"v": ["a", "b", "c"], "_source_row": pa.array([1, 2, 3], pa.int64())})
    write_deltalake(str(table), rows)
    dt = DeltaTable(str(table))
    handoff.keep("run-1", table, dt.version(), handoff.Committed("f.csv", "h1", rows))
    return dt, Segment(Ingested("f.csv", "h1", 3, "2026-12-04T00:00:00.000000Z"), 2, 3)


def test_rows_are_taken_only_while_bronze_is_as_this_run_left_it(tmp_path: Path) -> None:
    dt, segment = _kept_file(tmp_path)
    table = tmp_path / "bronze" / "t"
    try:
        assert _taken(table, dt, "run-1", segment) == ["b", "c"]
        assert _taken(table, dt, "run-2", segment) is None  # another run's
        other = Segment(Ingested("f.csv", "h2", 3, "2026-12-04T00:00:00.000000Z"), 1, 3)
        assert _taken(table, dt, "run-1", other) is None  # other content under the same name
        assert _taken(table, dt, "run-1", Segment(segment.file, 2, 4)) is None  # rows it never had
        write_deltalake(str(table), pa.table({"v": ["d"], "_source_row": [1]}), mode="append")
        dt.update_incremental()  # a commit this run did not make (a restore, another writer)
        assert _taken(table, dt, "run-1", segment) is None
    finally:
        handoff.forget("run-1")
