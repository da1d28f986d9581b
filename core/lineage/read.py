"""Reading a Delta table for a trace: only the files and rows a condition can hold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lakeconsole.core.explorer.table import open_table
from lakeconsole.core.storage import as_location

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

Condition = tuple[str, str, Any]  # (column, "==" | ">=" | "<=" | "in", a pyarrow scalar or array)
DELTA_OPS = {"==": "=", ">=": ">=", "<=": "<=", "in": "in"}


def scan(
    table: DeltaTable,
    path: Any,
    conditions: Sequence[Condition],
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """The rows of `table` meeting every condition, reading only the files whose partition
    values and column statistics can hold them.

    The files are chosen by delta-rs from its log (`file_pruning_predicate`: partition values
    exactly, other columns by per-file min/max), before the dataset is built: building it for
    every file of silver took 0.44 s of a 1.0 s trace at 1M rows. The rows are then filtered on
    the columns as they are, else with each cast to the table's type (a file may hold text as
    string_view, which no kernel compares with a string; a cast column prunes nothing)."""
    import pyarrow as pa
    import pyarrow.dataset as pds

    files = [(c, DELTA_OPS[op], _python(v)) for c, op, v in conditions]
    # Our own file system: delta-rs's handler can abort the process at exit (DELTALAKE-NOTES).
    filesystem = as_location(path).arrow_filesystem()
    try:
        data = table.to_pyarrow_dataset(filesystem=filesystem, file_pruning_predicate=files)
    except Exception:  # a value delta-rs cannot encode: every file, filtered below
        data = table.to_pyarrow_dataset(filesystem=filesystem)

    def rows_where(cast: bool) -> pa.Table:
        exact = None
        for column, op, value in conditions:
            kind = data.schema.field(column).type
            field = pds.field(column).cast(kind) if cast else pds.field(column)
            one = _compare(field, op, value.cast(kind))
            exact = one if exact is None else exact & one
        return data.to_table(columns=columns, filter=exact)

    try:
        # The bare columns first: pyarrow then skips row groups by their statistics too (a
        # bronze file of 1M lines has eight).
        return rows_where(cast=False)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError, pa.ArrowInvalid):
        return rows_where(cast=True)


def _python(value: Any) -> Any:
    return value.to_pylist() if hasattr(value, "to_pylist") else value.as_py()


def schema_of(table: DeltaTable) -> pa.Schema:
    import pyarrow as pa

    return pa.schema(table.schema().to_arrow())


def _compare(field: ds.Expression, op: str, value: Any) -> ds.Expression:
    if op == "in":
        return field.isin(value)
    if op == ">=":
        return field >= value
    if op == "<=":
        return field <= value
    return field == value


def typed(text: str, kind: pa.DataType) -> pa.Scalar:
    import pyarrow as pa

    return pa.scalar(text).cast(kind)


def open_at(path: Any, at: dt.datetime | None) -> DeltaTable:
    table = open_table(path)
    if at is not None:
        table.load_as_version(at)
    return table


def plain(rows: pa.Table) -> pa.Table:
    from lakeconsole.core.blocks.tables import plain_strings

    return plain_strings(rows)
