"""What a gold function gets (api.GoldContext) and how its answer is held to the declaration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeconsole.core.api import GoldTable, Table
from lakeconsole.core.blocks.tables import plain_strings, sql_list
from lakeconsole.core.dag import PipelineError

if TYPE_CHECKING:
    from deltalake import DeltaTable

CHANGED = "{changed}"


@dataclass
class TablesContext:
    """SQL and reads over named Delta tables (by stem), for a gold function or a @step."""

    who: str  # "gold/sales/daily_revenue" or "step my_step", for messages
    sources: dict[str, DeltaTable]

    def sql(self, query: str) -> pa.Table:
        """DataFusion over the tables, each registered by its stem; the whole result."""
        from deltalake import QueryBuilder

        from lakeconsole.core.arrow import from_stream

        builder = QueryBuilder()
        for name, dt in self.sources.items():
            builder.register(name, dt)
        try:
            return plain_strings(from_stream(builder.execute(query)))
        except Exception as exc:  # DataFusion's errors are plain exceptions: name the table
            if isinstance(exc, PipelineError):
                raise
            raise PipelineError(
                f"{self.who}: its SQL failed ({exc}); it can read "
                f"{', '.join(self.sources) or 'no table'}"
            ) from exc

    def read(
        self, table: Table | str, columns: Sequence[str] | None = None, where: str | None = None
    ) -> pa.Table:
        """The rows of one of its tables (only `columns`; `where` a SQL condition)."""
        stem = table.stem if isinstance(table, Table) else str(table).rsplit("/", 1)[-1]
        if stem not in self.sources:
            named = table.name if isinstance(table, Table) else table
            raise PipelineError(
                f"{self.who}: reads {named}, which is not among the tables it declares "
                f"({', '.join(self.sources) or 'none written yet'}): add it to reads="
            )
        chosen = ", ".join(f'"{c}"' for c in columns) if columns else "*"
        condition = f" WHERE {where}" if where else ""
        return self.sql(f"SELECT {chosen} FROM {stem}{condition}")


@dataclass
class BlockGoldContext(TablesContext):
    """The GoldContext of one chunk: the tables `table` reads by stem, and its changed values
    (None for an unpartitioned table, recomputed whole)."""

    run_id: str = ""
    table: GoldTable | None = None
    changed: list[Any] | None = None

    def sql(self, query: str) -> pa.Table:
        """DataFusion over the tables it reads; `{changed}` → the chunk's values as a SQL list."""
        if CHANGED in query:
            if self.changed is None:
                raise PipelineError(
                    f"{self.who}: its SQL says {CHANGED}, but the table is not partitioned "
                    "(it is recomputed whole): drop the condition, or declare partition_by="
                )
            query = query.replace(CHANGED, sql_list(self.changed))
        return super().sql(query)


def column_mismatch(given: Sequence[str], declared: Sequence[str]) -> str | None:
    """How rows' columns differ from the declared ones, worded to follow "the rows ...";
    None when they are the same set."""
    missing = [n for n in declared if n not in given]
    extra = [n for n in given if n not in declared]
    said = [f"lack {', '.join(missing)}"] if missing else []
    said += [f"have columns it does not declare ({', '.join(extra)})"] if extra else []
    return " and ".join(said) or None


def conform(raw: object, table: GoldTable, who: str) -> pa.Table:
    """`raw` as the declared schema: exactly its columns, cast to its types; otherwise one
    PipelineError naming the function and the columns (before anything is written)."""
    if isinstance(raw, pa.RecordBatch):
        raw = pa.Table.from_batches([raw])
    if not isinstance(raw, pa.Table):
        raise PipelineError(
            f"{table.name}: {who} returned {type(raw).__name__}, not a pyarrow Table of the "
            "declared columns"
        )
    schema = table.spec.schema
    mismatch = column_mismatch(raw.column_names, schema.names)
    if mismatch:
        raise PipelineError(
            f"{table.name}: {who} returned rows that {mismatch}; return exactly the "
            f"declared columns ({', '.join(schema.names)}) or change the declaration"
        )
    try:
        return raw.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        bad = [
            f"{f.name} ({raw.schema.field(f.name).type}, declared {f.type})"
            for f in schema
            if not _casts(raw.column(f.name), f.type)
        ]
        raise PipelineError(
            f"{table.name}: {who} returned columns that do not fit the declared types: "
            f"{', '.join(bad) or exc}"
        ) from exc


def _casts(column: pa.ChunkedArray, kind: pa.DataType) -> bool:
    try:
        column.cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False
    return True


def sorted_by_key(rows: pa.Table, key: Sequence[str]) -> pa.Table:
    """Rows in key order, in one chunk: two computations of the same rows compare equal."""
    order = list(key) or rows.column_names
    return rows.sort_by([(c, "ascending") for c in order]).combine_chunks()
