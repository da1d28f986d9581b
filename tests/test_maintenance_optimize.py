"""OPTIMIZE and Z-ORDER by the columns the pipeline definition names."""

from __future__ import annotations

import pyarrow as pa
from deltalake import write_deltalake

from lakeconsole.core.maintenance.optimize import optimize_tables, zorder_columns
from lakeconsole.core.settings import Settings
from tests.maintenance_fixtures import read_rows


def test_zorder_skips_columns_the_table_lacks_and_says_so(settings: Settings) -> None:
    table = settings.data_dir / "silver" / "sales_orders"
    named = zorder_columns(table, settings)
    for i in range(2):
        write_deltalake(str(table), pa.table({named[0]: [f"v{i}"], "qty": [i]}), mode="append")
    [result] = optimize_tables([table], settings, zorder=True)
    assert result.zorder_by == (named[0],)
    if len(named) > 1:
        assert f"not in the table: {', '.join(named[1:])}" in result.note
    assert result.after.files == 1


def test_compaction_keeps_every_row(settings: Settings) -> None:
    table = settings.data_dir / "gold" / "daily"
    for i in range(4):
        write_deltalake(str(table), pa.table({"id": [i], "version": [0]}), mode="append")
    [result] = optimize_tables([table], settings)
    assert (result.before.files, result.after.files) == (4, 1)
    assert "names no Z-ORDER columns" not in result.note  # compaction was asked, not Z-ORDER
    assert read_rows(table) == [{"id": i, "version": 0} for i in range(4)]


def test_zorder_on_a_table_the_pipeline_does_not_know_compacts_and_says_so(
    settings: Settings,
) -> None:
    table = settings.data_dir / "gold" / "adhoc"
    for i in range(2):
        write_deltalake(str(table), pa.table({"id": [i]}), mode="append")
    [result] = optimize_tables([table], settings, zorder=True)
    assert result.zorder_by == () and "names no Z-ORDER columns" in result.note
    assert result.after.files == 1
