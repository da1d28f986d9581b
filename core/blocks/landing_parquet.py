"""Landing Parquet files: every expected column read and kept as text.

Column names match case-insensitively, like a CSV header; columns the source does not declare
are ignored (Parquet files often carry more than a pipeline needs). A file missing a declared
column, one that is not Parquet, and one with no rows are refused with the reason. Values are
cast to text: numbers, dates, times and decimals by Arrow's cast, nested values as compact JSON.

Parquet is read by seeking (its footer first), so the file is read whole into memory and hashed
there: the rows then come from exactly the bytes bronze hashed, or FileChanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from lakeconsole.core.blocks.landing_read import CHECK_BYTES, BadFile, FileChanged

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 128 * 1024


def read_parquet(
    fh: IO[bytes],
    columns: Sequence[str],
    digest: str,
    on_read: Callable[[], None] = lambda: None,
) -> Iterator[pa.RecordBatch]:
    """The rows of the open Parquet file as string batches, `columns` in order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = _whole(fh, digest, on_read)
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise BadFile(f"not a Parquet file: {_first_line(exc)}") from None
    names = {n.lower(): n for n in parquet.schema_arrow.names}
    missing = [c for c in columns if c.lower() not in names]
    if missing:
        raise BadFile(f"missing column(s) {', '.join(missing)}")
    if parquet.metadata.num_rows == 0:
        raise BadFile("empty file: no rows")
    schema = pa.schema([(c, pa.string()) for c in columns])
    wanted = [names[c.lower()] for c in columns]
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            yield pa.RecordBatch.from_arrays(
                [_as_text(batch.column(n), n) for n in wanted], schema=schema
            )
    except (pa.ArrowException, OSError) as exc:
        raise BadFile(f"not a readable Parquet file: {_first_line(exc)}") from None


def _whole(fh: IO[bytes], digest: str, on_read: Callable[[], None]) -> bytes:
    """The file's bytes, which must be the content `digest` names (else FileChanged)."""
    fd = fh.fileno()
    before = os.fstat(fd)
    parts, hashing, offset = [], hashlib.sha256(), 0
    while chunk := os.pread(fd, CHECK_BYTES * 4, offset):
        hashing.update(chunk)
        parts.append(chunk)
        offset += len(chunk)
        on_read()
    after = os.fstat(fd)
    if hashing.hexdigest() != digest or (before.st_size, before.st_mtime_ns) != (
        after.st_size,
        after.st_mtime_ns,
    ):
        raise FileChanged("its content changed during the read")
    return b"".join(parts)


def _as_text(values: pa.Array, name: str) -> pa.Array:
    import pyarrow as pa

    kind = values.type
    if pa.types.is_string(kind):
        return values
    if pa.types.is_large_string(kind) or pa.types.is_dictionary(kind):
        return values.cast(pa.string())
    if pa.types.is_nested(kind):
        return pa.array([_json(v) for v in values.to_pylist()], pa.string())
    try:
        return values.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise BadFile(
            f"column {name} ({kind}) cannot be read as text: {_first_line(exc)}"
        ) from None


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
