"""Gold, mart `sales`: daily revenue per order date × region × product (× currency).

Only the dates silver changed are recomputed (silver records them in the pending set before it
merges, so a crash in between loses none). A recomputed date that equals what gold holds is left
alone; the others are replaced with one predicate overwrite (OPS-02: never an append). When the
gold table does not exist yet, every date is computed. The mart's README.md is written from the
shipped template when missing, never over the user's.
"""

from __future__ import annotations

import datetime as dt_
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.blocks.contract import check_contract, stamp_when_current
from lakeconsole.core.blocks.pending import KIND as GOLD_PENDING
from lakeconsole.core.blocks.state import load_state, write_state
from lakeconsole.core.blocks.state_shapes import pending_problem
from lakeconsole.core.blocks.table_marks import changed_since, mark_of
from lakeconsole.core.blocks.tables import exists, query, remove_leftovers, sql_list
from lakeconsole.core.dag import StepContext, StepResult
from lakeconsole.core.faults import crash_point
from lakeconsole.core.sales import declared
from lakeconsole.core.sales.definition import GOLD_DAILY_REVENUE, MONEY_SUM, SILVER_ORDERS, mart_dir
from lakeconsole.core.schema_version import commit_properties, open_or_create

if TYPE_CHECKING:
    from deltalake import DeltaTable

log = logging.getLogger("lakeconsole.sales")

DAYS_PER_READ = 7
GROUP = ["order_date", "region", "product_id", "currency"]


def run_daily_revenue(ctx: StepContext) -> StepResult:
    """Recompute daily revenue for the pending dates and overwrite those that changed."""
    from deltalake import DeltaTable, write_deltalake

    data_dir = ctx.settings.data_dir
    gold_path = GOLD_DAILY_REVENUE.path(data_dir)
    readme_written = write_mart_readme(data_dir, "sales")
    leftovers = remove_leftovers([gold_path])
    first_build = not exists(gold_path)
    # A declared schema change (with its version bump) rebuilds the whole table: gold is derived.
    decision = check_contract(GOLD_DAILY_REVENUE, data_dir)
    schema_mode = decision.schema_mode if decision is not None else None
    state, unusable = load_state(ctx.settings, declared.gold(), GOLD_PENDING, pending_problem)
    pending = state.get("dates", [])
    held = None if first_build else DeltaTable(str(gold_path))
    # Pending dates describe one version of gold: after a RESTORE of gold (or a wrong-shaped file)
    # they say nothing about what gold holds, so every date is recomputed.
    untrusted = unusable or changed_since(
        held, state.get("tables", {}).get("gold"), GOLD_DAILY_REVENUE.name
    )
    everything = bool(untrusted or state.get("all_dates"))
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
    if not (first_build or schema_mode or pending or everything):
        if held is not None and "tables" not in state:  # a file from before marks: add gold's
            write_state(
                ctx.settings,
                declared.gold(),
                GOLD_PENDING,
                {**state, "tables": {"gold": mark_of(held)}},
            )
        return result  # silver changed nothing since the last gold run
    silver = DeltaTable(str(SILVER_ORDERS.path(data_dir)))
    gold = open_or_create(
        gold_path,
        GOLD_DAILY_REVENUE.schema,
        GOLD_DAILY_REVENUE.version,
        list(GOLD_DAILY_REVENUE.partition_by),
        GOLD_DAILY_REVENUE.description,
    )
    if first_build or schema_mode:
        dates = _all_dates(silver, "silver")
    elif everything:  # gold's own dates too: a date silver no longer has is emptied
        dates = sorted(set(_all_dates(silver, "silver")) | set(_all_dates(gold, "gold")))
    else:
        dates = sorted(dt_.date.fromisoformat(d) for d in pending)
    if untrusted:
        result.warnings.append(f"{untrusted}: recomputing gold for all {len(dates):,} dates")
        log.warning(result.warnings[-1])

    changed: list[dt_.date] = []
    parts: list[pa.Table] = []
    # A week of silver at a time keeps memory bounded however many dates are recomputed.
    chunks = [dates[i : i + DAYS_PER_READ] for i in range(0, len(dates), DAYS_PER_READ)]
    done = 0
    ctx.progress(0, len(dates), "dates")
    # Two weeks at a time: reading silver and grouping release the GIL, so two cores share it.
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gold-week")
    try:
        for days, fresh in zip(
            chunks, pool.map(lambda d: daily_revenue(silver, d), chunks), strict=True
        ):
            ctx.check_cancelled()
            done += _compare_week(days, fresh, gold, schema_mode, changed, parts)
            ctx.progress(done, len(dates), "dates", days[-1].isoformat())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)

    written = 0
    if changed:
        ctx.check_cancelled()
        data = pa.concat_tables(parts) if parts else GOLD_DAILY_REVENUE.schema.empty_table()
        write_deltalake(
            str(gold_path),
            data,
            mode="overwrite",
            predicate=None if schema_mode else f"order_date IN {sql_list(changed)}",
            schema_mode="overwrite" if schema_mode else None,
            partition_by=list(GOLD_DAILY_REVENUE.partition_by),
            commit_properties=commit_properties(GOLD_DAILY_REVENUE.version),
        )
        written = data.num_rows
        stamp_when_current(GOLD_DAILY_REVENUE, data_dir)
    if changed or readme_written:
        _refresh_readme_columns(ctx, result)
    crash_point(ctx.settings, "gold.after_commit")
    marked = {"gold": mark_of(DeltaTable(str(gold_path)))}  # the version these dates describe
    write_state(ctx.settings, declared.gold(), GOLD_PENDING, {"dates": [], "tables": marked})
    result.records_in, result.records_out = len(dates), written
    result.details.update(
        {"dates_recomputed": len(dates), "dates_rewritten": len(changed), "rows_written": written}
    )
    return result


def _compare_week(
    days: list[dt_.date],
    fresh: pa.Table,
    gold: DeltaTable,
    schema_mode: str | None,
    changed: list[dt_.date],
    parts: list[pa.Table],
) -> int:
    """Add the days whose fresh rows differ from gold's to `changed`/`parts`; returns len(days)."""
    if schema_mode:
        changed += days
        parts.append(fresh)
        return len(days)
    held = _sorted(
        query(gold, f"SELECT * FROM gold WHERE order_date IN {sql_list(days)}", "gold").select(
            GOLD_DAILY_REVENUE.schema.names
        )
    )
    for day in days:
        new_rows = fresh.filter(pc.equal(fresh.column("order_date"), pa.scalar(day, pa.date32())))
        old_rows = held.filter(pc.equal(held.column("order_date"), pa.scalar(day, pa.date32())))
        if not new_rows.equals(old_rows):
            changed.append(day)
            parts.append(new_rows)
    return len(days)


def daily_revenue(silver: DeltaTable, days: list[dt_.date]) -> pa.Table:
    """Gold rows for `days`, from silver's live rows, sorted by the key."""
    rows = query(
        silver,
        "SELECT order_date, region, product_id, currency, order_id, price, qty, tax "
        f"FROM silver WHERE order_date IN {sql_list(days)}",
        "silver",
    )
    if rows.num_rows == 0:
        return GOLD_DAILY_REVENUE.schema.empty_table()
    # price (18,2) × qty as (19,0) is exact; sums are narrowed to (20,2) so net = gross − tax fits.
    amount = pc.multiply(rows.column("price"), pc.cast(rows.column("qty"), pa.decimal128(19, 0)))
    rows = rows.append_column("amount", amount)
    grouped = rows.group_by(GROUP, use_threads=False).aggregate(
        [
            ("amount", "sum"),
            ("tax", "sum"),
            ("order_id", "count_distinct"),
            ("order_id", "count"),
        ]
    )
    gross = pc.cast(grouped.column("amount_sum"), MONEY_SUM)
    tax = pc.cast(grouped.column("tax_sum"), MONEY_SUM)
    out = pa.table(
        {
            **{c: grouped.column(c) for c in GROUP},
            "gross_revenue": gross,
            "tax": tax,
            "net_revenue": pc.subtract(gross, tax),
            "order_count": grouped.column("order_id_count_distinct"),
            "line_count": grouped.column("order_id_count"),
        }
    )
    return _sorted(out.select(GOLD_DAILY_REVENUE.schema.names).cast(GOLD_DAILY_REVENUE.schema))


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([(c, "ascending") for c in GROUP]).combine_chunks()


def _all_dates(table: DeltaTable, name: str) -> list[dt_.date]:
    dates = query(table, f"SELECT DISTINCT order_date FROM {name}", name).column(0).to_pylist()
    return sorted(d for d in dates if d is not None)


def _refresh_readme_columns(ctx: StepContext, result: StepResult) -> None:
    """OPS-05: the README's column dictionary follows the schema it documents. Only between
    its markers: a README whose owner removed them is left alone (`lakeconsole check` says so)."""
    from lakeconsole.core.marts.dictionary import START, refresh_mart

    readme = mart_dir(ctx.settings.data_dir, "sales") / "README.md"
    try:
        has_markers = START in readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    if has_markers and refresh_mart(ctx.settings, "sales"):
        result.details["readme_columns_refreshed"] = 1


def write_mart_readme(data_dir: Path, mart: str) -> Path | None:
    """Put the mart's README.md (OPS-05) in place from the template unless one exists."""
    target = mart_dir(data_dir, mart) / "README.md"
    if target.exists():
        return None
    from lakeconsole.core.pipeline import load_pipeline

    declared = load_pipeline().declared
    folder = declared.readme_templates if declared is not None else None
    assert folder is not None  # the sales pipeline names its templates
    template = (folder / f"{mart}.md").read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(".README.md.tmp")
    tmp.write_text(template, encoding="utf-8")
    tmp.replace(target)
    log.info("wrote the %s mart README from the template: %s", mart, target)
    return target
