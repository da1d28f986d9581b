"""Silver: bronze lines not yet processed → cast, validate, dedupe → MERGE into silver.

Works through new bronze lines in batches of SILVER_BATCH_ROWS (memory is bounded by the batch),
newest batch first, the next one read and cleaned in a second thread while one is written.
Per batch, in this order, each write idempotent so a crash anywhere is repaired by a re-run:
1. the order dates the batch touches are added to gold's pending set (a superset is harmless);
2. rejected lines go to quarantine by an insert-only MERGE keyed on (file hash, row);
3. the live lines go to silver after one key look-up (core/sales/keys.py): a DELETE-only MERGE
   for keys that moved day, an update MERGE for keys held by an older line, an insert-only MERGE
   for keys silver does not hold; a line older than the one silver holds is dropped, so the
   order of batches does not change the result, and replaying a batch commits nothing;
4. the batch's row ranges are added to the watermark's `done` list; once all are done the
   watermark (how far through bronze silver is) moves past them.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.blocks.contract import check_contract, merge_schema, stamp_when_current
from lakeconsole.core.blocks.ledger import Ingested, Ledger, load_ledger
from lakeconsole.core.blocks.state import write_state
from lakeconsole.core.blocks.tables import (
    exists,
    query,
    remove_leftovers,
    sql_list,
    writer_properties,
)
from lakeconsole.core.dag import StepContext, StepResult
from lakeconsole.core.faults import crash_point
from lakeconsole.core.sales import declared
from lakeconsole.core.sales.cleaning import clean, keep_latest
from lakeconsole.core.sales.definition import BRONZE_ORDERS, QUARANTINE_ROWS, SILVER_ORDERS
from lakeconsole.core.sales.keys import delete_moved, plan_batch
from lakeconsole.core.sales.silver_state import (
    GOLD_PENDING,
    WATERMARK,
    add_gold_pending_days,
    check_gold_pending,
    current_marks,
    marks,
    read_watermark,
)
from lakeconsole.core.schema_version import commit_properties, open_or_create

if TYPE_CHECKING:
    from deltalake import DeltaTable

log = logging.getLogger("lakeconsole.sales")
__all__ = ["GOLD_PENDING", "WATERMARK", "run_silver"]  # gold and the tests name the state files

REBUILD = (
    "Rebuild it from bronze: move the table folder aside, delete "
    "data/_lakeconsole/sales/sales_orders.watermark.json and run again"
)
# Batches read and cleaned ahead of the one being written (measured at 10M rows: 2 ahead,
# silver 14.1 → 13.5 s and 1.06 → 1.18 GB peak; the writes then wait for them less often).
AHEAD = 2
_QUARANTINE_LOCK = threading.Lock()  # the preparing threads take turns to commit quarantine

# A newer line replaces the live one; replaying the same line (same ingest, same row) does not.
NEWER = (
    "s._ingested_at > t._ingested_at "
    "OR (s._ingested_at = t._ingested_at AND s._source_row > t._source_row)"
)


@dataclass(frozen=True)
class Segment:
    """Rows first..last of one ingested landing file."""

    file: Ingested
    first: int
    last: int

    @property
    def rows(self) -> int:
        return self.last - self.first + 1

    def sql(self) -> str:
        return (
            f"(_source_hash = '{self.file.hash}' "
            f"AND _source_file = {sql_list([self.file.file])[1:-1]}"
            f" AND _source_row BETWEEN {self.first} AND {self.last})"
        )


def run_silver(ctx: StepContext) -> StepResult:
    """Clean and merge every bronze line past the watermark."""
    settings = ctx.settings
    data_dir = settings.data_dir
    silver_path, quarantine_path = SILVER_ORDERS.path(data_dir), QUARANTINE_ROWS.path(data_dir)
    leftovers = remove_leftovers([silver_path, quarantine_path])
    # A watermark that no longer describes the tables (a RESTORE, a lost commit, a wrong shape)
    # is dropped: silver then re-reads bronze from its first line.
    ledger = load_ledger(settings, declared.bronze())  # opens bronze: once a run
    mark, untrusted = read_watermark(data_dir, settings, ledger)
    pending_warning = check_gold_pending(settings)
    batches = plan_batches(pending_segments(ctx, mark, ledger), settings.silver_batch_rows)
    evolve: dict[str, bool] = {}
    if batches or not (exists(silver_path) and exists(quarantine_path)):
        evolve = _prepare_tables(data_dir)
    total = sum(s.rows for batch in batches for s in batch)
    counts = {
        "rows_read": 0,
        "quarantined": 0,
        "duplicates_superseded": 0,
        "inserted": 0,
        "updated": 0,
        "moved_to_another_day": 0,
        "already_in_silver": 0,
        "batches": len(batches),
        "leftovers_removed": len(leftovers),
    }
    # Say what silver is doing from the start: reading the first batch takes seconds.
    ctx.progress(0, total, "rows", f"reading batch 1 of {len(batches)}" if batches else "")
    done: list[list[object]] = list(mark.get("done", []))
    if batches:
        _write_batches(ctx, batches, counts, evolve, _position(mark), done)
    if done or untrusted or not mark.get("tables"):
        # Every line past the mark is in silver now: one position says so, with the versions
        # of silver and quarantine it describes.
        position = _furthest(mark, done) if done else _position(mark)
        write_state(
            settings, declared.silver(), WATERMARK, {**position, "tables": current_marks(data_dir)}
        )
    if batches:
        for spec in (SILVER_ORDERS, QUARANTINE_ROWS):
            stamp_when_current(spec, data_dir)
    written = counts["inserted"] + counts["updated"] - counts["moved_to_another_day"]
    result = StepResult(records_in=counts["rows_read"], records_out=written)
    result.details.update(counts)
    if untrusted:
        result.warnings.append(f"{untrusted}: re-deriving silver from all {total:,} bronze lines")
    if pending_warning:
        result.warnings.append(pending_warning)
    for warning in result.warnings:
        log.warning(warning)
    if counts["quarantined"]:
        result.warnings.append(
            f"{counts['quarantined']} line(s) failed validation and were quarantined "
            f"in {QUARANTINE_ROWS.name}"
        )
    return result


def _write_batches(
    ctx: StepContext,
    batches: list[list[Segment]],
    counts: dict[str, int],
    evolve: dict[str, bool],
    mark: dict[str, Any],
    done: list[list[object]],
) -> None:
    """Every batch, newest first, each recorded in `done` (and the state file) once written."""
    # Newest batch first: the older copy of a line re-sent within this run then meets the newer
    # one in silver and is dropped, instead of being written and rewritten by an update MERGE.
    # The next batches are read, cleaned and their rejected lines quarantined in other threads
    # while this one is written to silver: both halves spend most of their time in Arrow and
    # delta-rs code that releases the GIL, so on two cores they overlap. Silver's writes stay
    # one batch at a time, in this thread; a batch is marked done after both halves.
    settings, data_dir = ctx.settings, ctx.settings.data_dir
    newest_first, total = batches[::-1], sum(s.rows for b in batches for s in b)
    n = len(batches)
    targets = Targets(_open(SILVER_ORDERS.path(data_dir)), _open(QUARANTINE_ROWS.path(data_dir)))
    bronze = _open(BRONZE_ORDERS.path(data_dir))  # unchanged while silver runs
    with ThreadPoolExecutor(max_workers=AHEAD, thread_name_prefix="silver-prepare") as pool:
        ahead = deque(
            pool.submit(_prepare_batch, ctx, bronze, b, evolve, targets)
            for b in newest_first[:AHEAD]
        )
        for k, batch in enumerate(newest_first):
            ctx.check_cancelled()
            if k:
                ctx.progress(counts["rows_read"], total, "rows", f"reading batch {k + 1} of {n}")
            prepared = ahead.popleft().result()
            if k + AHEAD < len(newest_first):
                later = newest_first[k + AHEAD]
                ahead.append(pool.submit(_prepare_batch, ctx, bronze, later, evolve, targets))
            _merge_batch(ctx, prepared, counts, evolve, targets)
            done += [[s.file.ingested_at, s.file.file, s.first, s.last] for s in batch]
            tables = marks(targets.silver, targets.quarantine, _QUARANTINE_LOCK)
            write_state(
                settings, declared.silver(), WATERMARK, {**mark, "done": done, "tables": tables}
            )
            crash_point(settings, "silver.after_batch")
            ctx.progress(counts["rows_read"], total, "rows", f"merged batch {k + 1} of {n}")


def _prepare_tables(data_dir: Path) -> dict[str, bool]:
    """Check the silver and quarantine contracts (OPS-06), then make sure both tables exist.
    Returns, per table, whether the MERGE adds columns."""
    evolve = {
        spec.name: merge_schema(spec, check_contract(spec, data_dir), REBUILD)
        for spec in (SILVER_ORDERS, QUARANTINE_ROWS)
    }
    open_or_create(
        SILVER_ORDERS.path(data_dir),
        SILVER_ORDERS.schema,
        SILVER_ORDERS.version,
        list(SILVER_ORDERS.partition_by),
        SILVER_ORDERS.description,
    )
    open_or_create(
        QUARANTINE_ROWS.path(data_dir),
        QUARANTINE_ROWS.schema,
        QUARANTINE_ROWS.version,
        description=QUARANTINE_ROWS.description,
    )
    return evolve


def pending_segments(
    ctx: StepContext, mark: dict[str, Any] | None = None, ledger: Ledger | None = None
) -> list[Segment]:
    """The bronze rows past the watermark that no batch has done yet, oldest ingest first.

    The watermark is a position (ingest time, file, row): every line up to it is in silver.
    Its `done` list names the row ranges past it that batches of an unfinished run wrote."""
    if ledger is None:
        ledger = load_ledger(ctx.settings, declared.bronze())
    if mark is None:
        mark = read_watermark(ctx.settings.data_dir, ctx.settings, ledger)[0]
    mark_key = (mark.get("ingested_at", ""), mark.get("file", ""))
    done: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for ingested_at, file, first, last in mark.get("done", []):
        done.setdefault((ingested_at, file), []).append((first, last))
    segments = []
    for entry in sorted(ledger.files, key=lambda f: (f.ingested_at, f.file)):
        key = (entry.ingested_at, entry.file)
        if key < mark_key:
            continue
        first = int(mark.get("row", 0)) + 1 if key == mark_key else 1
        for a, b in _not_done(first, entry.rows, done.get(key, [])):
            segments.append(Segment(entry, a, b))
    return segments


def _not_done(first: int, last: int, done: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of rows first..last outside the `done` ranges."""
    parts = []
    for a, b in sorted(done):
        if a > first:
            parts.append((first, min(last, a - 1)))
        first = max(first, b + 1)
    if first <= last:
        parts.append((first, last))
    return [(a, b) for a, b in parts if a <= b]


def _position(mark: dict[str, Any]) -> dict[str, Any]:
    return {k: mark[k] for k in ("ingested_at", "file", "row") if k in mark}


def _furthest(mark: dict[str, Any], done: list[list[Any]]) -> dict[str, Any]:
    """The watermark once every line past `mark` is done: the last line of the last range."""
    ingested_at, file, _, row = max(done, key=lambda d: (d[0], d[1], d[3]))
    if (mark.get("ingested_at", ""), mark.get("file", ""), int(mark.get("row", 0))) > (
        ingested_at,
        file,
        row,
    ):
        return _position(mark)
    return {"ingested_at": ingested_at, "file": file, "row": row}


def plan_batches(segments: list[Segment], batch_rows: int) -> list[list[Segment]]:
    """Group segments into batches of at most `batch_rows` rows, splitting big files."""
    batches: list[list[Segment]] = []
    current: list[Segment] = []
    room = batch_rows
    for seg in segments:
        first = seg.first
        while first <= seg.last:
            last = min(seg.last, first + room - 1)
            current.append(Segment(seg.file, first, last))
            room -= last - first + 1
            first = last + 1
            if room == 0:
                batches.append(current)
                current, room = [], batch_rows
    if current:
        batches.append(current)
    return batches


@dataclass(frozen=True)
class Prepared:
    """One batch of bronze lines, cleaned: the live lines (one per key) and the rejected ones."""

    rows_read: int
    live: pa.Table
    superseded: int
    rejected: pa.Table


def _prepare_batch(
    ctx: StepContext,
    bronze: DeltaTable,
    batch: list[Segment],
    evolve: dict[str, bool],
    targets: Targets,
) -> Prepared:
    """Read the batch's bronze lines, clean them, keep the latest line per key, and put the
    rejected lines in quarantine (insert-only, keyed: a replay adds nothing). Quarantine is
    written here, in the preparing threads, to share the work evenly with silver's writes."""
    raw = query(
        bronze, "SELECT * FROM bronze WHERE " + " OR ".join(s.sql() for s in batch), "bronze"
    )
    cleaned = clean(raw)
    live, superseded = keep_latest(cleaned.valid)
    prepared = Prepared(raw.num_rows, live, superseded, cleaned.rejected)
    if prepared.rejected.num_rows:
        rejected = prepared.rejected.append_column(
            "_run_id", pa.array([ctx.run_id] * prepared.rejected.num_rows, pa.string())
        )
        ctx.check_cancelled()
        hashes = sql_list(sorted(set(rejected.column("_source_hash").to_pylist())))
        with _QUARANTINE_LOCK:
            (
                targets.quarantine.merge(
                    rejected,
                    f"t._source_hash IN {hashes} "
                    "AND t._source_hash = s._source_hash AND t._source_row = s._source_row",
                    source_alias="s",
                    target_alias="t",
                    merge_schema=evolve[QUARANTINE_ROWS.name],
                    commit_properties=commit_properties(QUARANTINE_ROWS.version),
                )
                .when_not_matched_insert_all()
                .execute()
            )
    crash_point(ctx.settings, "silver.after_quarantine")
    return prepared


def _open(path: Path) -> DeltaTable:
    from deltalake import DeltaTable

    return DeltaTable(str(path))


@dataclass(frozen=True)
class Targets:
    """Silver and quarantine, opened once per run: each MERGE leaves its table object at the
    version it committed, and opening a table reads its log again (20–30 ms a time)."""

    silver: DeltaTable
    quarantine: DeltaTable


def _merge_batch(
    ctx: StepContext,
    prepared: Prepared,
    counts: dict[str, int],
    evolve: dict[str, bool],
    targets: Targets,
) -> None:
    live = prepared.live
    counts["rows_read"] += prepared.rows_read
    counts["duplicates_superseded"] += prepared.superseded
    counts["quarantined"] += prepared.rejected.num_rows
    if live.num_rows:
        _add_gold_pending(ctx, live)
    if not live.num_rows:
        return
    ctx.check_cancelled()
    silver = targets.silver
    plan = plan_batch(silver, live)
    counts["duplicates_superseded"] += plan.stale
    counts["already_in_silver"] += plan.replayed
    if plan.old_days:
        _add_gold_pending_days(ctx, set(plan.old_days))
        # A moved key's old row is replaced (counted as updated, for the accounting) and its
        # new row is inserted; records out counts it once.
        moved = delete_moved(
            silver,
            plan,
            NEWER,
            commit_properties(SILVER_ORDERS.version),
            writer_properties(SILVER_ORDERS),
        )
        counts["updated"] += moved
        counts["moved_to_another_day"] += moved
    # Updates, then inserts, as two MERGEs: an update rewrites only the files holding a key it
    # replaces, and new keys land in files of their own. One combined MERGE would write new keys
    # into the rewritten files, so every later update would rewrite them again.
    evolve_silver = evolve[SILVER_ORDERS.name]
    updated = (
        _merge(silver, plan.updates, evolve_silver, inserts=False) if plan.updates.num_rows else 0
    )
    crash_point(ctx.settings, "silver.after_merge")
    inserted = (
        _merge(silver, plan.inserts, evolve_silver, inserts=True) if plan.inserts.num_rows else 0
    )
    counts["inserted"] += inserted
    counts["updated"] += updated
    counts["already_in_silver"] += (
        plan.updates.num_rows + plan.inserts.num_rows - inserted - updated
    )


def _merge(silver: DeltaTable, live: pa.Table, evolve: bool, inserts: bool) -> int:
    """Insert the new keys, or update the keys a later line replaces; returns the rows written."""
    merger = silver.merge(
        live,
        _merge_condition(live),
        source_alias="s",
        target_alias="t",
        merge_schema=evolve,
        writer_properties=writer_properties(SILVER_ORDERS),
        commit_properties=commit_properties(SILVER_ORDERS.version),
    )
    if inserts:
        metrics = merger.when_not_matched_insert_all().execute()
        return int(metrics.get("num_target_rows_inserted", 0))
    metrics = merger.when_matched_update_all(predicate=NEWER).execute()
    return int(metrics.get("num_target_rows_updated", 0))


def _merge_condition(live: pa.Table) -> str:
    """Match on the key, restricted to the batch's day partitions (the MERGE reads no other day)
    and its order_id range (files written sorted by key are skipped by their statistics)."""
    days = sql_list(sorted(d.isoformat() for d in pc.unique(live.column("order_date")).to_pylist()))
    low, high = (sql_list([v]) for v in pc.min_max(live.column("order_id")).values())
    return (
        f"t.order_date IN {days} AND t.order_id >= {low[1:-1]} AND t.order_id <= {high[1:-1]} "
        "AND t.order_date = s.order_date AND t.order_id = s.order_id AND t.line_no = s.line_no"
    )


def _add_gold_pending(ctx: StepContext, live: pa.Table) -> None:
    """Remember the dates this batch may change, before changing them."""
    _add_gold_pending_days(
        ctx, {d.isoformat() for d in pc.unique(live.column("order_date")).to_pylist()}
    )


def _add_gold_pending_days(ctx: StepContext, dates: set[str]) -> None:
    add_gold_pending_days(ctx.settings, dates)
