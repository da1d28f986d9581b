"""Compare two versions of a keyed table: added, removed, changed by key."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from lakeconsole.core.explorer.compare import compare_versions, parse_range
from lakeconsole.core.explorer.table import ExplorerError
from tests.explorer_fixtures import orders_table


def test_compare_counts_rows_added_removed_and_changed_by_key(tmp_path: Path) -> None:
    path = orders_table(tmp_path / "orders")
    # v1: ids 1-4; v4: 2 (amount changed by the merge), 3, 4, 5 (inserted); 1 deleted.
    result = compare_versions(path, 1, 4, ["id"])
    assert (result.added, result.removed) == (1, 1)
    assert result.samples["added"] == [{"id": 5}]
    assert result.samples["removed"] == [{"id": 1}]
    assert result.changed == 1 and result.samples["changed"] == [{"id": 2}]
    assert result.unchanged == 2
    assert result.compared_columns == ["amount"]  # `note` and `channel` are not in both
    assert result.schema.added == [("note", "string")]


def test_compare_infers_an_id_key(tmp_path: Path) -> None:
    result = compare_versions(orders_table(tmp_path / "orders"), 0, 1)
    assert result.keys == ["id"]
    assert (result.added, result.removed, result.changed) == (1, 0, 0)


def test_compare_uses_a_composite_key(tmp_path: Path) -> None:
    path = tmp_path / "lines"
    write_deltalake(
        path, pa.table({"order_id": ["a", "a", "b"], "line_no": [1, 2, 1], "qty": [1, 2, 3]})
    )
    write_deltalake(
        path,
        pa.table({"order_id": ["a", "a", "b"], "line_no": [1, 2, 2], "qty": [1, 5, 3]}),
        mode="overwrite",
    )
    result = compare_versions(path, 0, 1, ["order_id", "line_no"])
    assert (result.added, result.removed, result.changed, result.unchanged) == (1, 1, 1, 1)
    assert result.samples["changed"] == [{"order_id": "a", "line_no": 2}]


def test_compare_refuses_a_key_that_is_not_unique(tmp_path: Path) -> None:
    path = tmp_path / "dupes"
    write_deltalake(path, pa.table({"k": [1, 1], "v": [1, 2]}))
    write_deltalake(path, pa.table({"k": [1], "v": [3]}), mode="append")
    with pytest.raises(ExplorerError, match="not unique in version 0"):
        compare_versions(path, 0, 1, ["k"])


def test_compare_without_a_known_key_asks_for_one(tmp_path: Path) -> None:
    path = tmp_path / "nokey"
    write_deltalake(path, pa.table({"k": [1], "v": [1]}))
    write_deltalake(path, pa.table({"k": [2], "v": [1]}), mode="append")
    with pytest.raises(ExplorerError, match="No key known for nokey: name the columns"):
        compare_versions(path, 0, 1)


def test_version_range_is_old_dot_dot_new() -> None:
    assert parse_range("3..7") == (3, 7)
    with pytest.raises(ExplorerError, match=r"OLD\.\.NEW"):
        parse_range("3-7")
