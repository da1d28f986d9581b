"""The silver block: bronze lines not yet processed → cast, validate, dedupe → MERGE into silver,
for any declared silver table (its bronze `from_`, key, partitions and rules).

Works through new bronze lines in batches (`batch_rows` or SILVER_BATCH_ROWS; memory is bounded
by the batch), newest batch first, the next ones read and cleaned in other threads while one is
written. Per batch, in this order, each write idempotent so a crash anywhere is repaired by a
re-run:
1. the partitions the batch touches are added to the pending set of each gold table reading
   silver (a superset is harmless);
2. rejected lines go to quarantine by an insert-only MERGE keyed on (file hash, row), in a
   thread of its own beside steps 3 and 4 (two tables: neither write waits for the other);
3. `fail_above`: when the share of the run's lines so far that were rejected exceeds it (the
   table's, or one rule's share above that rule's `fail_above`), the step fails here, with the
   counts per rule once the batch's rejected lines are in quarantine (where they
   belong whatever happens next); its live lines are not merged and the watermark does not pass
   them, so silver holds only whole batches and a re-run takes the batch up again;
4. the live lines go to silver after one key look-up (core/blocks/keys.py): a DELETE-only MERGE
   for keys that moved partition, an update MERGE for keys held by an older line, an insert-only
   MERGE for keys silver does not hold; a line older than the one silver holds is dropped, so the
   order of batches does not change the result, and replaying a batch commits nothing;
5. once its quarantine and silver writes are both committed, the batch's row ranges are added
   to the watermark's `done` list; once all are done the watermark (how far through bronze
   silver is) moves past them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeconsole.core.api import SilverTable, Table
from lakeconsole.core.arrow import constant
from lakeconsole.core.blocks.cleaning import clean, keep_latest
from lakeconsole.core.blocks.contract import (
    check_contract,
    contract_mark,
    merge_schema,
    stamp_when_current,
)
from lakeconsole.core.blocks.handoff import take
from lakeconsole.core.blocks.keys import as_text, delete_moved, in_list, key_range, plan_batch
from lakeconsole.core.blocks.ledger import load_ledger
from lakeconsole.core.blocks.pending import add_pending, check_pending, partition_column, readers
from lakeconsole.core.blocks.segments import (
    Segment,
    furthest,
    pending_segments,
    plan_batches,
    position,
)
from lakeconsole.core.blocks.state import state_path, write_state
from lakeconsole.core.blocks.tables import (
    exists,
    query,
    remove_leftovers,
    sql_list,
    writer_properties,
)
from lakeconsole.core.blocks.watermark import WATERMARK, current_marks, marks, read_watermark
from lakeconsole.core.dag import PipelineError, StepContext, StepResult
from lakeconsole.core.faults import crash_point
from lakeconsole.core.quality import (
    Breach,
    QualityRecord,
    breaches,
    record_quality,
    rule_thresholds,
)
from lakeconsole.core.schema_version import commit_properties, open_or_create
from lakeconsole.core.storage import LakePath, open_checked, open_delta
from lakeconsole.core.tables import TableSpec

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.silver")

# Batches read and cleaned ahead of the one being written (measured at 10M rows: 2 ahead,
# silver 14.1 → 13.5 s and 1.06 → 1.18 GB peak; the writes then wait for them less often).
AHEAD = 2
# A run with one batch (the daily file) of at least this many lines reads and cleans it as two
# halves in the two preparing threads: nothing else is there to overlap with its cleaning.
SPLIT_ROWS = 20_000
_QUARANTINE_LOCK = threading.Lock()  # quarantine is read (its mark) apart from its commits

# A newer line replaces the live one; replaying the same line (same ingest, same row) does not.
NEWER = (
    "s._ingested_at > t._ingested_at "
    "OR (s._ingested_at = t._ingested_at AND s._source_row > t._source_row)"
)


class TooManyRejected(Exception):
    """More of a run's lines failed validation than the silver table's `fail_above` allows."""


class RuleThresholdFailed(TooManyRejected):
    """One rule rejected a larger share of a run's lines than its `fail_above` allows."""


def run(ctx: StepContext, table: Table) -> StepResult:
    """Clean and merge every bronze line past the silver table's watermark."""
    if not isinstance(table, SilverTable) or table.from_ is None:
        raise PipelineError(f"{table.name}: the silver block runs silver tables")
    return Silver(ctx, table).run()


@dataclass
class Silver:
    """One run of the silver block over one declared silver table."""

    ctx: StepContext
    table: SilverTable
    counts: dict[str, int] = field(default_factory=dict)
    rules: Counter[str] = field(default_factory=Counter)

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def quarantine(self) -> Any:
        assert self.table.rejected_rows is not None
        return self.table.rejected_rows

    def run(self) -> StepResult:
        settings, table = self.settings, self.table
        data_dir = settings.lake_root
        specs = (table.spec, self.quarantine)
        leftovers = remove_leftovers([s.path(data_dir) for s in specs])
        # A watermark that no longer describes the tables (a RESTORE, a lost commit, a wrong
        # shape) is dropped: silver then re-reads bronze from its first line.
        assert table.from_ is not None
        ledger = load_ledger(settings, table.from_)  # opens bronze: once a run
        contract = contract_mark(specs)
        # Silver and quarantine, opened once for the watermark's check, the writes and everything
        # after them (each opening reads the table's log: 15-30 ms at 10M rows) when the
        # watermark as read says there is work; otherwise the check opens them plainly.
        opened: dict[str, DeltaTable | None] = {}

        def open_when_writing(read: dict[str, Any]) -> dict[str, DeltaTable | None] | None:
            paths = [s.path(data_dir) for s in specs]
            if not (
                pending_segments(read, ledger)
                or read.get("contract") != contract
                or not all(exists(p) for p in paths)
            ):
                return None
            opened.update(
                {
                    s.name: open_checked(p) if exists(p) else None
                    for s, p in zip(specs, paths, strict=True)
                }
            )
            return opened

        mark, untrusted = read_watermark(settings, table, ledger, open_when_writing)
        pending_warnings = [w for g in readers(table) if (w := check_pending(settings, g))]
        batch_rows = table.batch_rows or settings.silver_batch_rows
        batches = plan_batches(pending_segments(mark, ledger), batch_rows)
        evolve: dict[str, bool] = {}
        targets: Targets | None = None  # None when there is no write
        # The contract is checked whenever there is work, and whenever the declaration is not the
        # one the watermark recorded: a changed declaration is refused, or applied, without
        # waiting for new landing lines (a no-op run pays for neither table's schema read).
        declared_changed = mark.get("contract") != contract
        if batches or declared_changed or not all(exists(s.path(data_dir)) for s in specs):
            evolve, targets = self._prepare_tables(opened or None)
        if not batches and any(evolve.values()):
            for spec in specs:
                if evolve.get(spec.name):
                    add_declared_columns(spec, data_dir)
            targets = None  # written through other table objects
        total = sum(s.rows for batch in batches for s in batch)
        self.counts = {
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
        counts = self.counts
        # Say what silver is doing from the start: reading the first batch takes seconds.
        self.ctx.progress(0, total, "rows", f"reading batch 1 of {len(batches)}" if batches else "")
        done: list[list[object]] = list(mark.get("done", []))
        if batches:
            assert targets is not None
            self._write_batches(batches, evolve, position(mark), done, targets)
            self._record_quality(stopped=False)
        if batches or declared_changed:
            held = (targets.silver, targets.quarantine) if targets else (None, None)
            if any(
                [stamp_when_current(s, data_dir, dt) for s, dt in zip(specs, held, strict=True)]
            ):
                targets = None  # the stamp committed through another table object
        if done or untrusted or declared_changed or not mark.get("tables"):
            # Every line past the mark is in silver now: one position says so, with the versions
            # of silver and quarantine it describes and the declaration they were checked against.
            where = furthest(mark, done) if done else position(mark)
            tables = (
                marks(targets.silver, targets.quarantine, _QUARANTINE_LOCK)
                if targets
                else current_marks(settings, table)
            )
            state = {**where, "tables": tables, "contract": contract}
            write_state(settings, table, WATERMARK, state)
        written = counts["inserted"] + counts["updated"] - counts["moved_to_another_day"]
        result = StepResult(records_in=counts["rows_read"], records_out=written)
        result.details.update(counts)
        if untrusted:
            result.warnings.append(
                f"{untrusted}: re-deriving silver from all {total:,} bronze lines"
            )
        result.warnings += pending_warnings
        result.warnings += [
            b.line(table.name, self.quarantine.name) for b in self._breaches() if b.level == "warn"
        ]
        # Quarantined lines and a re-derivation are said once; a wrong pending file every run.
        result.settled = not pending_warnings
        for warning in result.warnings:
            log.warning(warning)
        if counts["quarantined"]:
            result.warnings.append(
                f"{counts['quarantined']} line(s) failed validation and were quarantined "
                f"in {self.quarantine.name}"
            )
        return result

    def _write_batches(
        self,
        batches: list[list[Segment]],
        evolve: dict[str, bool],
        mark: dict[str, Any],
        done: list[list[object]],
        targets: Targets,
    ) -> None:
        """Every batch, newest first, each recorded in `done` (and the state file) once written."""
        # Newest batch first: the older copy of a line re-sent within this run then meets the
        # newer one in silver and is dropped, instead of being written and rewritten by an update
        # MERGE. The next batches are read and cleaned in other threads while this one's rejected
        # lines are written to quarantine and its live lines to silver: all spend most of their
        # time in Arrow and delta-rs code that releases the GIL, so on two cores they overlap.
        # Silver's writes stay one batch at a time, in this thread; a batch is marked done after
        # both its writes.
        ctx, settings, data_dir = self.ctx, self.settings, self.settings.lake_root
        newest_first, total = batches[::-1], sum(s.rows for b in batches for s in b)
        n = len(batches)
        assert self.table.from_ is not None
        bronze = _open(self.table.from_.spec.path(data_dir))  # unchanged while silver runs
        counts = self.counts
        with (
            ThreadPoolExecutor(max_workers=AHEAD, thread_name_prefix="silver-prepare") as pool,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="silver-quarantine") as rejects,
        ):
            if n == 1 and total >= SPLIT_ROWS:
                halves = plan_batches(newest_first[0], -(-total // 2))
                ahead = deque(
                    [self._joined([pool.submit(self._cleaned, bronze, h) for h in halves])]
                )
            else:
                ahead = deque(pool.submit(self._cleaned, bronze, b) for b in newest_first[:AHEAD])
            for k, batch in enumerate(newest_first):
                ctx.check_cancelled()
                if k:
                    ctx.progress(
                        counts["rows_read"], total, "rows", f"reading batch {k + 1} of {n}"
                    )
                prepared = ahead.popleft().result()
                if k + AHEAD < len(newest_first):
                    ahead.append(pool.submit(self._cleaned, bronze, newest_first[k + AHEAD]))
                # The batch's rejected lines go to quarantine while its live lines go to silver
                # (two tables, two cores: at 10M a day's file waited ~40 ms for quarantine
                # first). Both are written before the batch counts as done, and quarantine
                # also when silver's part fails (fail_above): they belong there either way.
                quarantined = rejects.submit(self._quarantine, prepared, evolve, targets)
                try:
                    self._merge_batch(prepared, evolve, targets)
                finally:
                    quarantined.result()
                done += [[s.file.ingested_at, s.file.file, s.first, s.last] for s in batch]
                tables = marks(targets.silver, targets.quarantine, _QUARANTINE_LOCK)
                write_state(
                    settings, self.table, WATERMARK, {**mark, "done": done, "tables": tables}
                )
                crash_point(settings, "silver.after_batch")
                ctx.progress(counts["rows_read"], total, "rows", f"merged batch {k + 1} of {n}")

    def _prepare_tables(
        self, held: dict[str, DeltaTable | None] | None = None
    ) -> tuple[dict[str, bool], Targets]:
        """Check the silver and quarantine contracts (OPS-06), then make sure both tables exist.
        Returns, per table, whether the MERGE adds columns, and both tables opened. `held`: both
        already opened (checked for damage), by name."""
        data_dir, silver, quarantine = self.settings.lake_root, self.table.spec, self.quarantine
        path = state_path(self.settings, self.table, WATERMARK)
        rebuild = (
            f"Rebuild it from bronze: move the table folder aside, delete {path} and run again"
        )
        # An existing table is opened once (checked for damage) and its contract checked on that
        # object, which the run then writes through.
        opened = held or {
            s.name: open_checked(s.path(data_dir)) if exists(s.path(data_dir)) else None
            for s in (silver, quarantine)
        }
        evolve = {
            s.name: merge_schema(s, check_contract(s, data_dir, opened[s.name]), rebuild)
            for s in (silver, quarantine)
        }
        silver_dt = opened[silver.name] or open_or_create(
            silver.path(data_dir),
            silver.schema,
            silver.version,
            list(silver.partition_by),
            silver.description,
        )
        quarantine_dt = opened[quarantine.name] or open_or_create(
            quarantine.path(data_dir),
            quarantine.schema,
            quarantine.version,
            description=quarantine.description,
        )
        return evolve, Targets(silver_dt, quarantine_dt)

    def _quarantine(self, prepared: Prepared, evolve: dict[str, bool], targets: Targets) -> None:
        """Put the batch's rejected lines in quarantine (insert-only, keyed on file hash and
        row: a replay adds nothing); run beside the batch's silver writes."""
        ctx, quarantine = self.ctx, self.quarantine
        if prepared.rejected.num_rows:
            rejected = prepared.rejected.append_column(
                "_run_id", constant(ctx.run_id, prepared.rejected.num_rows, pa.string())
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
                        merge_schema=evolve[quarantine.name],
                        commit_properties=commit_properties(quarantine.version),
                    )
                    .when_not_matched_insert_all()
                    .execute()
                )
        crash_point(ctx.settings, "silver.after_quarantine")

    def _joined(self, parts: list[Future[Prepared]]) -> Future[Prepared]:
        """One batch cleaned in parts, as one: the parts' lines together, one live line per key
        across them (a key may have a line in each)."""
        done = [p.result() for p in parts]
        live, superseded = keep_latest(
            pa.concat_tables([p.live for p in done]), self.table.spec.key
        )
        joined: Future[Prepared] = Future()
        joined.set_result(
            Prepared(
                sum(p.rows_read for p in done),
                live,
                superseded + sum(p.superseded for p in done),
                pa.concat_tables([p.rejected for p in done]),
            )
        )
        return joined

    def _cleaned(self, bronze: DeltaTable, batch: list[Segment]) -> Prepared:
        """The batch's bronze lines cleaned, one live line per key (core/engines/spark.py does
        this part on a Spark Connect endpoint)."""
        assert self.table.from_ is not None
        where = self.table.from_.spec.path(self.settings.lake_root)
        parts, rest = take(self.ctx.run_id, where, bronze, batch)  # bronze's, of this run
        if rest:
            sql = "SELECT * FROM bronze WHERE " + " OR ".join(s.sql() for s in rest)
            read = query(bronze, sql, "bronze")
            parts = [read, *(p if p.schema == read.schema else p.cast(read.schema) for p in parts)]
        raw = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
        cleaned = clean(raw, self.table)
        live, superseded = keep_latest(cleaned.valid, self.table.spec.key)
        return Prepared(raw.num_rows, live, superseded, cleaned.rejected)

    def _merge_batch(self, prepared: Prepared, evolve: dict[str, bool], targets: Targets) -> None:
        live, counts, spec = prepared.live, self.counts, self.table.spec
        counts["rows_read"] += prepared.rows_read
        counts["duplicates_superseded"] += prepared.superseded
        counts["quarantined"] += prepared.rejected.num_rows
        if prepared.rejected.num_rows:
            self.rules.update(prepared.rejected.column("rule").to_pylist())
        self._check_fail_above()
        if not live.num_rows:
            return
        self._add_pending(live, {})
        self.ctx.check_cancelled()
        silver = targets.silver
        plan = plan_batch(silver, live, spec.key, spec.partition_by)
        counts["duplicates_superseded"] += plan.stale
        counts["already_in_silver"] += plan.replayed
        if plan.old_partitions:
            self._add_pending(None, plan.old_partitions)
            # A moved key's old row is replaced (counted as updated, for the accounting) and its
            # new row is inserted; records out counts it once.
            moved = delete_moved(
                silver,
                plan,
                spec.key,
                NEWER,
                commit_properties(spec.version),
                writer_properties(spec),
            )
            counts["updated"] += moved
            counts["moved_to_another_day"] += moved
        # Updates, then inserts, as two MERGEs: an update rewrites only the files holding a key it
        # replaces, and new keys land in files of their own. One combined MERGE would write new
        # keys into the rewritten files, so every later update would rewrite them again.
        evolve_silver = evolve[spec.name]
        updated = self._merge(silver, plan.updates, evolve_silver, inserts=False)
        crash_point(self.settings, "silver.after_merge")
        inserted = self._merge(silver, plan.inserts, evolve_silver, inserts=True)
        counts["inserted"] += inserted
        counts["updated"] += updated
        counts["already_in_silver"] += (
            plan.updates.num_rows + plan.inserts.num_rows - inserted - updated
        )

    def _check_fail_above(self) -> None:
        """Fail before merging a batch when too many of the run's lines so far were rejected."""
        limit, read = self.table.fail_above, self.counts["rows_read"]
        rejected = self.counts["quarantined"]
        failed = [b for b in self._breaches() if b.level == "fail"]
        if failed:
            self._record_quality(stopped=True)
            raise RuleThresholdFailed(failed[0].line(self.table.name, self.quarantine.name))
        if limit is None or not read or rejected / read <= limit:
            return
        by_rule = ", ".join(f"{name} {n:,}" for name, n in self.rules.most_common())
        self._record_quality(stopped=True)
        raise TooManyRejected(
            f"{self.table.name}: {rejected:,} of {read:,} lines ({rejected / read:.1%}) failed "
            f"validation, above fail_above {limit:.1%} ({by_rule}); they are in "
            f"{self.quarantine.name} and silver was not changed by this batch. Bronze keeps "
            "those lines (append-only), so a corrected file does not remove them: look at them "
            f"(lakeconsole show {self.quarantine.name}), then raise fail_above in the "
            "declaration for one run to let silver go past them"
        )

    def _breaches(self) -> list[Breach]:
        """The rules whose share of the run's lines so far is above a declared threshold."""
        return breaches(rule_thresholds(self.table.rules), self.rules, self.counts["rows_read"])

    def _record_quality(self, stopped: bool) -> None:
        """The lines this run checked and rejected, per rule (`lakeconsole quality`)."""
        record = QualityRecord(
            self.ctx.run_id,
            time.time(),
            self.table.name,
            self.quarantine.name,
            self.counts["rows_read"],
            dict(self.rules),
            stopped,
            self.ctx.step,
            rule_thresholds(self.table.rules),
            {b.rule: b.level for b in self._breaches()},
        )
        record_quality(self.settings, record)

    def _merge(self, silver: DeltaTable, live: pa.Table, evolve: bool, inserts: bool) -> int:
        """Insert the new keys, or update the keys a later line replaces; returns rows written."""
        if not live.num_rows:
            return 0
        spec = self.table.spec
        merger = silver.merge(
            live,
            merge_condition(live, spec.key, spec.partition_by),
            source_alias="s",
            target_alias="t",
            merge_schema=evolve,
            writer_properties=writer_properties(spec),
            commit_properties=commit_properties(spec.version),
        )
        if inserts:
            metrics = merger.when_not_matched_insert_all().execute()
            return int(metrics.get("num_target_rows_inserted", 0))
        metrics = merger.when_matched_update_all(predicate=NEWER).execute()
        return int(metrics.get("num_target_rows_updated", 0))

    def _add_pending(self, live: pa.Table | None, old: dict[str, list[object]]) -> None:
        """Tell each gold table reading silver which of its partitions this batch may change,
        before changing them: the batch's values, or the old values of keys that moved."""
        for gold in readers(self.table):
            column = partition_column(gold)
            if column is None:
                add_pending(self.settings, gold, {"*"})
                continue
            if live is not None:
                values = {as_text(v) for v in pc.unique(live.column(column)).to_pylist()}
            else:
                values = {as_text(v) for v in old.get(column, [])}
            if values:
                add_pending(self.settings, gold, values)


def merge_condition(live: pa.Table, key: tuple[str, ...], partition_by: tuple[str, ...]) -> str:
    """Match on the key, restricted to the batch's partitions (the MERGE reads no others) and
    its range of the first key column (files written sorted by key are skipped by statistics)."""
    places = [f"t.{p} IN {in_list(_values(live, p))}" for p in partition_by]
    low, high = key_range(live, key[0])
    same = [f"t.{c} = s.{c}" for c in dict.fromkeys((*partition_by, *key))]
    return " AND ".join([*places, f"t.{key[0]} >= {low}", f"t.{key[0]} <= {high}", *same])


def _values(live: pa.Table, column: str) -> list[object]:
    return sorted(v for v in pc.unique(live.column(column)).to_pylist() if v is not None)


@dataclass(frozen=True)
class Prepared:
    """One batch of bronze lines, cleaned: the live lines (one per key) and the rejected ones."""

    rows_read: int
    live: pa.Table
    superseded: int
    rejected: pa.Table


@dataclass(frozen=True)
class Targets:
    """Silver and quarantine, opened once per run: each MERGE leaves its table object at the
    version it committed, and opening a table reads its log again (20–30 ms a time)."""

    silver: DeltaTable
    quarantine: DeltaTable


def _open(path: LakePath) -> DeltaTable:
    return open_delta(path)


def add_declared_columns(spec: TableSpec, data_dir: LakePath) -> None:
    """Add the columns a bumped declaration adds (OPS-06: the bump allows it) when no batch is
    there to bring them in with a MERGE; the version is stamped after, as for a MERGE."""
    from deltalake import Field

    from lakeconsole.core.contracts import table_schema

    dt = open_delta(spec.path(data_dir))
    have = set(table_schema(dt).names)
    added = [Field.from_arrow(f) for f in spec.schema if f.name not in have]
    if added:
        dt.alter.add_columns(added, commit_properties=commit_properties(spec.version))
