"""The quick "nothing moved" read of a table's log (`still_at`), which a run with nothing new uses
instead of opening every table: it may only say "unchanged" when the full check would."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.blocks.table_marks import changed_since, mark_of, newest_version, still_at


def _table(path: Path) -> DeltaTable:
    write_deltalake(str(path), pa.table({"x": pa.array([1, 2], pa.int64())}))
    return DeltaTable(str(path))


def test_a_table_at_its_mark_is_still_there_and_a_new_commit_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "t"
    mark = mark_of(_table(path))
    assert newest_version(path) == 0
    assert still_at(path, mark) and changed_since(DeltaTable(str(path)), mark, "t") is None
    write_deltalake(str(path), pa.table({"x": pa.array([3], pa.int64())}), mode="append")
    assert newest_version(path) == 1
    assert not still_at(path, mark)  # moved on: the caller looks properly


def test_a_table_rebuilt_to_the_same_version_is_not_taken_for_the_marked_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t"
    mark = mark_of(_table(path))
    rebuilt = {**mark, "timestamp": mark["timestamp"] - 1000}  # same version, another commit
    assert not still_at(path, rebuilt)
    assert changed_since(DeltaTable(str(path)), rebuilt, "t") is not None


def test_no_table_no_mark_or_a_torn_commit_says_look_properly(tmp_path: Path) -> None:
    path = tmp_path / "t"
    assert newest_version(path) is None and not still_at(path, {"version": 0, "timestamp": 1})
    mark = mark_of(_table(path))
    assert not still_at(path, None) and not still_at(path, {})
    (path / "_delta_log" / "00000000000000000000.json").write_text("not json\n")
    assert not still_at(path, mark)
