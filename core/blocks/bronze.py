"""The bronze block: append each new landing file of a declared bronze table as raw text plus
lineage, for any pipeline (`run(ctx, table)`).

Append-only (OPS-02): one commit per landing file, never a rewrite. The ingestion ledger keeps
the same content from being appended twice; a renamed or changed file is new data. Files that
are not what the source declares (CSV, JSON lines or Parquet with its columns) are recorded in
the table's rejected-files quarantine, named in the run's warnings and left in place. Landing
files that match no source of the pipeline are named in the warnings too, never read.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from lakeconsole.core.api import BronzeTable
from lakeconsole.core.arrow import from_numpy, strings
from lakeconsole.core.blocks.handoff import Keeper, keep, room_for
from lakeconsole.core.blocks.landing_read import (
    BLOCK_BYTES,
    BadFile,
    FileChanged,
    LandingFile,
    RowTooLong,
    Unreadable,
    content_hash,
    open_landing,
    unreadable,
)
from lakeconsole.core.blocks.landing_sources import fetched, landing_of, read_rows
from lakeconsole.core.blocks.ledger import (
    Ingested,
    Ledger,
    Rebuilt,
    Rejected,
    commit_metadata,
    iso_utc,
    load_ledger,
)
from lakeconsole.core.blocks.read_ahead import read_ahead
from lakeconsole.core.blocks.tables import remove_leftovers, writer_properties
from lakeconsole.core.dag import StepContext, StepResult
from lakeconsole.core.faults import crash_point
from lakeconsole.core.schema_version import commit_properties, open_or_create
from lakeconsole.core.storage import open_delta, table_exists
from lakeconsole.core.tables import TableSpec

log = logging.getLogger("lakeconsole.bronze")

# Small row groups let silver read one batch of a big file without decoding all of it.
ROW_GROUP_ROWS = 128 * 1024
# Batches parsed ahead of the writer (about 4 MB of text each): enough to keep both cores busy.
READ_AHEAD_BATCHES = 3


@dataclass
class Outcomes:
    """What becomes of each landing file this run; every one ends in exactly one list."""

    todo: list[tuple[LandingFile, str]] = field(default_factory=list)  # new, with their hash
    ingested: int = 0  # of the new ones, committed this run
    already: int = 0
    rejected_before: list[Rejected] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)  # this run, kept in the ledger
    unreadable: list[Rejected] = field(default_factory=list)  # tried again every run
    changed: list[str] = field(default_factory=list)  # left for the next run
    vanished: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about files ingested (bad JSON lines)


def run(ctx: StepContext, table: BronzeTable) -> StepResult:
    """Ingest every landing file of `table`'s source whose content bronze does not hold yet."""
    data_dir = ctx.settings.lake_root
    spec, files_spec = table.spec, _files_spec(table)
    bronze_path = spec.path(data_dir)
    leftovers = remove_leftovers([bronze_path, files_spec.path(data_dir)])
    if not table_exists(bronze_path):
        open_or_create(bronze_path, spec.schema, spec.version, description=spec.description)
    ledger = load_ledger(ctx.settings, table)
    landing = landing_of(ctx.settings, table)
    crash_point(ctx.settings, "bronze.after_listing")
    after_fetch = functools.partial(crash_point, ctx.settings, "bronze.after_fetch")
    with fetched(landing.files, lambda f: ledger.seen(f) is None, after_fetch) as local:
        out = _sort_landing(ledger, local.files)
        out.changed += local.changed
        new_files = len(out.todo)
        result = StepResult(details={"files_new": new_files, "files_already_ingested": out.already})
        if ledger.rebuilt:
            result.warnings.append(_rebuilt_warning(ledger.rebuilt, out))
        leftovers += _ingest_new(ctx, table, ledger, out, result)

    if out.rejected or out.unreadable:
        _record_rejects(ctx, files_spec, [*out.rejected, *out.unreadable])
        ledger.rejected.extend(out.rejected)
    ledger.save(ctx.settings, table)
    result.warnings.extend(landing.warnings)
    result.warnings.extend(_warnings(files_spec, out))
    for warning in result.warnings:
        log.warning("%s", warning)
    result.records_in = result.records_out = result.landing_rows
    # Notes on lines of ingested files and a rebuilt ledger are said once; a rejected, unreadable,
    # changed or unread entry is named again by every run, so a re-run is not skipped.
    result.settled = not (
        out.rejected_before or out.rejected or out.unreadable or out.changed or landing.warnings
    )
    result.details.update(
        {
            "files_ingested": out.ingested,
            "files_rejected": len(out.rejected_before) + len(out.rejected) + len(out.unreadable),
            "files_changed_while_read": len(out.changed),
            "entries_skipped": len(landing.warnings) + len(out.vanished),
            "rows_ingested": result.landing_rows,
            "leftovers_removed": len(leftovers),
        }
    )
    return result


def _files_spec(table: BronzeTable) -> TableSpec:
    assert table.rejected_files is not None  # Pipeline.bronze always declares it
    return table.rejected_files


def _ingest_new(
    ctx: StepContext, table: BronzeTable, ledger: Ledger, out: Outcomes, result: StepResult
) -> list[str]:
    """Append each new file, one commit each; a bad one is put in its list, the rest go on.
    Returns the leftovers removed after files that were not committed."""
    leftovers: list[str] = []
    bronze_path = table.spec.path(ctx.settings.lake_root)
    total = len(out.todo)
    ctx.progress(0, total, "files")
    for done, (file, digest) in enumerate(out.todo, start=1):
        ctx.check_cancelled()
        try:
            notes: list[str] = []
            result.landing_rows += _ingest(ctx, table, ledger, file, digest, notes)
            out.notes += [f"landing file {file.name}: {note}" for note in notes]
            ledger.save(ctx.settings, table)
            out.ingested += 1
        except (BadFile, Unreadable, FileChanged, FileNotFoundError) as exc:
            _sort_refusal(out, file, digest, exc)
            leftovers += remove_leftovers([bronze_path])  # the file's half-written parquet
        ctx.progress(done, total, "files", file.name)
    return leftovers


def _sort_refusal(out: Outcomes, file: LandingFile, digest: str, exc: Exception) -> None:
    if isinstance(exc, BadFile):
        out.rejected.append(Rejected(file.name, digest, file.size, file.mtime_ns, str(exc)))
    elif isinstance(exc, Unreadable):
        out.unreadable.append(Rejected(file.name, "", file.size, file.mtime_ns, str(exc)))
    elif isinstance(exc, FileChanged):
        out.changed.append(file.name)
    else:
        out.vanished.append(file.name)


def _rebuilt_warning(rebuilt: Rebuilt, out: Outcomes) -> str:
    """The ledger was rebuilt because bronze moved under it: what that means for the files."""
    dropped = {(f.file, f.hash) for f in rebuilt.dropped}
    again = sum((file.name, digest) in dropped for file, digest in out.todo)
    line = (
        f"{rebuilt.reason}: ingestion ledger rebuilt from the bronze rows; "
        f"{again} landing file(s) no longer in bronze are ingested again"
    )
    if len(dropped) > again:
        line += (
            f"; {len(dropped) - again} file(s) no longer in bronze are not in landing/ either: "
            "put them back in landing/ to ingest their rows again"
        )
    return line


def _warnings(files_spec: TableSpec, out: Outcomes) -> list[str]:
    """One line per landing file that was not ingested, each with why and what to do."""
    lines = list(out.notes)
    for reject in [*out.rejected_before, *out.rejected, *out.unreadable]:
        lines.append(
            f"landing file {reject.file} was not ingested: {reject.reason.rstrip('.')}. "
            "It is left in place and "
            f"recorded in {files_spec.name}; fix or remove it"
        )
    lines += [f"landing file {name} vanished before it was read: skipped" for name in out.vanished]
    lines += [
        f"landing file {name} changed while it was read: left for the next run"
        for name in out.changed
    ]
    return lines


def _sort_landing(ledger: Ledger, files: list[LandingFile]) -> Outcomes:
    """Split landing files into new (with their hash), rejected earlier, already ingested,
    unreadable and vanished.

    A file whose name, size and modification time match a ledger entry is not hashed again."""
    out = Outcomes()
    unseen = [f for f in files if ledger.seen(f) is None]
    # Two files at a time: hashlib releases the GIL while it hashes (10 × 90 MB: 0.8 → 0.45 s).
    with ThreadPoolExecutor(max_workers=2) as pool:
        digests = dict(zip(unseen, pool.map(_hash_or_error, unseen), strict=True))
    for landing in files:
        entry = ledger.seen(landing)
        if entry is None:
            digest = digests[landing]
            if isinstance(digest, FileNotFoundError):
                out.vanished.append(landing.name)
                continue
            if isinstance(digest, OSError):
                reason = unreadable(digest)
                out.unreadable.append(
                    Rejected(landing.name, "", landing.size, landing.mtime_ns, reason)
                )
                continue
            entry = ledger.find(landing.name, digest)
            if entry is None:
                out.todo.append((landing, digest))
                continue
            entry.size, entry.mtime_ns = landing.size, landing.mtime_ns  # touched, same content
        if isinstance(entry, Rejected):
            out.rejected_before.append(entry)
        else:
            out.already += 1
    return out


def _hash_or_error(landing: LandingFile) -> str | OSError:
    """The file's hash, or why it cannot be read (one unreadable file stops nothing else)."""
    try:
        return content_hash(landing.path)
    except FileChanged:
        return FileNotFoundError(landing.path)  # no longer a file: gone, as far as bronze goes
    except OSError as exc:
        return exc


def _next_ingest_time(ledger: Ledger) -> str:
    """Now, but strictly after every earlier ingest: later ingest wins when lines are re-sent."""
    now = datetime.now(UTC)
    last = ledger.last_ingested_at()
    if last is not None:
        floor = datetime.strptime(last, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        now = max(now, floor + timedelta(microseconds=1))
    return iso_utc(now)


def _ingest(
    ctx: StepContext,
    table: BronzeTable,
    ledger: Ledger,
    landing: LandingFile,
    digest: str,
    notes: list[str],
) -> int:
    """Append one landing file to bronze in a single commit; returns its row count. A row
    longer than the CSV block is read again with the block doubled (the user cannot set it)."""
    bronze_path = table.spec.path(ctx.settings.lake_root)
    if not landing.name_is_utf8:
        raise BadFile("the file name is not valid UTF-8: rename it")
    block = BLOCK_BYTES
    while True:
        try:
            return _append(ctx, table, ledger, landing, digest, block, notes)
        except RowTooLong:
            remove_leftovers([bronze_path])
            block *= 2
            log.info("landing file %s: a row is longer than the block, read again", landing.name)


def _append(
    ctx: StepContext,
    table: BronzeTable,
    ledger: Ledger,
    landing: LandingFile,
    digest: str,
    block: int,
    notes: list[str],
) -> int:
    spec = table.spec
    bronze_path = spec.path(ctx.settings.lake_root)
    crash_point(ctx.settings, "bronze.before_read")
    with _unreadable_as_refusal():
        fh = open_landing(landing.path)
    with fh:
        opened = os.fstat(fh.fileno())
        # Size and time of the bytes read (read_batches refuses them if they move): the
        # ledger's shortcut for "this exact file was hashed before" must describe these bytes.
        entry = Ingested(
            landing.name, digest, 0, _next_ingest_time(ledger), opened.st_size, opened.st_mtime_ns
        )
        problems: list[Exception] = []
        on_read = functools.partial(crash_point, ctx.settings, "bronze.mid_read")
        with _unreadable_as_refusal():
            rows = read_rows(fh, table.source, digest, block, on_read, notes)
        keeper = Keeper(room_for(ctx.run_id, bronze_path))  # for silver, in this run
        batches = keeper.through(_with_lineage(ctx, table, landing, rows, entry, problems))
        # The next batches are parsed while delta-rs writes the ones before: two cores.
        failed: Exception | None = None
        # Written through an object opened here, which then holds the commit's version: the
        # ledger needs it, and opening bronze again for it took 30-40 ms at 10M lines.
        from deltalake import write_deltalake

        bronze = open_delta(bronze_path)
        with read_ahead(batches, READ_AHEAD_BATCHES) as ahead:
            reader = pa.RecordBatchReader.from_batches(spec.schema, ahead)
            try:
                write_deltalake(
                    bronze,
                    reader,
                    mode="append",
                    writer_properties=writer_properties(spec, ROW_GROUP_ROWS),
                    commit_properties=commit_properties(spec.version, commit_metadata(entry)),
                )
            except Exception as exc:
                failed = exc
        # Looked at once the reading thread is joined (leaving `with`): it appends to them.
        if failed is not None:
            if problems:  # the file's fault, raised by our reading while delta-rs pulled
                raise _reading_problem(problems[0]) from None
            raise failed
    crash_point(ctx.settings, "bronze.after_commit")
    ledger.bronze_version = bronze.version()
    ledger.files.append(entry)
    committed = keeper.committed(landing.name, digest, spec.schema)
    keep(ctx.run_id, bronze_path, ledger.bronze_version, committed)
    return entry.rows


@contextmanager
def _unreadable_as_refusal() -> Iterator[None]:
    """An OSError while opening or reading the file is the file's (Unreadable), not the run's;
    a file that is gone stays FileNotFoundError (vanished, nothing to record)."""
    try:
        yield
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise Unreadable(unreadable(exc)) from None


def _reading_problem(exc: Exception) -> Exception:
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        return Unreadable(unreadable(exc))
    return exc


def _with_lineage(
    ctx: StepContext,
    table: BronzeTable,
    landing: LandingFile,
    rows: Iterator[pa.RecordBatch],
    entry: Ingested,
    problems: list[Exception],
) -> Iterator[pa.RecordBatch]:
    ingested_us = int(
        datetime.strptime(entry.ingested_at, "%Y-%m-%dT%H:%M:%S.%fZ")
        .replace(tzinfo=UTC)
        .timestamp()
        * 1_000_000
    )
    schema = table.spec.schema
    columns = table.source.columns
    ts_type = schema.field("_ingested_at").type
    try:
        for batch in rows:
            n = batch.num_rows
            first = entry.rows + 1
            entry.rows += n
            yield pa.RecordBatch.from_arrays(
                [
                    *(batch.column(c) for c in columns),
                    _constant(landing.name, n),
                    _constant(entry.hash, n),
                    from_numpy(np.arange(first, first + n, dtype=np.int64)),
                    from_numpy(np.full(n, ingested_us, dtype=np.int64)).cast(ts_type),
                    _constant(ctx.run_id, n),
                ],
                schema=schema,
            )
            crash_point(ctx.settings, "bronze.mid_write")
    except Exception as exc:
        problems.append(exc)
        raise


def _constant(text: str, n: int) -> pa.Array:
    """`n` copies of `text` as a plain string column, built in Arrow rather than in Python."""
    indices = from_numpy(np.zeros(n, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, strings([text])).cast(pa.string())


def _record_rejects(ctx: StepContext, files_spec: TableSpec, rejects: list[Rejected]) -> None:
    """Insert-only: a file already recorded (same name and content) is not recorded twice."""
    path = files_spec.path(ctx.settings.lake_root)
    dt = open_or_create(
        path, files_spec.schema, files_spec.version, description=files_spec.description
    )
    now = datetime.now(UTC)
    source = pa.table(
        {
            "file": [r.file for r in rejects],
            "content_hash": [r.hash for r in rejects],
            "size_bytes": pa.array([r.size for r in rejects], pa.int64()),
            "reason": [r.reason for r in rejects],
            "detected_at": pa.array(
                [now] * len(rejects), files_spec.schema.field("detected_at").type
            ),
            "_run_id": [ctx.run_id] * len(rejects),
        },
        schema=files_spec.schema,
    )
    ctx.check_cancelled()
    (
        dt.merge(
            source,
            "t.file = s.file AND t.content_hash = s.content_hash",
            source_alias="s",
            target_alias="t",
            commit_properties=commit_properties(files_spec.version),
        )
        .when_not_matched_insert_all()
        .execute()
    )
