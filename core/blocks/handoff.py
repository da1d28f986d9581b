"""The lines bronze committed in this run, kept in memory for silver to clean.

Silver reads its batches back from bronze; on a daily run those are the very rows bronze just
wrote, and reading them back (DataFusion over the new file, 20-40 ms at 10M lines, its threads
beside the cleaning's on two cores) gains nothing. A bronze commit of a small file keeps its
rows here; silver takes a segment from here only when it is of this run, bronze is still at the
version of this run's last commit (nothing wrote it since), and the kept rows are exactly the
segment's (file, content hash, row numbers). Anything else is read from bronze as before.
The kept rows are dropped when the run ends (core.runner).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

    from lakeconsole.core.blocks.segments import Segment

# A daily file or a few; a full load (millions of lines) is read back in batches, as its rows
# would not fit in memory beside silver's work.
KEEP_ROWS = 500_000


@dataclass(frozen=True)
class Committed:
    """One landing file's rows as one bronze commit wrote them (its _source_row 1..n, in order)."""

    file: str
    hash: str
    rows: pa.Table


@dataclass
class _Run:
    run_id: str
    table: str  # the bronze table's location, as text
    version: int = -1  # bronze's version after this run's last commit
    files: list[Committed] = field(default_factory=list)

    @property
    def kept_rows(self) -> int:
        return sum(c.rows.num_rows for c in self.files)


_lock = threading.Lock()
_runs: dict[str, _Run] = {}  # by bronze table


def room_for(run_id: str, table: object) -> int:
    """How many more rows this run may keep for `table`."""
    with _lock:
        held = _runs.get(str(table))
        used = held.kept_rows if held is not None and held.run_id == run_id else 0
    return KEEP_ROWS - used


def keep(run_id: str, table: object, version: int, committed: Committed | None) -> None:
    """After bronze committed `version`: keep the file's rows (None: too many to keep). A
    commit whose rows are not kept still moves the version, so nothing older is taken as
    current."""
    key = str(table)
    with _lock:
        held = _runs.get(key)
        if held is None or held.run_id != run_id:
            held = _runs[key] = _Run(run_id, key)
        held.version = version
        if committed is not None:
            held.files.append(committed)


def take(
    run_id: str, table: object, bronze: DeltaTable, batch: Sequence[Segment]
) -> tuple[list[pa.Table], list[Segment]]:
    """The batch's rows that bronze committed in this run, as it wrote them; and the segments
    that are to be read from bronze (all of them when bronze moved on since)."""
    with _lock:
        held = _runs.get(str(table))
    if held is None or held.run_id != run_id or bronze.version() != held.version:
        return [], list(batch)
    parts, rest = [], []
    for segment in batch:
        part = _kept(held, segment)
        if part is None:
            rest.append(segment)
        else:
            parts.append(part)
    return parts, rest


def _kept(held: _Run, segment: Segment) -> pa.Table | None:
    for committed in held.files:
        if (committed.file, committed.hash) != (segment.file.file, segment.file.hash):
            continue
        if not 1 <= segment.first <= segment.last <= committed.rows.num_rows:
            return None
        part = committed.rows.slice(segment.first - 1, segment.rows)
        numbers = part.column("_source_row")
        if (numbers[0].as_py(), numbers[-1].as_py()) != (segment.first, segment.last):
            return None  # not numbered as written: read them from bronze
        return part
    return None


def forget(run_id: str) -> None:
    """The run is over: its rows are not kept past it."""
    with _lock:
        for key in [k for k, r in _runs.items() if r.run_id == run_id]:
            del _runs[key]


class Keeper:
    """One file's batches on their way to bronze's writer, kept while they fit in `room`."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.batches: list[pa.RecordBatch] | None = [] if room > 0 else None

    def through(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if self.batches is not None:
                self.room -= batch.num_rows
                if self.room < 0:
                    self.batches = None  # too many to keep: silver reads them back
                else:
                    self.batches.append(batch)
            yield batch

    def committed(self, file: str, hash: str, schema: pa.Schema) -> Committed | None:
        """The file's rows, once its commit is made; None when they did not fit."""
        import pyarrow as pa

        if self.batches is None:
            return None
        return Committed(file, hash, pa.Table.from_batches(self.batches, schema))
