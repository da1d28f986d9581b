"""Bronze: append each new landing file to `bronze/sales_orders_raw` as raw strings plus lineage.

Append-only (OPS-02): one commit per landing file, never a rewrite. The ingestion ledger keeps
the same content from being appended twice; a renamed or changed file is new data. Files that
are not the expected CSV are recorded in quarantine, named in the run's warnings and left in place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from core.dag import StepContext, StepResult
from core.lake import landing_dir
from core.sales.definition import BRONZE_ORDERS, LANDING_COLUMNS, QUARANTINE_FILES
from core.sales.faults import crash_point
from core.sales.landing import (
    BadFile,
    LandingFile,
    content_hash,
    list_landing,
    read_batches,
    read_header,
)
from core.sales.ledger import Ingested, Ledger, Rejected, commit_metadata, iso_utc, load_ledger
from core.sales.tables import remove_leftovers, writer_properties
from core.schema_version import commit_properties, open_or_create

log = logging.getLogger("lakeconsole.sales")

# Small row groups let silver read one batch of a big file without decoding all of it.
ROW_GROUP_ROWS = 128 * 1024


def run_bronze(ctx: StepContext) -> StepResult:
    """Ingest every landing file whose content bronze does not hold yet."""
    data_dir = ctx.settings.data_dir
    bronze_path = BRONZE_ORDERS.path(data_dir)
    leftovers = remove_leftovers([bronze_path, QUARANTINE_FILES.path(data_dir)])
    open_or_create(
        bronze_path,
        BRONZE_ORDERS.schema,
        BRONZE_ORDERS.version,
        description=BRONZE_ORDERS.description,
    )
    ledger = load_ledger(ctx.settings, bronze_path)
    files = list_landing(landing_dir(data_dir))
    crash_point(ctx.settings, "bronze.after_listing")
    todo, still_rejected, already = _sort_landing(ledger, files)

    result = StepResult(details={"files_new": len(todo), "files_already_ingested": already})
    ctx.progress(0, len(todo), "files")
    new_rejects: list[Rejected] = []
    for done, (landing, digest) in enumerate(todo, start=1):
        ctx.check_cancelled()
        try:
            rows = _append(ctx, bronze_path, ledger, landing, digest)
        except BadFile as exc:
            new_rejects.append(
                Rejected(landing.name, digest, landing.size, landing.mtime_ns, str(exc))
            )
            leftovers += remove_leftovers([bronze_path])  # the refused file's half-written parquet
            log.warning("landing file %s rejected: %s", landing.name, exc)
        else:
            result.landing_rows += rows
            ledger.save(ctx.settings)
        ctx.progress(done, len(todo), "files", landing.name)

    if new_rejects:
        _record_rejects(ctx, new_rejects)
        ledger.rejected.extend(new_rejects)
    ledger.save(ctx.settings)
    for reject in [*still_rejected, *new_rejects]:
        result.warnings.append(
            f"landing file {reject.file} was not ingested: {reject.reason}. "
            "It is left in place and "
            f"recorded in {QUARANTINE_FILES.name}; fix or remove it"
        )
    result.records_in = result.records_out = result.landing_rows
    result.details.update(
        {
            "files_ingested": len(todo) - len(new_rejects),
            "files_rejected": len(new_rejects) + len(still_rejected),
            "rows_ingested": result.landing_rows,
            "leftovers_removed": len(leftovers),
        }
    )
    return result


def _sort_landing(
    ledger: Ledger, files: list[LandingFile]
) -> tuple[list[tuple[LandingFile, str]], list[Rejected], int]:
    """Split landing files into new (with their hash), rejected earlier, and already ingested.

    A file whose name, size and modification time match a ledger entry is not hashed again."""
    todo: list[tuple[LandingFile, str]] = []
    rejected: list[Rejected] = []
    already = 0
    unseen = [f for f in files if ledger.seen(f) is None]
    # Two files at a time: hashlib releases the GIL while it hashes (10 × 90 MB: 0.8 → 0.45 s).
    with ThreadPoolExecutor(max_workers=2) as pool:
        digests = dict(zip(unseen, pool.map(lambda f: content_hash(f.path), unseen), strict=True))
    for landing in files:
        entry = ledger.seen(landing)
        if entry is None:
            digest = digests[landing]
            entry = ledger.find(landing.name, digest)
            if entry is None:
                todo.append((landing, digest))
                continue
            entry.size, entry.mtime_ns = landing.size, landing.mtime_ns  # touched, same content
        if isinstance(entry, Rejected):
            rejected.append(entry)
        else:
            already += 1
    return todo, rejected, already


def _next_ingest_time(ledger: Ledger) -> str:
    """Now, but strictly after every earlier ingest: later ingest wins when lines are re-sent."""
    now = datetime.now(UTC)
    last = ledger.last_ingested_at()
    if last is not None:
        floor = datetime.strptime(last, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        now = max(now, floor + timedelta(microseconds=1))
    return iso_utc(now)


def _append(
    ctx: StepContext, bronze_path: Path, ledger: Ledger, landing: LandingFile, digest: str
) -> int:
    """Append one landing file to bronze in a single commit; returns its row count."""
    from deltalake import write_deltalake

    crash_point(ctx.settings, "bronze.before_read")
    names = read_header(landing.path)
    entry = Ingested(
        landing.name, digest, 0, _next_ingest_time(ledger), landing.size, landing.mtime_ns
    )
    refused: list[BadFile] = []
    batches = _with_lineage(ctx, landing, names, entry, refused)
    reader = pa.RecordBatchReader.from_batches(BRONZE_ORDERS.schema, batches)
    try:
        write_deltalake(
            str(bronze_path),
            reader,
            mode="append",
            writer_properties=writer_properties(BRONZE_ORDERS, ROW_GROUP_ROWS),
            commit_properties=commit_properties(BRONZE_ORDERS.version, commit_metadata(entry)),
        )
    except Exception:
        if refused:
            raise refused[0] from None
        raise
    crash_point(ctx.settings, "bronze.after_commit")
    from deltalake import DeltaTable

    ledger.bronze_version = DeltaTable(str(bronze_path)).version()
    ledger.files.append(entry)
    return entry.rows


def _with_lineage(
    ctx: StepContext,
    landing: LandingFile,
    names: list[str],
    entry: Ingested,
    refused: list[BadFile],
) -> Iterator[pa.RecordBatch]:
    ingested_us = int(
        datetime.strptime(entry.ingested_at, "%Y-%m-%dT%H:%M:%S.%fZ")
        .replace(tzinfo=UTC)
        .timestamp()
        * 1_000_000
    )
    ts_type = BRONZE_ORDERS.schema.field("_ingested_at").type
    try:
        for batch in read_batches(landing.path, names):
            n = batch.num_rows
            first = entry.rows + 1
            entry.rows += n
            yield pa.RecordBatch.from_arrays(
                [
                    *(batch.column(c) for c in LANDING_COLUMNS),
                    _constant(landing.name, n),
                    _constant(entry.hash, n),
                    pa.array(np.arange(first, first + n, dtype=np.int64)),
                    pa.array(np.full(n, ingested_us, dtype=np.int64)).cast(ts_type),
                    _constant(ctx.run_id, n),
                ],
                schema=BRONZE_ORDERS.schema,
            )
            crash_point(ctx.settings, "bronze.mid_write")
    except BadFile as exc:
        refused.append(exc)
        raise


def _constant(text: str, n: int) -> pa.Array:
    """`n` copies of `text` as a plain string column, built in Arrow rather than in Python."""
    indices = pa.array(np.zeros(n, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array([text])).cast(pa.string())


def _record_rejects(ctx: StepContext, rejects: list[Rejected]) -> None:
    """Insert-only: a file already recorded (same name and content) is not recorded twice."""
    path = QUARANTINE_FILES.path(ctx.settings.data_dir)
    dt = open_or_create(
        path,
        QUARANTINE_FILES.schema,
        QUARANTINE_FILES.version,
        description=QUARANTINE_FILES.description,
    )
    now = datetime.now(UTC)
    source = pa.table(
        {
            "file": [r.file for r in rejects],
            "content_hash": [r.hash for r in rejects],
            "size_bytes": pa.array([r.size for r in rejects], pa.int64()),
            "reason": [r.reason for r in rejects],
            "detected_at": pa.array(
                [now] * len(rejects), QUARANTINE_FILES.schema.field("detected_at").type
            ),
            "_run_id": [ctx.run_id] * len(rejects),
        },
        schema=QUARANTINE_FILES.schema,
    )
    ctx.check_cancelled()
    (
        dt.merge(
            source,
            "t.file = s.file AND t.content_hash = s.content_hash",
            source_alias="s",
            target_alias="t",
            commit_properties=commit_properties(QUARANTINE_FILES.version),
        )
        .when_not_matched_insert_all()
        .execute()
    )
