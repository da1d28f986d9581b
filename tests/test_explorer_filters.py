"""Find things in core: the `/` filters over tables, a history and a version's rows, and the
changed values of a compare, over real Delta tables in tmp_path."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from lakeconsole.core.explorer.catalog import lake_tables
from lakeconsole.core.explorer.compare import compare_versions
from lakeconsole.core.explorer.filters import (
    find_commits,
    matching_commits,
    matching_tables,
    parse_row_filter,
)
from lakeconsole.core.explorer.history import history_page
from lakeconsole.core.explorer.table import ExplorerError
from lakeconsole.core.explorer.version import rows_page
from lakeconsole.core.settings import Settings
from tests.explorer_fixtures import many_commits, orders_table, spark_append


def events_table(path: Path) -> Path:
    """Two files of 150 rows each: channel web for even ids, shop for odd ones."""
    for start in (0, 150):
        ids = list(range(start, start + 150))
        write_deltalake(
            path,
            pa.table(
                {
                    "id": pa.array(ids, pa.int64()),
                    "channel": ["web" if i % 2 == 0 else "shop" for i in ids],
                    "note": [f"Order {i} of the WEEK" for i in ids],
                }
            ),
            mode="append",
        )
    return path


def test_tables_filter_keeps_names_containing_the_text_in_any_case(settings: Settings) -> None:
    orders_table(settings.data_dir / "silver" / "orders")
    orders_table(settings.data_dir / "silver" / "customers")
    tables = lake_tables(settings)
    assert [t.name for t in matching_tables(tables, "ORD")] == ["silver/orders"]
    assert len(matching_tables(tables, "")) == 2
    assert matching_tables(tables, "nothing-like-it") == []


def test_history_filter_finds_an_operation_or_exactly_one_version(tmp_path: Path) -> None:
    commits = history_page(orders_table(tmp_path / "orders")).commits
    assert [c.version for c in matching_commits(commits, "merge")] == [2]
    assert [c.version for c in matching_commits(commits, "3")] == [3]
    # Text in the row: the overwrite's parameters say mode=Overwrite.
    assert [c.version for c in matching_commits(commits, "overwrite")] == [3]
    assert [c.version for c in matching_commits(commits, "1.1.0")] == [3]


def test_rows_filter_equal_counts_the_matching_rows_of_the_whole_version(
    tmp_path: Path,
) -> None:
    path = events_table(tmp_path / "events")
    where = parse_row_filter("channel=shop")
    first = rows_page(path, offset=0, limit=20, where=where)
    assert first.total_rows == 150 and first.all_rows == 300
    assert first.table.column("channel").to_pylist() == ["shop"] * 20
    # Paging walks the matches across both files without repeating or skipping one.
    ids: list[int] = []
    offset = 0
    while True:
        page = rows_page(path, offset=offset, limit=40, where=where)
        ids += page.table.column("id").to_pylist()
        if not page.has_more:
            break
        offset += page.table.num_rows
    assert sorted(ids) == list(range(1, 300, 2)) and len(set(ids)) == len(ids)


def test_rows_filter_reads_the_value_as_the_columns_type(tmp_path: Path) -> None:
    path = events_table(tmp_path / "events")
    page = rows_page(path, where=parse_row_filter("id=151"))
    assert page.total_rows == 1
    assert page.table.to_pylist()[0]["note"] == "Order 151 of the WEEK"


def test_rows_filter_contains_ignores_case_and_works_on_numbers(tmp_path: Path) -> None:
    path = events_table(tmp_path / "events")
    assert rows_page(path, where=parse_row_filter("note~week")).total_rows == 300
    found = rows_page(path, limit=100, where=parse_row_filter("id~99"))
    assert sorted(found.table.column("id").to_pylist()) == [99, 199, 299]


def test_rows_filter_of_an_old_version_is_applied_to_that_version(tmp_path: Path) -> None:
    path = orders_table(tmp_path / "orders")
    # Version 1 still has `channel` (dropped in version 3).
    page = rows_page(path, version=1, where=parse_row_filter("channel=web"))
    assert sorted(page.table.column("id").to_pylist()) == [1, 3, 4]
    with pytest.raises(ExplorerError, match=r"No column 'channel'.*id, amount, note"):
        rows_page(path, version=4, where=parse_row_filter("channel=web"))


def test_a_bad_filter_says_in_one_line_what_to_write(tmp_path: Path) -> None:
    path = events_table(tmp_path / "events")
    with pytest.raises(ExplorerError, match=r"column=value \(equal\) or column~text") as bad:
        parse_row_filter("just words")
    assert "\n" not in str(bad.value)
    with pytest.raises(ExplorerError, match=r"'abc' is not a long.*id~abc") as wrong:
        rows_page(path, where=parse_row_filter("id=abc"))
    assert "\n" not in str(wrong.value)
    assert parse_row_filter("  ") is None


def test_compare_gives_before_and_after_of_each_changed_column(tmp_path: Path) -> None:
    path = tmp_path / "prices"
    write_deltalake(
        path,
        pa.table({"id": [1, 2, 3], "price": [1.0, 2.0, 3.0], "colour": ["red", "blue", "red"]}),
    )
    write_deltalake(
        path,
        pa.table({"id": [1, 2, 4], "price": [1.5, 2.0, 4.0], "colour": ["red", "green", "red"]}),
        mode="overwrite",
    )
    result = compare_versions(path, 0, 1, keys=["id"])
    assert (result.added, result.removed, result.changed) == (1, 1, 2)
    changed = {
        row.key["id"]: [(c.column, c.before, c.after) for c in row.changes]
        for row in result.changed_rows
    }
    assert changed == {1: [("price", 1.0, 1.5)], 2: [("colour", "blue", "green")]}
    assert result.to_json()["changed_rows"][0] == {
        "key": {"id": 1},
        "changes": [{"column": "price", "before": 1.0, "after": 1.5}],
    }


def test_compare_pages_through_changed_keys_in_key_order(tmp_path: Path) -> None:
    path = tmp_path / "counts"
    write_deltalake(path, pa.table({"id": list(range(30)), "n": [0] * 30}))
    write_deltalake(path, pa.table({"id": list(range(30)), "n": [1] * 30}), mode="overwrite")
    first = compare_versions(path, 0, 1, keys=["id"], sample=10)
    second = compare_versions(path, 0, 1, keys=["id"], sample=10, changed_offset=10)
    assert [r.key["id"] for r in first.changed_rows] == list(range(10))
    assert [r.key["id"] for r in second.changed_rows] == list(range(10, 20))
    assert second.changed_offset == 10 and second.changed == 30


def test_show_where_pages_through_the_matching_rows(
    cli: Callable[..., subprocess.CompletedProcess[str]], home: Path
) -> None:
    events_table(home / "data" / "silver" / "events")
    result = cli(["show", "silver/events", "--where", "channel=shop", "--limit", "2", "--json"])
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["total_rows"], shown["all_rows"], shown["where"]) == (150, 300, "channel=shop")
    assert [r["channel"] for r in shown["rows"]] == ["shop", "shop"]
    text = cli(["show", "silver/events", "--where", "channel=shop", "--limit", "2"]).stdout
    assert "rows 1-2 of 150 where channel=shop (of 300 rows):" in text
    assert "--where 'channel=shop' --offset 2 --limit 2" in text
    bad = cli(["show", "silver/events", "--where", "colour=red"])
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "No column 'colour' in this version; columns are: id, channel, note"
    ]


def test_rows_filter_works_on_text_delta_rs_wrote_as_string_view(tmp_path: Path) -> None:
    # The overwrite of version 3 writes `note` as string_view in its data file.
    path = orders_table(tmp_path / "orders")
    assert rows_page(path, where=parse_row_filter("note=n2")).table.column("id").to_pylist() == [2]
    assert rows_page(path, where=parse_row_filter("note~N")).total_rows == 4


def test_history_search_reads_the_whole_log_and_counts_past_what_it_keeps(tmp_path: Path) -> None:
    path = many_commits(tmp_path / "clicks", 300, commit_info=spark_append)
    found = find_commits(path, "numOutputRows", limit=10)  # no: metrics show as counts
    assert found.matched == 0
    found = find_commits(path, "+1 rows", limit=10)
    assert (found.matched, found.in_log, len(found.commits)) == (300, 300, 10)
    assert [c.version for c in found.commits] == list(range(299, 289, -1))  # newest first
    assert not found.all_shown
    one = find_commits(path, "12")
    assert [c.version for c in one.commits] == [12] and one.in_log == 300
    assert find_commits(path, "+1 rows", stop=lambda: True).matched == 0


def test_rows_filter_on_a_partition_column_finds_its_rows(tmp_path: Path) -> None:
    data = pa.table({"id": [1, 2, 3], "region": ["north", "south", "north"]})
    write_deltalake(str(tmp_path / "t"), data, partition_by=["region"])
    page = rows_page(tmp_path / "t", where=parse_row_filter("region=north"))
    assert sorted(page.table["id"].to_pylist()) == [1, 3] and page.total_rows == 2
