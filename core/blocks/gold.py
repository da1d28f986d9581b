"""The gold block: a declared gold table recomputed for the partitions silver changed.

Silver records the values of gold's first partition column it touches (core.blocks.pending)
before it merges, so a crash in between loses none. Gold recomputes those partitions with the
table's function (or its `sql=`), and a partition whose fresh rows equal what gold holds is left
alone; the others are replaced with one predicate overwrite (OPS-02: never an append). Every
partition is recomputed on the first build, after a declared schema change (a rebuild) and when
the pending file cannot be trusted (a RESTORE of gold, a hand edit). An unpartitioned gold table
is recomputed whole and overwritten when it changed. The mart's README.md is written from the
pipeline's template (else lakeconsole's generic one) when missing, never over the user's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.api import GoldTable
from lakeconsole.core.arrow import empty_table, scalar, strings
from lakeconsole.core.blocks.contract import check_contract, contract_mark, stamp_when_current
from lakeconsole.core.blocks.gold_context import BlockGoldContext, conform, sorted_by_key
from lakeconsole.core.blocks.keys import as_text
from lakeconsole.core.blocks.pending import (
    KIND,
    clear_pending,
    load_pending,
    partition_column,
)
from lakeconsole.core.blocks.state import write_state
from lakeconsole.core.blocks.table_marks import changed_since, mark_of, still_at
from lakeconsole.core.blocks.tables import exists, query, remove_leftovers, sql_list
from lakeconsole.core.dag import StepContext, StepResult
from lakeconsole.core.faults import crash_point
from lakeconsole.core.schema_version import commit_properties, open_or_create
from lakeconsole.core.storage import LakePath, StorageError, open_delta, read_optional, write_whole

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.gold")

VALUES_PER_READ = 7  # a week of daily partitions: memory stays bounded however many are pending
# ...and at most this many source rows a chunk (two chunks are read at once): a lake ten times
# bigger over the same days holds ten times the rows a day (measured at 100M lines: 7-day
# chunks took gold's first build to 4.5 GB, against 1 GB at 10M).
ROWS_PER_READ = 1_000_000


def _nothing_to_do(state: dict[str, Any], unusable: str | None, contract: str) -> bool:
    """The pending state says silver changed nothing since gold was last checked against this
    declaration (gold's own place is checked by the caller)."""
    return (
        not unusable
        and not state.get("dates")
        and not state.get("all_dates")
        and state.get("contract") == contract
    )


def _gold_mark(state: dict[str, Any]) -> dict[str, Any] | None:
    tables = state.get("tables")
    return tables.get("gold") if isinstance(tables, dict) else None


def _result(leftovers: list[str], readme_written: LakePath | None) -> StepResult:
    result = StepResult(
        details={
            "dates_recomputed": 0,
            "dates_rewritten": 0,
            "rows_written": 0,
            "leftovers_removed": len(leftovers),
        }
    )
    if readme_written:
        result.details["readme_written"] = str(readme_written)
    return result


def run(
    ctx: StepContext, table: GoldTable, context: Callable[..., BlockGoldContext] = BlockGoldContext
) -> StepResult:
    """Recompute `table` for its pending partitions and overwrite those that changed.
    `context`: what its function's `ctx.sql` runs on (core/engines/spark.py: a Spark endpoint)."""
    spec, data_dir = table.spec, ctx.settings.lake_root
    gold_path = spec.path(data_dir)
    readme_written = write_mart_readme(table, ctx.settings)
    leftovers = remove_leftovers([gold_path])
    first_build = not exists(gold_path)
    state, unusable = load_pending(ctx.settings, table)
    contract = contract_mark((spec,))
    if _nothing_to_do(state, unusable, contract) and still_at(gold_path, _gold_mark(state)):
        # The run with nothing new: nothing pending, the declaration the last run checked, and
        # gold where that run left it (from its log listing): no table opened.
        return _result(leftovers, readme_written)
    # Gold opened once for the checks (opening reads its log: 15-30 ms at 10M rows).
    held = None if first_build else open_delta(gold_path)
    # A declared schema change (with its version bump) rebuilds the whole table: gold is derived.
    decision = check_contract(spec, data_dir, held)
    schema_mode = decision.schema_mode if decision is not None else None
    pending = state.get("dates", [])
    # Pending values describe one version of gold: after a RESTORE of gold (or a wrong-shaped
    # file) they say nothing about what gold holds, so every partition is recomputed.
    untrusted = unusable or changed_since(held, _gold_mark(state), spec.name)
    everything = bool(untrusted or state.get("all_dates"))
    result = _result(leftovers, readme_written)
    if not (first_build or schema_mode or pending or everything):
        if held is not None and (_gold_mark(state) is None or state.get("contract") != contract):
            # A file from before marks, or a declaration checked for the first time: record
            # both, so the next run with nothing new needs neither check.
            marked = {**state, "tables": {"gold": mark_of(held)}, "contract": contract}
            write_state(ctx.settings, table, KIND, marked)
        return result  # silver changed nothing since the last gold run
    sources = {t.stem: open_delta(t.spec.path(data_dir)) for t in table.reads}
    # The object the checks opened, when there was one: the run checked gold for damage just
    # before this step (an opening with the check again was 4-8 ms at 10M rows).
    gold = (
        held
        if held is not None
        else open_or_create(
            gold_path, spec.schema, spec.version, list(spec.partition_by), spec.description
        )
    )
    column = partition_column(table)
    if column is None:
        recomputed, changed, data = _whole(ctx, table, sources, gold, schema_mode, context)
        result.records_in_unit = "tables"  # recomputed whole: one table in
        if untrusted:
            result.warnings.append(f"{untrusted}: recomputing gold whole")
            log.warning(result.warnings[-1])
    else:
        values = _values_to_recompute(
            table, column, sources, gold, pending, first_build or bool(schema_mode), everything
        )
        if untrusted:
            result.warnings.append(f"{untrusted}: recomputing gold for all {len(values):,} dates")
            log.warning(result.warnings[-1])
        recomputed = len(values)
        result.records_in_unit = partition_unit(table, column)
        changed, data = _partitions(ctx, table, column, sources, gold, values, schema_mode, context)
    written = 0
    if changed:
        ctx.check_cancelled()
        # Written through the open object, which then holds the new version: the stamp check
        # and the pending file's mark need no other opening of gold.
        _overwrite(table, gold, data, column, changed, schema_mode)
        written = data.num_rows
        if stamp_when_current(spec, data_dir, gold):
            gold = open_delta(gold_path)  # the stamp committed through another object
    if changed or readme_written:
        _refresh_readme_columns(ctx, table, result)
    crash_point(ctx.settings, "gold.after_commit")
    clear_pending(ctx.settings, table, mark_of(gold), contract)
    result.records_in, result.records_out = recomputed, written
    result.settled = True  # pending cleared: a re-run finds nothing (a recompute is said once)
    result.details.update(
        {"dates_recomputed": recomputed, "dates_rewritten": len(changed), "rows_written": written}
    )
    return result


def _values_to_recompute(
    table: GoldTable,
    column: str,
    sources: dict[str, DeltaTable],
    gold: DeltaTable,
    pending: list[str],
    rebuild: bool,
    everything: bool,
) -> list[Any]:
    """The partition values to recompute, typed as the column and sorted."""
    if rebuild:
        found: set[Any] = set()
        for name, dt in sources.items():
            found |= _all_values(dt, column, name)
        return sorted(found)
    if everything:  # gold's own values too: a partition silver no longer has is emptied
        found = _all_values(gold, column, "gold")
        for name, dt in sources.items():
            found |= _all_values(dt, column, name)
        return sorted(found)
    kind = table.spec.schema.field(column).type
    return sorted(set(strings(pending).cast(kind).to_pylist()))


def _partitions(
    ctx: StepContext,
    table: GoldTable,
    column: str,
    sources: dict[str, DeltaTable],
    gold: DeltaTable,
    values: list[Any],
    schema_mode: str | None,
    context: Callable[..., BlockGoldContext] = BlockGoldContext,
) -> tuple[list[Any], pa.Table]:
    """Recompute `values` a chunk at a time; the values whose rows changed, and their rows."""
    changed: list[Any] = []
    parts: list[pa.Table] = []
    chunks = _chunks(values, _rows_per_value(table, column, sources))
    kind = table.spec.schema.field(column).type
    unit = partition_unit(table, column)
    done = 0
    ctx.progress(0, len(values), unit)

    def compute(chunk: list[Any]) -> pa.Table:
        return _compute(ctx, table, sources, chunk, context)

    # Two chunks at a time: reading silver and grouping release the GIL, so two cores share it.
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gold-chunk")
    try:
        for chunk, fresh in zip(chunks, pool.map(compute, chunks), strict=True):
            ctx.check_cancelled()
            if schema_mode:
                changed += chunk
                parts.append(fresh)
            else:
                _compare(table, column, kind, chunk, fresh, gold, changed, parts)
            done += len(chunk)
            ctx.progress(done, len(values), unit, str(chunk[-1]))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    data = pa.concat_tables(parts) if parts else empty_table(table.spec.schema)
    return changed, data


def partition_unit(table: GoldTable, column: str) -> str:
    """What gold's records in count: the partition values it recomputes (dates, mostly)."""
    return "dates" if pa.types.is_date(table.spec.schema.field(column).type) else "partitions"


def _rows_per_value(
    table: GoldTable, column: str, sources: dict[str, DeltaTable]
) -> dict[str, int] | None:
    """Rows per value of `column` in the sources partitioned by it, from their file statistics
    (no data read); None when no source is partitioned by it (then chunks are VALUES_PER_READ)."""
    from lakeconsole.core.lake import add_actions

    counts: dict[str, int] = {}
    found = False
    for source in table.reads:
        if column not in source.spec.partition_by:
            continue
        actions = add_actions(sources[source.stem])
        name = f"partition.{column}"
        if name not in actions.column_names or "num_records" not in actions.column_names:
            return None
        found = True
        for value, rows in zip(
            actions.column(name).to_pylist(), actions.column("num_records").to_pylist(), strict=True
        ):
            counts[as_text(value)] = counts.get(as_text(value), 0) + int(rows or 0)
    return counts if found else None


def _chunks(values: list[Any], rows: dict[str, int] | None) -> list[list[Any]]:
    """`values` in order, cut into chunks of at most VALUES_PER_READ values and (when the rows
    per value are known) ROWS_PER_READ rows; a value holding more rows gets a chunk alone."""
    chunks: list[list[Any]] = []
    current: list[Any] = []
    held = 0
    for value in values:
        n = rows.get(as_text(value), 0) if rows is not None else 0
        if current and (len(current) >= VALUES_PER_READ or held + n > ROWS_PER_READ):
            chunks.append(current)
            current, held = [], 0
        current.append(value)
        held += n
    if current:
        chunks.append(current)
    return chunks


def _compare(
    table: GoldTable,
    column: str,
    kind: pa.DataType,
    chunk: list[Any],
    fresh: pa.Table,
    gold: DeltaTable,
    changed: list[Any],
    parts: list[pa.Table],
) -> None:
    """Add the values whose fresh rows differ from gold's to `changed`, their rows to `parts`."""
    names = table.spec.schema.names
    sql = f"SELECT * FROM gold WHERE {column} IN {sql_list(chunk)}"
    held = sorted_by_key(query(gold, sql, "gold").select(names), table.spec.key)
    for value in chunk:
        new_rows = fresh.filter(pc.equal(fresh.column(column), scalar(value, kind)))
        old_rows = held.filter(pc.equal(held.column(column), scalar(value, kind)))
        if not new_rows.equals(old_rows):
            changed.append(value)
            parts.append(new_rows)


def _whole(
    ctx: StepContext,
    table: GoldTable,
    sources: dict[str, DeltaTable],
    gold: DeltaTable,
    schema_mode: str | None,
    context: Callable[..., BlockGoldContext] = BlockGoldContext,
) -> tuple[int, list[Any], pa.Table]:
    """An unpartitioned gold table: recomputed whole; `changed` is ["*"] when it differs from
    what gold holds (an empty table on the first build)."""
    ctx.progress(0, 1, "tables")
    fresh = _compute(ctx, table, sources, None, context)
    ctx.progress(1, 1, "tables")
    if not schema_mode:
        held = sorted_by_key(
            query(gold, "SELECT * FROM gold", "gold").select(table.spec.schema.names),
            table.spec.key,
        )
        if fresh.equals(held):
            return 1, [], fresh
    return 1, ["*"], fresh


def _compute(
    ctx: StepContext,
    table: GoldTable,
    sources: dict[str, DeltaTable],
    chunk: list[Any] | None,
    context: Callable[..., BlockGoldContext] = BlockGoldContext,
) -> pa.Table:
    """The table's rows for `chunk` (None: all), checked against its declaration and sorted."""
    gctx = context(table.name, sources, ctx.run_id, table, chunk)
    if table.compute is not None:
        raw = table.compute(gctx, chunk)
        who = f"{getattr(table.compute, '__name__', 'compute')}()"
    else:
        assert table.sql is not None  # Pipeline.steps() refuses a gold table with neither
        raw = gctx.sql(table.sql)
        who = "its sql="
    return sorted_by_key(conform(raw, table, who), table.spec.key)


def _overwrite(
    table: GoldTable,
    gold: DeltaTable,
    data: pa.Table,
    column: str | None,
    changed: list[Any],
    schema_mode: str | None,
) -> None:
    """Replace the changed partitions (all of them on a rebuild or for an unpartitioned table)."""
    from deltalake import write_deltalake

    whole = schema_mode or column is None
    write_deltalake(
        gold,
        data,
        mode="overwrite",
        predicate=None if whole else f"{column} IN {sql_list(changed)}",
        schema_mode="overwrite" if schema_mode else None,
        partition_by=list(table.spec.partition_by) or None,
        commit_properties=commit_properties(table.spec.version),
    )


def _all_values(dt: DeltaTable, column: str, name: str) -> set[Any]:
    found = query(dt, f"SELECT DISTINCT {column} FROM {name}", name).column(0).to_pylist()
    return {v for v in found if v is not None}


def mart_dir(data_dir: LakePath, mart: str) -> LakePath:
    return data_dir / "gold" / mart


def _refresh_readme_columns(ctx: StepContext, table: GoldTable, result: StepResult) -> None:
    """OPS-05: the README's column dictionary follows the schema it documents. Only between
    its markers: a README whose owner removed them is left alone (`lakeconsole check` says so)."""
    from lakeconsole.core.marts.dictionary import START, refresh_mart
    from lakeconsole.core.marts.readme import lake_readme

    mart = table.spec.mart or table.name.split("/")[1]
    readme = lake_readme(ctx.settings, mart)
    try:
        has_markers = START in (read_optional(readme) or b"").decode("utf-8")
    except (OSError, StorageError, UnicodeDecodeError):
        return
    if has_markers and refresh_mart(ctx.settings, mart):
        result.details["readme_columns_refreshed"] = 1


def write_mart_readme(table: GoldTable, settings: Settings) -> LakePath | None:
    """Put the mart's README.md (OPS-05) in place from its template unless one exists: the
    pipeline's `readme_templates/<mart>.md`, else lakeconsole's generic template. Where the
    lake keeps it (core.marts.readme: for a lake in a bucket, in the project folder)."""
    from lakeconsole.core.marts.readme import lake_readme

    if settings.on_object_storage and not settings.in_project:
        return None  # its README belongs in a project folder, and there is none to write in
    mart = table.spec.mart or table.name.split("/")[1]
    target = lake_readme(settings, mart)
    if target.exists():
        return None
    folder = table.pipeline.readme_templates
    own = folder / f"{mart}.md" if folder is not None else None
    if own is not None and own.is_file():
        text = own.read_text(encoding="utf-8")
    else:
        from lakeconsole.core.marts.readme import template

        text = template(mart)
    write_whole(target, text.encode("utf-8"))
    log.info("wrote the %s mart README from the template: %s", mart, target)
    return target
