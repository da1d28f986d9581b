"""How a `@pipeline.step` writes its tables: ctx.append, ctx.merge, ctx.overwrite.

Each write does what the engine's blocks do for theirs: the table created with its partitioning
when missing, crash leftovers removed before its first write, the schema contract checked before
the commit (OPS-06), the version in the commit's userMetadata, Snappy files, the version property
stamped after. OPS-02: a plain append to a silver or gold table is refused (a re-run would add
the rows twice); a MERGE on the key, or an overwrite, is what a re-run repeats safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from lakeconsole.core.api import CustomStep, Table
from lakeconsole.core.blocks.contract import check_contract, merge_schema, stamp_when_current
from lakeconsole.core.blocks.tables import remove_leftovers, writer_properties
from lakeconsole.core.dag import PipelineError, StepContext
from lakeconsole.core.schema_version import commit_properties, open_or_create
from lakeconsole.core.storage import open_delta, table_exists, write_delta

if TYPE_CHECKING:
    from deltalake import DeltaTable

APPEND_REFUSED = ("silver", "gold")


@dataclass
class Writes:
    """The rows a step's writes took in and committed, and the tables whose leftovers are gone."""

    rows_in: int = 0
    rows_out: int = 0
    calls: int = 0
    tidied: set[str] = field(default_factory=set)


class StepWriteContext:
    """The StepContext of a `@pipeline.step`, plus append / merge / overwrite of its tables."""

    def __init__(self, ctx: StepContext, custom: CustomStep) -> None:
        self._ctx = ctx
        self._custom = custom
        self.writes = Writes()

    def __getattr__(self, name: str) -> Any:  # settings, run_id, progress, check_cancelled...
        return getattr(self._ctx, name)

    # -- reading what it declares ----------------------------------------------------------------

    def read(
        self, table: Table | str, columns: Sequence[str] | None = None, where: str | None = None
    ) -> pa.Table:
        """The rows of a table the step reads or writes (only `columns`; `where` a SQL
        condition), as a pyarrow Table."""
        return self._context().read(table, columns, where)

    def sql(self, query: str) -> pa.Table:
        """DataFusion SQL over the tables the step reads or writes, each by its stem."""
        return self._context().sql(query)

    def _context(self) -> Any:
        from lakeconsole.core.blocks.gold_context import TablesContext

        data_dir = self._ctx.settings.lake_root
        sources = {
            t.stem: open_delta(t.spec.path(data_dir))
            for t in (*self._custom.reads, *self._custom.writes)
            if table_exists(t.spec.path(data_dir))
        }
        return TablesContext(f"step {self._custom.name}", sources)

    # -- the three writes ----------------------------------------------------------------------

    def append(self, table: Table | str, data: Any) -> int:
        """Add `data`'s rows (bronze or quarantine tables only: OPS-02). Returns rows written."""
        target = self._target(table)
        if target.layer in APPEND_REFUSED:
            raise PipelineError(
                f"step {self._custom.name}: ctx.append to {target.name} refused (OPS-02: no "
                f"plain APPEND to {target.layer}; a re-run would add the rows twice): use "
                "ctx.merge(table, rows) on its key, or ctx.overwrite(table, rows, where=...)"
            )
        rows, _, evolve = self._prepare(target, data, "append")
        self._write(target, rows, mode="append", schema_mode="merge" if evolve else None)
        return self._done(target, rows.num_rows, rows.num_rows)

    def merge(self, table: Table | str, data: Any, on: Sequence[str] | None = None) -> int:
        """MERGE `data` on `on` (default: the table's key): a matched row is updated when any
        column differs, an unmatched one inserted; re-merging the same rows commits nothing.
        Returns the rows updated or inserted."""
        target = self._target(table)
        key = list(on) if on else list(target.spec.key)
        if not key:
            raise PipelineError(
                f"step {self._custom.name}: ctx.merge into {target.name} needs a key: declare "
                "key=(...) on the table or pass on=[...]"
            )
        unknown = [k for k in key if k not in target.spec.schema.names]
        if unknown:
            raise PipelineError(
                f"step {self._custom.name}: ctx.merge on {', '.join(unknown)}, not columns of "
                f"{target.name}"
            )
        rows, dt, evolve = self._prepare(target, data, "merge")
        if rows.num_rows == 0:
            return self._done(target, 0, 0)
        others = [c for c in rows.column_names if c not in key]
        # Each term bracketed: DataFusion binds OR tighter than IS DISTINCT FROM unbracketed.
        changed = " OR ".join(f'(t."{c}" IS DISTINCT FROM s."{c}")' for c in others) or None
        merger = dt.merge(
            rows,
            " AND ".join(f't."{k}" = s."{k}"' for k in key),
            source_alias="s",
            target_alias="t",
            merge_schema=evolve,
            writer_properties=writer_properties(target.spec),
            commit_properties=commit_properties(target.spec.version),
        )
        metrics = merger.when_matched_update_all(predicate=changed).when_not_matched_insert_all()
        done = metrics.execute()
        written = int(done.get("num_target_rows_updated", 0)) + int(
            done.get("num_target_rows_inserted", 0)
        )
        return self._done(target, rows.num_rows, written)

    def overwrite(self, table: Table | str, data: Any, where: str | None = None) -> int:
        """Replace the rows matching `where` (a SQL condition; None: the whole table) with
        `data`, every row of which must match it. Returns rows written."""
        target = self._target(table)
        rows, _, evolve = self._prepare(target, data, "overwrite", whole=where is None)
        mode = None
        if evolve:
            mode = "merge" if where is not None else "overwrite"
        try:
            self._write(target, rows, mode="overwrite", predicate=where, schema_mode=mode)
        except Exception as exc:
            if where is not None and "failed validation check" in str(exc):
                raise PipelineError(
                    f"step {self._custom.name}: ctx.overwrite({target.name}, where={where!r}) "
                    "got rows outside that condition: pass only rows that match it, or widen "
                    "where="
                ) from None
            raise
        return self._done(target, rows.num_rows, rows.num_rows)

    # -- inside --------------------------------------------------------------------------------

    def _target(self, table: Table | str) -> Table:
        """The declared table a write names; refused when the step did not declare it."""
        for t in self._custom.writes:
            if t is table or (isinstance(table, str) and table in (t.name, t.stem)):
                return t
        named = table.name if isinstance(table, Table) else table
        raise PipelineError(
            f"step {self._custom.name}: writes {named}, which it does not declare: add it to "
            f"writes=[...] of @step (declares {', '.join(t.name for t in self._custom.writes)})"
        )

    def _prepare(
        self, target: Table, data: Any, how: str, whole: bool = False
    ) -> tuple[pa.Table, DeltaTable, bool]:
        """The rows as the declared schema, the table (created if missing, leftovers gone), and
        whether the write adds columns; refuses a contract break before anything is written."""
        spec = target.spec
        rows = _as_declared(data, target, f"step {self._custom.name}: ctx.{how}")
        path = spec.path(self._ctx.settings.lake_root)
        if target.name not in self.writes.tidied:
            remove_leftovers([path])
            self.writes.tidied.add(target.name)
        decision = check_contract(spec, self._ctx.settings.lake_root)
        if whole and decision is not None and decision.schema_mode:
            evolve = True  # a whole overwrite may rewrite the schema the new version declares
        else:
            evolve = merge_schema(
                spec,
                decision,
                "Overwrite the whole table (ctx.overwrite without where=) to rebuild it.",
            )
        self._ctx.check_cancelled()
        dt = open_or_create(
            path, spec.schema, spec.version, list(spec.partition_by), spec.description
        )
        return rows, dt, evolve

    def _write(self, target: Table, rows: pa.Table, **how: Any) -> None:
        write_delta(
            target.spec.path(self._ctx.settings.lake_root),
            rows,
            partition_by=list(target.spec.partition_by) or None,
            writer_properties=writer_properties(target.spec),
            commit_properties=commit_properties(target.spec.version),
            **how,
        )

    def _done(self, target: Table, rows_in: int, rows_out: int) -> int:
        stamp_when_current(target.spec, self._ctx.settings.lake_root)
        self.writes.rows_in += rows_in
        self.writes.rows_out += rows_out
        self.writes.calls += 1
        return rows_out


def _as_declared(data: Any, target: Table, who: str) -> pa.Table:
    """`data` (a pyarrow Table or RecordBatch, or a list of dicts) as the declared columns and
    types; one PipelineError naming the columns otherwise."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    elif isinstance(data, list):
        data = pa.Table.from_pylist(data)
    if not isinstance(data, pa.Table):
        raise PipelineError(
            f"{who} of {target.name}: got {type(data).__name__}, not a pyarrow Table "
            "(or a list of dicts)"
        )
    from lakeconsole.core.blocks.gold_context import column_mismatch

    schema = target.spec.schema
    mismatch = column_mismatch(data.column_names, schema.names)
    if mismatch:
        raise PipelineError(
            f"{who} of {target.name}: the rows {mismatch}; write exactly the declared "
            f"columns ({', '.join(schema.names)}) or change the declaration"
        )
    try:
        return data.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise PipelineError(
            f"{who} of {target.name}: the rows do not fit the declared types ({exc})"
        ) from exc
