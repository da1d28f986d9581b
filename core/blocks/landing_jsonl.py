"""Landing JSON-lines files: one JSON object per line, each expected column kept as text.

Strings are kept as they are, numbers and booleans as their JSON text (`12.50`, `true`), nested
objects and arrays as compact JSON text, a missing key or `null` as null. Keys the source does
not declare are ignored. Blank lines are not rows.

A line that is not a JSON object (cut short, not UTF-8, a bare value, a lone surrogate escape
such as "\\ud800" in a kept value) does not refuse the file:
it becomes a row whose columns are all null, so it is counted and silver's rules (a key or a
not_null column) send it to quarantine under its `_source_row`, the file's line number among
its non-blank lines; bronze's warnings name the file and the first such line. A file with no
JSON object at all is refused (it is not JSON lines), as are an empty and a binary file.

Every byte parsed is hashed on the way, as for CSV (core.blocks.landing_read): bytes that are
not the content bronze hashed raise FileChanged once the last block is read, before the commit.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Any

from lakeconsole.core.blocks.landing_jsonl_compact import read_block
from lakeconsole.core.blocks.landing_jsonl_fast import Columns
from lakeconsole.core.blocks.landing_read import (
    HEAD_BYTES,
    BadFile,
    FileChanged,
    ReadSoFar,
    check_judged_bytes,
)

if TYPE_CHECKING:
    import pyarrow as pa

# Blocks parsed at once, each in a thread: numpy and Arrow let go of the GIL, and bronze's other
# thread (delta-rs writing) needs about a fifth of a core, so two keep both cores busy.
PARSERS = 2


class _Number(float):
    """A JSON number with the text it was written as (`12.50` stays `12.50`, not 12.5)."""

    text: str

    def __new__(cls, text: str) -> _Number:
        number = super().__new__(cls, text)
        number.text = text
        return number


class BadLines:
    """The lines of one file that were not JSON objects: how many, and the first one."""

    def __init__(self) -> None:
        self.count = 0
        self.first: tuple[int, str] | None = None

    def add(self, row: int, raw: bytes) -> None:
        self.count += 1
        if self.first is None:
            self.first = (row, raw[:80].decode("utf-8", "backslashreplace"))

    def extend(self, other: BadLines, row: int) -> None:
        """Add a block's bad lines, counted from its first row, which is row `row` + 1."""
        self.count += other.count
        if self.first is None and other.first is not None:
            self.first = (row + other.first[0], other.first[1])


def read_jsonl(
    fh: IO[bytes],
    columns: Sequence[str],
    digest: str,
    block_bytes: int,
    on_read: Callable[[], None] = lambda: None,
    notes: list[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """The rows of the open JSON-lines file as string batches, `columns` in order; BadFile
    (judged on `digest`'s bytes) for a file that is not JSON lines, FileChanged as for CSV.
    Lines that are not JSON objects are summed up in one line added to `notes` at the end.
    Blocks are read in order and parsed PARSERS at a time, in threads."""
    import pyarrow as pa

    bad, notes = BadLines(), notes if notes is not None else []
    schema = pa.schema([(c, pa.string()) for c in columns])
    state = Columns(columns)
    row = objects = 0
    pool = ThreadPoolExecutor(max_workers=PARSERS, thread_name_prefix="lakeconsole-jsonl")
    parsing: deque[tuple[Future[tuple[pa.RecordBatch, BadLines]], Columns]] = deque()
    try:
        for block in _blocks(fh, digest, block_bytes, on_read):
            learning = state.copy()
            parsing.append((pool.submit(_read_block, block, learning, schema), learning))
            if len(parsing) <= PARSERS:
                continue  # one more block is read while these are parsed
            batch, its_bad = _parsed(parsing.popleft(), state)
            bad.extend(its_bad, row)
            row, objects = row + batch.num_rows, objects + batch.num_rows - its_bad.count
            if batch.num_rows:
                yield batch
        while parsing:
            batch, its_bad = _parsed(parsing.popleft(), state)
            bad.extend(its_bad, row)
            row, objects = row + batch.num_rows, objects + batch.num_rows - its_bad.count
            if batch.num_rows:
                yield batch
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    # The bytes parsed are `digest`'s (_blocks checked it): the verdict is on them.
    if not row:
        raise BadFile("empty file: no JSON lines")
    if not objects:
        raise BadFile("not JSON lines: no line is a JSON object")
    if bad.count and bad.first is not None:
        first_row, shown = bad.first
        notes.append(
            f"{bad.count} line(s) are not JSON objects (the first is row {first_row}: {shown!r}); "
            "their columns are empty and silver's rules quarantine them"
        )


def _blocks(
    fh: IO[bytes], digest: str, block_bytes: int, on_read: Callable[[], None]
) -> Iterator[bytes]:
    """The file's bytes in blocks of whole lines (the last one as it ends), hashed on the way:
    FileChanged after the last one when they are not `digest`'s bytes or the file moved."""
    fd = fh.fileno()
    before = os.fstat(fd)
    hashing, offset, carry = hashlib.sha256(), 0, b""
    while True:
        chunk = os.pread(fd, block_bytes, offset)
        if chunk:
            hashing.update(chunk)
            offset += len(chunk)
            on_read()
        if chunk and offset == len(chunk) and b"\x00" in chunk[:HEAD_BYTES]:
            _refuse(fh, digest, hashing, offset, "binary file (contains NUL bytes), not JSON lines")
        if not chunk:
            yield carry  # the last line, when the file does not end with a newline
            break
        cut = chunk.rfind(b"\n") + 1
        if not cut:  # a line longer than the block: it goes on in the next one
            carry += chunk
            continue
        yield b"".join((carry, memoryview(chunk)[:cut]))  # one copy of the block's bytes
        carry = chunk[cut:]
    after = os.fstat(fd)
    if hashing.hexdigest() != digest or (before.st_size, before.st_mtime_ns) != (
        after.st_size,
        after.st_mtime_ns,
    ):
        raise FileChanged("its content changed during the read")


def _read_block(block: bytes, state: Columns, schema: pa.Schema) -> tuple[pa.RecordBatch, BadLines]:
    """One block's rows, and its lines that are not JSON objects counted from its first."""
    bad = BadLines()
    batch = _fast(block, state, schema, 0, bad)
    if batch is None:
        batch = _line_by_line(block, state.columns, schema, 0, bad)
    return batch, bad


def _parsed(
    parsing: tuple[Future[tuple[pa.RecordBatch, BadLines]], Columns], state: Columns
) -> tuple[pa.RecordBatch, BadLines]:
    future, learning = parsing
    read = future.result()
    state.learn(learning)
    return read


def _fast(
    block: bytes, state: Columns, schema: pa.Schema, row: int, bad: BadLines
) -> pa.RecordBatch | None:
    """The block's rows read in Arrow (core.blocks.landing_jsonl_fast), the same as
    `_line_by_line` says; None when the block is not UTF-8 (then Python reads it all)."""
    import pyarrow as pa

    try:
        read = read_block(block, state, functools.partial(_python_line, state.columns))
    except pa.ArrowException:
        # pyarrow.json can build an array it cannot then use (a list that starts with null:
        # `[null,"x"]` gives list offsets past its values): Python reads this block, exactly.
        return None
    if read is None:
        return None
    columns, not_objects = read
    for index, raw in not_objects:
        bad.add(row + index + 1, raw)
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _python_line(columns: Sequence[str], raw: bytes) -> list[str | None] | None:
    """One line's columns as Python's json reads them; None when it is not a JSON object, or
    when a kept value is no text (a lone surrogate escape, `"\\ud800"`: valid JSON, but not
    UTF-8, so not a value bronze can store)."""
    parsed = _object(raw)
    if parsed is None:
        return None
    values = [_text(parsed.get(c)) for c in columns]
    # Only a \u escape makes a surrogate: the check is paid by those lines alone.
    if b"\\u" in raw and not all(v is None or _encodes(v) for v in values):
        return None
    return values


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _line_by_line(
    block: bytes, columns: Sequence[str], schema: pa.Schema, row: int, bad: BadLines
) -> pa.RecordBatch:
    """The block's rows by Python's json, each line on its own: a bad line spoils no other."""
    import pyarrow as pa

    values: list[list[str | None]] = [[] for _ in columns]
    for raw in block.split(b"\n"):
        raw = raw.strip(b" \t\r")
        if not raw:
            continue
        row += 1
        got = _python_line(columns, raw)
        if got is None:
            bad.add(row, raw)
        for i in range(len(columns)):
            values[i].append(None if got is None else got[i])
    return pa.RecordBatch.from_arrays([pa.array(v, pa.string()) for v in values], schema=schema)


def _refuse(fh: IO[bytes], digest: str, hashing: Any, length: int, reason: str) -> None:
    """BadFile, but only once the bytes judged are the content `digest` names."""
    check_judged_bytes(fh, digest, ReadSoFar(hashing.copy(), length, at_end=False))
    raise BadFile(reason)


def _object(raw: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(raw, parse_float=_Number)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return parsed if isinstance(parsed, dict) else None


def _text(value: Any) -> str | None:
    """A JSON value as bronze keeps it: raw text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _Number):
        return value.text
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
