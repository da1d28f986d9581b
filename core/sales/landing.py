"""Landing CSV files: which are there, whether each is the expected CSV, and reading one in batches.

Accepted where the meaning is unambiguous: quoted delimiters, CRLF line ends, a UTF-8 BOM,
header names in another order or case. Refused (the file is left in place): binary content,
an empty file, a missing or wrong header, text that is not UTF-8, rows with the wrong number of
fields.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.sales.definition import LANDING_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

HEAD_BYTES = 1 << 16
BOM = b"\xef\xbb\xbf"
# pyarrow's CSV block: about 4 MB of text per batch keeps memory flat on any file size.
BLOCK_BYTES = 4 << 20


@dataclass(frozen=True)
class LandingFile:
    path: Path
    size: int
    mtime_ns: int

    @property
    def name(self) -> str:
        return self.path.name


class BadFile(Exception):
    """The file cannot be read as the expected CSV; the message is the reason for the user."""


def list_landing(folder: Path) -> list[LandingFile]:
    """Landing files in name order (the order they are ingested), skipping hidden and temp files."""
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "_", "~")) or not path.is_file():
            continue
        stat = path.stat()
        out.append(LandingFile(path, stat.st_size, stat.st_mtime_ns))
    return out


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes: the identity of its content in the ingestion ledger."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def read_header(path: Path) -> list[str]:
    """The file's column names (normalised), or BadFile with the reason it is not our CSV."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not head.strip(BOM + b" \t\r\n"):
        raise BadFile("empty file")
    if b"\x00" in head:
        raise BadFile("binary file (contains NUL bytes), not CSV text")
    first, _, rest = head.removeprefix(BOM).partition(b"\n")
    try:
        line = first.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise BadFile("not UTF-8 text (the header cannot be decoded)") from None
    names = [n.strip().lower() for n in next(csv.reader([line]), [])]
    expected = set(LANDING_COLUMNS)
    if not expected & set(names):
        raise BadFile(
            f"missing header: the first line must name the columns {', '.join(LANDING_COLUMNS)}"
        )
    problems = []
    missing = [c for c in LANDING_COLUMNS if c not in names]
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


def read_batches(path: Path, names: list[str]) -> Iterator[pa.RecordBatch]:
    """The file's data rows as string batches with the columns in LANDING_COLUMNS order.

    Raises BadFile (possibly after some batches) when a row cannot be parsed or decoded."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_BYTES),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                include_columns=list(LANDING_COLUMNS),
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise BadFile(_describe_csv_error(exc)) from None
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise BadFile(_describe_csv_error(exc)) from None
        yield batch


def _describe_csv_error(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "UTF8" in text or "utf-8" in text.lower():
        return "not UTF-8 text (a value cannot be decoded)"
    return f"not a well-formed CSV: {text}"
