"""The lake's tables: sizes from the log, schema versions, flags a user acts on."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from lakeconsole.core.explorer.catalog import interval_hours, lake_tables
from lakeconsole.core.explorer.table import ExplorerError, resolve_table
from lakeconsole.core.settings import Settings
from tests.explorer_fixtures import orders_table


def test_tables_are_listed_by_layer_with_version_rows_files_and_size(settings: Settings) -> None:
    orders_table(settings.data_dir / "silver" / "orders")
    write_deltalake(settings.data_dir / "bronze" / "raw", pa.table({"x": [1, 2]}))
    tables = lake_tables(settings)
    assert [(t.layer, t.name) for t in tables] == [
        ("bronze", "bronze/raw"),
        ("silver", "silver/orders"),
    ]
    orders = tables[1]
    dt = DeltaTable(orders.path)
    assert (orders.version, orders.rows, orders.files) == (4, 4, len(dt.file_uris()))
    assert orders.size_bytes == sum(
        Path(u.removeprefix("file://")).stat().st_size for u in dt.file_uris()
    )
    assert orders.schema_version == "1.1.0"
    assert orders.flags == []


def test_short_retention_property_is_flagged(settings: Settings) -> None:
    path = settings.data_dir / "gold" / "short"
    write_deltalake(path, pa.table({"x": [1]}))
    DeltaTable(path).alter.set_table_properties(
        {"delta.deletedFileRetentionDuration": "interval 2 hours"}
    )
    assert lake_tables(settings)[0].flags == ["retention 2 h < 168 h"]


def test_many_small_files_are_flagged(settings: Settings) -> None:
    path = settings.data_dir / "bronze" / "chatty"
    dt = None
    for i in range(52):
        write_deltalake(dt or path, pa.table({"x": [i]}), mode="append")
        dt = dt or DeltaTable(path)
    flags = lake_tables(settings)[0].flags
    assert any(f.startswith("many small files (52") for f in flags)


def test_vacuum_is_overdue_on_a_table_not_vacuumed_within_the_interval(settings: Settings) -> None:
    write_deltalake(settings.data_dir / "silver" / "old", pa.table({"x": [1]}))
    in_ten_days = time.time() + 10 * 86400
    assert lake_tables(settings)[0].flags == []  # young table: nothing to vacuum yet
    assert lake_tables(settings, now=in_ten_days)[0].flags == ["vacuum overdue (> 7 d)"]


def test_an_unreadable_table_is_a_row_with_its_error(settings: Settings) -> None:
    broken = settings.data_dir / "silver" / "broken" / "_delta_log"
    broken.mkdir(parents=True)
    (broken / "00000000000000000000.json").write_text("{not json\n")
    [row] = lake_tables(settings)
    assert row.name == "silver/broken" and row.error


def test_names_resolve_in_the_lake_then_as_paths(settings: Settings, tmp_path: Path) -> None:
    inside = orders_table(settings.data_dir / "silver" / "orders")
    outside = orders_table(tmp_path / "elsewhere")
    assert resolve_table("silver/orders", settings.data_dir) == inside.resolve()
    assert resolve_table("orders", settings.data_dir) == inside.resolve()
    assert resolve_table(str(outside), settings.data_dir) == outside.resolve()


def test_a_folder_that_is_not_a_table_is_one_clear_error(
    settings: Settings, tmp_path: Path
) -> None:
    try:
        resolve_table(str(tmp_path), settings.data_dir)
    except ExplorerError as exc:
        assert "is not a Delta table" in str(exc)
    else:
        raise AssertionError("expected an ExplorerError")


def test_delta_intervals_are_read_in_hours() -> None:
    assert interval_hours("interval 7 days") == 168
    assert interval_hours("interval 1 hours") == 1
    assert interval_hours("30 minutes") == 0.5
    assert interval_hours("soon") is None


def test_one_small_file_per_partition_is_not_flagged(settings: Settings) -> None:
    path = settings.data_dir / "gold" / "by_day"
    days = [f"2024-01-{d:02d}" for d in range(1, 29)] + [f"2024-02-{d:02d}" for d in range(1, 29)]
    write_deltalake(
        path, pa.table({"day": days, "x": list(range(len(days)))}), partition_by=["day"]
    )
    [row] = lake_tables(settings)
    assert row.files == 56
    assert row.flags == []
