"""One version: rows as of that version, paged; schema and what changed."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from lakeconsole.core.explorer.table import ExplorerError
from lakeconsole.core.explorer.version import rows_page, schema_at
from tests.explorer_fixtures import orders_table, rows_at


@pytest.mark.parametrize("version", [0, 1, 2, 3, 4])
def test_rows_at_version_n_are_exactly_version_ns(tmp_path: Path, version: int) -> None:
    path = orders_table(tmp_path / "orders")
    page = rows_page(path, version, offset=0, limit=100)
    assert sorted(page.table.to_pylist(), key=lambda r: r["id"]) == rows_at(path, version)
    assert page.total_rows == len(rows_at(path, version))
    assert not page.has_more


def test_schema_diff_names_added_and_removed_columns(tmp_path: Path) -> None:
    schema = schema_at(orders_table(tmp_path / "orders"), 3)
    assert [c.name for c in schema.columns] == ["id", "amount", "note"]
    assert schema.previous == 2
    assert schema.diff is not None
    assert schema.diff.added == [("note", "string")]
    assert schema.diff.removed == [("channel", "string")]
    assert schema.diff.lines() == ["+ note: string", "- channel: string"]


def test_schema_diff_reports_a_changed_type(tmp_path: Path) -> None:
    path = tmp_path / "t"
    write_deltalake(path, pa.table({"id": pa.array([1], pa.int32())}))
    write_deltalake(
        path,
        pa.table({"id": pa.array(["1"], pa.string())}),
        mode="overwrite",
        schema_mode="overwrite",
    )
    diff = schema_at(path).diff
    assert diff is not None and diff.changed == [("id", "integer", "string")]


def test_first_version_has_nothing_to_compare(tmp_path: Path) -> None:
    assert schema_at(orders_table(tmp_path / "orders"), 0).diff is None


def test_pages_follow_each_other_without_overlap(tmp_path: Path) -> None:
    path = tmp_path / "paged"
    for start in range(0, 50, 10):  # five files of ten rows
        write_deltalake(path, pa.table({"id": list(range(start, start + 10))}), mode="append")
    got: list[int] = []
    offset = 0
    while True:
        page = rows_page(path, None, offset=offset, limit=7)
        got += page.table.column("id").to_pylist()
        offset += page.table.num_rows
        if not page.has_more:
            break
    assert sorted(got) == list(range(50))
    assert len(got) == 50


def test_partitioned_table_rows_carry_their_partition_values(tmp_path: Path) -> None:
    path = tmp_path / "by_day"
    write_deltalake(path, pa.table({"day": ["a", "b", "a"], "id": [1, 2, 3]}), partition_by=["day"])
    rows = rows_page(path, None, 0, 10).table.to_pylist()
    assert sorted(rows, key=lambda r: r["id"]) == [
        {"day": "a", "id": 1},
        {"day": "b", "id": 2},
        {"day": "a", "id": 3},
    ]


def test_missing_version_is_one_clear_error(tmp_path: Path) -> None:
    path = orders_table(tmp_path / "orders")
    with pytest.raises(ExplorerError, match=r"Version 42 .* does not exist.*latest is 4"):
        rows_page(path, 42)


def test_dates_and_times_show_as_plain_text(tmp_path: Path) -> None:
    import datetime as dt

    from lakeconsole.core.explorer.version import text_rows

    path = tmp_path / "when"
    stamp = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    write_deltalake(
        path,
        pa.table(
            {"day": [dt.date(2024, 1, 2)], "at": pa.array([stamp], pa.timestamp("us", tz="UTC"))}
        ),
    )
    assert text_rows(rows_page(path).table) == [["2024-01-02", "2024-01-02 03:04:05+00:00"]]
