"""Reading and tidying the pipeline's Delta tables (reads go through delta-rs's QueryBuilder,
which streams and does not abort at interpreter exit the way `to_pyarrow_table()` can)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lakeconsole.core.storage import LakePath, table_exists

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable, WriterProperties

    from lakeconsole.core.tables import TableSpec


def exists(path: LakePath) -> bool:
    return table_exists(path)


def remove_leftovers(paths: Iterable[LakePath]) -> list[str]:
    """Delete files a killed write left behind in these local tables (we hold the run lock).
    On object storage they are left: orphan objects hold space, never rows, and no
    commit references them (vacuum's full mode removes them)."""
    from lakeconsole.core.leftovers import remove_crash_leftovers

    removed: list[str] = []
    for path in paths:
        if isinstance(path, Path) and exists(path):
            removed += [str(p) for p in remove_crash_leftovers(path, min_age_s=0)]
    return removed


def query_batches(dt: DeltaTable, sql: str, name: str = "t") -> Iterator[pa.RecordBatch]:
    """Stream the result of `sql` over the table registered as `name`."""
    import pyarrow as pa
    from deltalake import QueryBuilder

    reader = pa.RecordBatchReader.from_stream(QueryBuilder().register(name, dt).execute(sql))
    yield from reader


def query(dt: DeltaTable, sql: str, name: str = "t") -> pa.Table:
    """The whole result of `sql` over the table registered as `name`."""
    from deltalake import QueryBuilder

    from lakeconsole.core.arrow import from_stream

    return plain_strings(from_stream(QueryBuilder().register(name, dt).execute(sql)))


def plain_strings(table: pa.Table) -> pa.Table:
    """DataFusion answers with string_view columns, which many pyarrow kernels refuse: cast back."""
    import pyarrow as pa

    fields = [
        pa.field(f.name, pa.string()) if f.type == pa.string_view() else f for f in table.schema
    ]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table


def sql_list(values: Iterable[object]) -> str:
    """A SQL IN-list of quoted literals: ('a', 'b')."""
    quoted = ["'" + str(v).replace("'", "''") + "'" for v in values]
    return "(" + ", ".join(quoted) + ")"


def writer_properties(spec: TableSpec, max_row_group_size: int | None = None) -> WriterProperties:
    """How the pipeline writes `spec`'s files: Snappy-compressed (delta-rs writes uncompressed
    by default), no dictionary for the columns whose values are mostly distinct."""
    from deltalake import ColumnProperties, WriterProperties

    plain = {c: ColumnProperties(dictionary_enabled=False) for c in spec.no_dictionary}
    return WriterProperties(
        compression="SNAPPY",
        max_row_group_size=max_row_group_size,
        column_properties=plain or None,
    )
