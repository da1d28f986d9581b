"""What a pipeline declares about a table it writes: `TableSpec` and its `Column`s.

The pipeline API (core.api) builds one from each table a pipeline declares; every feature
reads these. Importing this module imports no pyarrow (the console loads a pipeline before its
first screen): a column's type is a type name (core.types) or a pyarrow type, and `schema`
imports pyarrow only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeconsole.core.storage import Location


@dataclass(frozen=True)
class Column:
    """One column of a declared schema, with its description for the data dictionary."""

    name: str
    type: str | pa.DataType  # a type name (core.types) or a pyarrow type
    description: str

    @property
    def arrow(self) -> pa.DataType:
        """The column's pyarrow type (imports pyarrow)."""
        from lakeconsole.core.types import arrow_type

        return arrow_type(self.type) if isinstance(self.type, str) else self.type


@dataclass(frozen=True)
class TableSpec:
    """A table the pipeline writes: where it lives, how it is laid out, its contract."""

    name: str  # also its path under the data dir, e.g. "silver/sales_orders"
    layer: str  # bronze, silver, gold or quarantine
    columns: tuple[Column, ...]
    version: str  # semantic version of the schema (OPS-06)
    description: str
    key: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    zorder_by: tuple[str, ...] = ()
    mart: str | None = None  # gold tables: the mart folder under gold/
    # Columns whose values are mostly distinct: written without a dictionary, which costs time
    # to build and then is dropped (measured: bronze writes 26% faster and 38% smaller).
    no_dictionary: tuple[str, ...] = ()
    column_notes: dict[str, str] = field(default_factory=dict)

    @property
    def schema(self) -> pa.Schema:
        import pyarrow as pa

        return pa.schema([pa.field(c.name, c.arrow) for c in self.columns])

    @overload
    def path(self, data_dir: Path) -> Path: ...
    @overload
    def path(self, data_dir: Location) -> Location: ...
    @overload
    def path(self, data_dir: Path | Location) -> Path | Location: ...
    def path(self, data_dir: Path | Location) -> Path | Location:
        """The table under the lake: a local Path, or a Location on object storage."""
        return data_dir / self.name

    def descriptions(self) -> dict[str, str]:
        return {c.name: c.description for c in self.columns}


def marts_of(tables: dict[str, TableSpec]) -> dict[str, list[TableSpec]]:
    """Gold marts and their tables, e.g. {"sales": [daily_revenue]}, in declaration order."""
    out: dict[str, list[TableSpec]] = {}
    for spec in tables.values():
        if spec.mart:
            out.setdefault(spec.mart, []).append(spec)
    return out
