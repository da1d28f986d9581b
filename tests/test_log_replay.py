"""The damage check's live files brought forward by replaying new commits (core/log_replay.py):
after every kind of commit lakeconsole makes, the replayed files are exactly delta-rs's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.log_replay import brought_forward, commit_tip
from lakeconsole.core.table_health import live_files, table_damage
from tests.table_opens import count_table_opens


def replayed(path: Path, held: dict[str, Any], newest: int) -> Any:
    facts = brought_forward(path, held, newest)
    return None if facts is None else facts["live"]


def _held(path: Path) -> dict[str, Any]:
    dt = DeltaTable(str(path))
    version = dt.version()
    return {"key": f"{version}-x", "tip": commit_tip(path, version), "live": live_files(dt)}


def _batch(days: list[str], start: int) -> pa.Table:
    n = len(days)
    return pa.table({"day": days, "id": pa.array(range(start, start + n), pa.int64())})


def test_replayed_files_equal_delta_rs_after_append_merge_overwrite_optimize_delete_restore(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t"
    write_deltalake(str(path), _batch(["a", "b"], 0), partition_by=["day"])
    held = _held(path)
    dt = DeltaTable(str(path))
    write_deltalake(str(path), _batch(["b", "c d"], 10), partition_by=["day"], mode="append")
    dt = DeltaTable(str(path))
    (
        dt.merge(_batch(["a", "e"], 0), "t.id = s.id", source_alias="s", target_alias="t")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    write_deltalake(
        str(path), _batch(["b"], 99), partition_by=["day"], mode="overwrite", predicate="day = 'b'"
    )
    dt = DeltaTable(str(path))
    dt.optimize.compact()
    dt = DeltaTable(str(path))
    dt.delete("id = 11")
    dt = DeltaTable(str(path))
    dt.restore(1)
    dt = DeltaTable(str(path))
    assert replayed(path, held, dt.version()) == sorted(live_files(dt))


def test_no_replay_from_a_rewritten_commit_a_gap_or_a_torn_commit(tmp_path: Path) -> None:
    path = tmp_path / "t"
    write_deltalake(str(path), _batch(["a"], 0))
    held = _held(path)
    write_deltalake(str(path), _batch(["b"], 1), mode="append")
    assert replayed(path, {**held, "tip": "another commit"}, 1) is None
    assert replayed(path, held, 0) is None  # nothing after it: not a replay
    assert replayed(path, {}, 1) is None
    (path / "_delta_log" / "00000000000000000001.json").write_text("{torn\n")
    assert replayed(path, held, 1) is None
    (path / "_delta_log" / "00000000000000000001.json").unlink()
    assert replayed(path, held, 1) is None  # a gap


@pytest.fixture
def lake_table(tmp_path: Path) -> Path:
    (tmp_path / "_lakeconsole").mkdir()
    path = tmp_path / "silver" / "t"
    write_deltalake(str(path), _batch(["a", "b"], 0), partition_by=["day"])
    return path


def test_a_check_after_new_commits_replays_them_and_still_finds_a_missing_file(
    lake_table: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = lake_table
    assert table_damage(path, remember=True) == []
    write_deltalake(str(path), _batch(["c"], 5), partition_by=["day"], mode="append")
    opened = count_table_opens(monkeypatch)
    assert table_damage(path, remember=True) == []
    assert opened == []  # the new commit was replayed, the table not opened
    monkeypatch.undo()
    [entry] = (path.parents[1] / "_lakeconsole" / "cache" / "tables").glob("*.json")
    cached = json.loads(entry.read_text())
    assert sorted(tuple(f) for f in cached["live"]) == sorted(live_files(DeltaTable(str(path))))
    newest = max(path.glob("day=c/*.parquet"))
    newest.unlink()
    write_deltalake(str(path), _batch(["d"], 9), partition_by=["day"], mode="append")
    [damage] = table_damage(path, remember=True)
    assert "missing" in damage.message and damage.kind == "files"


def test_the_leftover_sweep_keeps_its_referenced_paths_across_a_replay(lake_table: Path) -> None:
    """The sweep's referenced paths are brought forward with the live files: a file a new commit
    wrote is not a leftover, an orphan parquet file still is."""
    from lakeconsole.core.leftovers import find_crash_leftovers
    from lakeconsole.core.table_health import scan_log

    path = lake_table
    table_damage(path, remember=True)
    assert find_crash_leftovers(path, scan_log(path)[1]) == []  # caches the referenced paths
    write_deltalake(str(path), _batch(["c"], 5), partition_by=["day"], mode="append")
    orphan = path / "day=c" / "part-00000-orphan-c000.snappy.parquet"
    orphan.write_bytes(b"PAR1")
    table_damage(path, remember=True)  # replays the append
    [entry] = (path.parents[1] / "_lakeconsole" / "cache" / "tables").glob("*.json")
    assert "referenced" in json.loads(entry.read_text())
    assert find_crash_leftovers(path, scan_log(path)[1]) == [orphan]


def test_a_log_file_rewritten_in_place_is_read_again_not_taken_from_the_cache(
    lake_table: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache names a table state by its log files' names, sizes and modification times:
    an older commit rewritten in place (same name) makes the check open the table again."""
    import os

    path = lake_table
    write_deltalake(str(path), _batch(["c"], 5), partition_by=["day"], mode="append")
    assert table_damage(path, remember=True) == []
    first = path / "_delta_log" / "00000000000000000000.json"
    stat = first.stat()
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    opened = count_table_opens(monkeypatch)
    assert table_damage(path, remember=True) == []
    assert opened == [str(path)]
