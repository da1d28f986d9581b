"""Reading landing files: opening and hashing them, and CSV files in batches (the JSON-lines
and Parquet readers, core.blocks.landing_jsonl / landing_parquet, share the same rules).

Accepted where the meaning is unambiguous: quoted delimiters, CRLF or CR-only (old Mac) line
ends, a UTF-8 BOM, header names in another order or case, a field of any size (the block grows).
Refused (the file is left in place): binary content, an empty file, a missing or wrong header,
text that is not UTF-8, rows with the wrong number of fields, a file that cannot be read.
Which entries of the landing folder are files at all is `core.landing`'s answer.

The rows are parsed through a reader that hashes every byte it hands to pyarrow: a file whose
parsed bytes are not the ones bronze hashed to decide it was new (or whose size or modification
time moved during the read) raises FileChanged, so rows are never stored under another content's
hash. A refusal is held to the same rule: a file is only judged bad on the bytes its hash names,
so one emptied, cut short or still being written while it is read raises FileChanged, not BadFile
(a rejection recorded under the hash of its good bytes would refuse them for good).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from lakeconsole.core.landing import LandingFile
from lakeconsole.core.units import human_bytes

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["LandingFile"]

HEAD_BYTES = 1 << 16
BOM = b"\xef\xbb\xbf"
# pyarrow's CSV block: about 4 MB of text per batch keeps memory flat on any file size.
BLOCK_BYTES = 4 << 20
# A row must fit in one block; a longer one retries with the block doubled, up to this.
MAX_BLOCK_BYTES = 256 << 20
# How much of a file is read at a time when checking the bytes a refusal was judged on.
CHECK_BYTES = 1 << 20


class BadFile(Exception):
    """The file cannot be read as the expected CSV; the message is the reason for the user."""


class FileChanged(Exception):
    """The file changed while it was read (or is no longer a regular file): read it next run."""


class Unreadable(Exception):
    """The file cannot be opened or read; the message is the reason for the user."""


class RowTooLong(Exception):
    """A row does not fit in the CSV block: read the file again with a larger block."""


def open_landing(path: os.PathLike[str] | str) -> io.BufferedReader:
    """The file open for reading. Never blocks: a FIFO put in its place is refused, not opened
    for good (O_NONBLOCK), and so is anything else that is not a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileChanged("it is no longer a regular file")
        return open(fd, "rb")  # the caller closes it
    except BaseException:
        os.close(fd)
        raise


def content_hash(path: os.PathLike[str] | str) -> str:
    """SHA-256 of the file's bytes: the identity of its content in the ingestion ledger."""
    with open_landing(path) as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def unreadable(exc: OSError) -> str:
    """Why a file that cannot be opened or read is refused, with the fix."""
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied: let the user who runs lakeconsole read it"
    return f"cannot be read: {(exc.strerror or type(exc).__name__).lower()}: check the file"


def read_header(fh: IO[bytes], digest: str, columns: Sequence[str]) -> list[str]:
    """The CSV file's column names (normalised), or BadFile with the reason it does not have
    the expected `columns` (any order), or
    FileChanged when the bytes judged are not the content `digest` names.
    Reads from the start without moving the file's position."""
    head = os.pread(fh.fileno(), HEAD_BYTES, 0)
    try:
        return _header_names(head, columns)
    except BadFile:
        # A head shorter than asked for is the whole file: the verdict rests on where it ends.
        judged = ReadSoFar(hashlib.sha256(head), len(head), at_end=len(head) < HEAD_BYTES)
        check_judged_bytes(fh, digest, judged)
        raise


def _header_names(head: bytes, columns: Sequence[str]) -> list[str]:
    if not head.strip(BOM + b" \t\r\n"):
        raise BadFile("empty file")
    if b"\x00" in head:
        raise BadFile("binary file (contains NUL bytes), not CSV text")
    first, rest = _first_line(head.removeprefix(BOM))
    try:
        line = first.decode("utf-8")
    except UnicodeDecodeError:
        raise BadFile("not UTF-8 text (the header cannot be decoded)") from None
    names = [n.strip().lower() for n in next(csv.reader([line]), [])]
    expected = set(columns)
    if not expected & set(names):
        raise BadFile(f"missing header: the first line must name the columns {', '.join(columns)}")
    problems = []
    missing = [c for c in columns if c not in names]
    extra = [n for n in names if n not in expected]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column(s) {', '.join(extra)}")
    if len(set(names)) != len(names):
        problems.append("a column name appears twice")
    if problems:
        raise BadFile("wrong header: " + "; ".join(problems))
    if len(head) < HEAD_BYTES and not rest.strip(b" \t\r\n"):
        raise BadFile("empty file: a header but no data rows")
    return names


def _first_line(text: bytes) -> tuple[bytes, bytes]:
    """(first line, the rest), the line ending at LF, CRLF or a lone CR (old Mac files)."""
    ends = [i for i in (text.find(b"\n"), text.find(b"\r")) if i >= 0]
    end = min(ends, default=len(text))
    return text[:end], text[end:]


@dataclass
class ReadSoFar:
    """The bytes a verdict on a file rests on: the hash and length of the start of the file
    that was read, and whether the read found the file's end there."""

    hash: Any  # a hashlib sha256 object
    length: int
    at_end: bool


def check_judged_bytes(fh: IO[bytes], digest: str, judged: ReadSoFar) -> None:
    """FileChanged unless the bytes judged are the content `digest` names: the open file, read
    again now, starts with them (is exactly them when the read found its end) and hashes to
    `digest`. Only a file about to be refused is read twice."""
    fd, whole, offset = fh.fileno(), hashlib.sha256(), 0
    while offset < judged.length:
        chunk = os.pread(fd, min(CHECK_BYTES, judged.length - offset), offset)
        if not chunk:
            raise FileChanged("it is shorter than when it was read")
        whole.update(chunk)
        offset += len(chunk)
    if whole.hexdigest() != judged.hash.hexdigest():
        raise FileChanged("its content changed during the read")
    while chunk := os.pread(fd, CHECK_BYTES, offset):
        if judged.at_end:
            raise FileChanged("it grew after it was read")
        whole.update(chunk)
        offset += len(chunk)
    if whole.hexdigest() != digest:
        raise FileChanged("its content changed during the read")


class Hashing:
    """The transform of pyarrow's input stream that hashes each block it hands over, in order:
    at the end, the hash of exactly what was parsed. It runs in pyarrow's read-ahead thread and
    hashlib lets go of the GIL, so the hash overlaps the parsing (reading and parsing the 1M-row
    bench files: +2% over pyarrow reading the path, where a Python file object that hashed cost
    about 40%). `on_read` runs after each block (a test's fault point)."""

    def __init__(self, on_read: Callable[[], None], block_bytes: int) -> None:
        self._hash = hashlib.sha256()
        self._on_read = on_read
        self._block_bytes = block_bytes
        self._length = 0
        self._at_end = False
        self._lock = threading.Lock()  # so_far() may ask while the read-ahead still reads

    def __call__(self, block: pa.Buffer) -> pa.Buffer:
        with self._lock:
            self._hash.update(block)
            self._length += block.size
            # pyarrow asks for whole blocks: a shorter one (or none) is the file's end.
            self._at_end = self._at_end or block.size < self._block_bytes
        self._on_read()
        return block

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def so_far(self) -> ReadSoFar:
        with self._lock:
            return ReadSoFar(self._hash.copy(), self._length, self._at_end)


def read_batches(
    fh: IO[bytes],
    names: list[str],
    digest: str,
    columns: Sequence[str],
    block_bytes: int = BLOCK_BYTES,
    on_read: Callable[[], None] = lambda: None,
) -> Iterator[pa.RecordBatch]:
    """The data rows of the open file `fh` (from its start) as string batches with the columns
    in `columns` order.

    Raises (possibly after some batches): BadFile when a row cannot be parsed or decoded,
    RowTooLong when a row does not fit in `block_bytes`, and FileChanged, after the last batch,
    when the bytes parsed do not hash to `digest` or the file's size or modification time
    changed during the read; or instead of BadFile, when the bytes judged bad are not the
    content `digest` names."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    from pyarrow.lib import TransformInputStream

    before = os.fstat(fh.fileno())
    hashing = Hashing(on_read, block_bytes)
    with _native(fh) as native:
        try:
            reader = pcsv.open_csv(
                TransformInputStream(native, hashing),
                read_options=pcsv.ReadOptions(
                    column_names=names, skip_rows=1, block_size=block_bytes
                ),
                parse_options=pcsv.ParseOptions(newlines_in_values=True),
                convert_options=pcsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=False,
                    include_columns=list(columns),
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise _refusal(exc, block_bytes, fh, digest, hashing) from None
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                raise _refusal(exc, block_bytes, fh, digest, hashing) from None
            yield batch
    after = os.fstat(fh.fileno())
    if hashing.hexdigest() != digest or _moved(before, after):
        raise FileChanged("its content changed during the read")


def _native(fh: IO[bytes]) -> pa.NativeFile:
    """The open file as an Arrow stream that reads without the GIL: the file already open, not
    its path again (by now the path may name another file, or a FIFO that would block)."""
    import pyarrow as pa

    same_file = f"/dev/fd/{fh.fileno()}"
    if os.path.exists(same_file):
        return pa.OSFile(same_file)
    return pa.PythonFile(fh, mode="r")


def _moved(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns)


def _refusal(
    exc: Exception, block_bytes: int, fh: IO[bytes], digest: str, hashing: Hashing
) -> Exception:
    """What a parse error means; a BadFile only once the bytes judged are `digest`'s."""
    refusal = _parse_refusal(exc, block_bytes)
    if isinstance(refusal, BadFile):
        check_judged_bytes(fh, digest, hashing.so_far())
    return refusal


def _parse_refusal(exc: Exception, block_bytes: int) -> Exception:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "straddling object" in text:
        if block_bytes < MAX_BLOCK_BYTES:
            return RowTooLong(text)
        return BadFile(
            f"a row is longer than {human_bytes(MAX_BLOCK_BYTES)} (a quote that is never closed?): "
            "not a well-formed CSV"
        )
    if "UTF8" in text or "utf-8" in text.lower():
        return BadFile("not UTF-8 text (a value cannot be decoded)")
    return BadFile(f"not a well-formed CSV: {text}")
