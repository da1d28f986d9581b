"""Compare two versions of a keyed table: added, removed, changed by key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

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


def whole_read_counts(path: Path, old: int, new: int, key: str) -> tuple[int, int, int, int]:
    """Added, removed, changed, unchanged from both versions read whole, in Python."""

    def rows(version: int) -> dict[Any, dict[str, Any]]:
        table = pa.table(DeltaTable(path, version=version).scan())
        return {r[key]: r for r in table.to_pylist()}

    before, after = rows(old), rows(new)
    both = before.keys() & after.keys()
    changed = sum(
        any(before[k][c] != after[k][c] for c in before[k] if c in after[k] and c != key)
        for k in both
    )
    return len(after.keys() - both), len(before.keys() - both), changed, len(both) - changed


def many_kinds_of_commit(path: Path) -> Path:
    """Versions 0-7 of a table partitioned by region (one null, 8 never changed), keyed by a string:
    appends, a MERGE that also moves a line to another region, a DELETE, an overwrite of one
    region, a property change (no data files) and a new column."""

    def lines(ids: range, region: str | None, qty: int = 1) -> pa.Table:
        return pa.table(
            {
                "line": [f"L{i:04d}" for i in ids],
                "region": pa.array([region] * len(ids), pa.string()),
                "qty": [qty] * len(ids),
            }
        )

    by_region = {"partition_by": ["region"]}
    # Regions no commit touches afterwards: most files are shared, as in a real lake.
    still = [lines(range(1000 + 10 * n, 1010 + 10 * n), f"r{n}") for n in range(8)]
    first = [lines(range(0, 40), "north"), lines(range(40, 60), None), *still]
    write_deltalake(path, pa.concat_tables(first), **by_region)
    write_deltalake(path, lines(range(60, 90), "south"), mode="append", **by_region)
    write_deltalake(path, lines(range(90, 99), "north"), mode="append", **by_region)
    source = pa.concat_tables([lines(range(5, 8), "north", qty=7), lines(range(65, 66), "north")])
    source = pa.concat_tables([source, lines(range(200, 203), "east")])
    (
        DeltaTable(path)
        .merge(source, "t.line = s.line", source_alias="s", target_alias="t")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )  # 3: 5-7 changed, 65 moves south → north, 200-202 added in a new region
    DeltaTable(path).delete("line = 'L0045'")  # 4: a line of the null region
    write_deltalake(
        path, lines(range(66, 72), "south", qty=2), mode="overwrite", predicate="region = 'south'"
    )  # 5: south is now 66-71 with qty 2
    DeltaTable(path).alter.set_table_properties({"delta.appendOnly": "false"})  # 6
    wider = lines(range(300, 302), "west").append_column("note", pa.array(["x", "y"]))
    write_deltalake(path, wider, mode="append", schema_mode="merge", **by_region)  # 7
    return path


def test_compare_of_changed_files_counts_what_reading_both_versions_whole_counts(
    tmp_path: Path,
) -> None:
    path = many_kinds_of_commit(tmp_path / "lines")
    for old in range(8):
        for new in range(old + 1, 8):
            result = compare_versions(path, old, new, ["line"])
            found = (result.added, result.removed, result.changed, result.unchanged)
            assert found == whole_read_counts(path, old, new, "line"), (old, new)
    moved = compare_versions(path, 2, 3, ["line"])
    assert (moved.added, moved.changed) == (3, 4)
    assert not moved.read_whole and moved.files_differing == 5  # 2 files removed, 3 added
    assert [r.key["line"] for r in moved.changed_rows] == ["L0005", "L0006", "L0007", "L0065"]


def test_compare_sees_rows_a_deletion_vector_hides_in_a_file_both_versions_list(
    tmp_path: Path,
) -> None:
    from tests.test_foreign_tables import FOREIGN, foreign

    if not (FOREIGN / "table-with-dv-small").is_dir():
        pytest.skip(f"no foreign tables at {FOREIGN}")
    # Version 1 (Spark) deleted 2 of 10 rows by a deletion vector on the one data file.
    path = foreign("table-with-dv-small", tmp_path)
    result = compare_versions(path, 0, 1, ["value"])
    assert (
        (result.removed, result.unchanged) == (2, 8) == whole_read_counts(path, 0, 1, "value")[1::2]
    )
    assert result.files_differing == 1
