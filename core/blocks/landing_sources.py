"""Which landing files a bronze table reads, what the rest of its folder is, and reading one
file's rows in the source's format.

A bronze table's source is a glob in a folder of landing/ (core.api.Landing). A landing file
that matches no source of the pipeline is never read, but is named in the warnings (once per
run: by the first bronze table declared on that folder), so a file dropped under the wrong name
is not silently ignored.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import IO, TYPE_CHECKING

from lakeconsole.core.api import BronzeTable, Landing
from lakeconsole.core.lake import landing_dir
from lakeconsole.core.landing import LandingFile, scan_landing
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class SourceListing:
    files: list[LandingFile]  # the table's landing files, in name order
    warnings: list[str]  # entries of its folder no source reads, one line each


def folder_of(source: Landing) -> str:
    """The source's folder under landing/ ("" for landing/ itself): `folder=` joined with the
    folder part of the pattern, so `landing("orders/*.csv")` reads landing/orders/."""
    parts = [*source.folder.split("/"), *source.pattern.split("/")[:-1]]
    return "/".join(p for p in parts if p)


def source_folder(settings: Settings, source: Landing) -> LakePath:
    folder = landing_dir(settings.lake_root)
    return folder / folder_of(source) if folder_of(source) else folder


def matches(source: Landing, name: str) -> bool:
    """Whether a landing file name is one of the source's (case matters, as on the disk)."""
    return fnmatchcase(name, source.pattern.rsplit("/", 1)[-1])


def landing_of(settings: Settings, table: BronzeTable) -> SourceListing:
    """`table`'s landing files, and the warnings about the entries of its folder that no
    bronze source of the pipeline reads (only the first bronze table on a folder gives them)."""
    listing = scan_landing(source_folder(settings, table.source))
    files = [f for f in listing.files if matches(table.source, f.name)]
    neighbours = _same_folder(table)
    if neighbours[0] is not table:
        return SourceListing(files, [])
    prefix = f"{folder_of(table.source)}/" if folder_of(table.source) else ""
    inner = _inner_folders(table)
    warnings = [
        f"landing entry {prefix}{entry.name} skipped: {entry.reason}"
        for entry in listing.skipped
        if entry.name.rstrip("/") not in inner
    ]
    patterns = ", ".join(dict.fromkeys(t.source.pattern.rsplit("/", 1)[-1] for t in neighbours))
    warnings += [
        f"landing entry {prefix}{f.name} skipped: matches no landing source of the pipeline "
        f"(patterns: {patterns})"
        for f in listing.files
        if not any(matches(t.source, f.name) for t in neighbours)
    ]
    return SourceListing(files, warnings)


@dataclass
class Fetched:
    files: list[LandingFile]  # local files: the fetched copies of object-store ones
    changed: list[str]  # objects rewritten while they were fetched: left for the next run


@contextmanager
def fetched(
    files: list[LandingFile],
    wanted: Callable[[LandingFile], bool],
    on_fetch: Callable[[], None] = lambda: None,
) -> Iterator[Fetched]:
    """The landing files with each object-store one that `wanted` picks (bronze: one it has not
    seen) copied into a spool folder that is removed after; local ones are passed as they are.

    A copy is one GET, streamed to the file, so it holds one version of the object, never a
    mix; its size and time are that version's (the copy's mtime is set to it, so the ledger
    records what was read). An object whose ETag moved by the time the copy is written was
    rewritten meanwhile: left for the next run, as a local file whose size or mtime moves during
    the read. One that vanished keeps a copy path that does not exist: bronze sees it gone, as
    on disk."""
    if not any(f.remote is not None and wanted(f) for f in files):
        yield Fetched(files, [])
        return
    with tempfile.TemporaryDirectory(prefix="lakeconsole-landing-") as spool:
        out = Fetched([], [])
        for file in files:
            if file.remote is None or not wanted(file):
                out.files.append(file)
                continue
            copy = Path(spool) / file.path.name
            try:
                entry, tag = file.remote.fetch_version(copy)
            except FileNotFoundError:
                copy.unlink(missing_ok=True)
                out.files.append(replace(file, path=copy))
                continue
            on_fetch()
            mtime_ns = entry.mtime_ms * 1_000_000
            os.utime(copy, ns=(mtime_ns, mtime_ns))
            if file.remote.tag() != tag:
                out.changed.append(file.name)
                continue
            out.files.append(replace(file, path=copy, size=entry.size, mtime_ns=mtime_ns))
        yield out


def _bronze_tables(table: BronzeTable) -> list[BronzeTable]:
    return [t for t in table.pipeline.declared.values() if isinstance(t, BronzeTable)]


def _same_folder(table: BronzeTable) -> list[BronzeTable]:
    """The pipeline's bronze tables reading the same folder, in declaration order."""
    return [t for t in _bronze_tables(table) if folder_of(t.source) == folder_of(table.source)]


def _inner_folders(table: BronzeTable) -> set[str]:
    """Sub-folders of `table`'s folder that hold another source: not stray entries."""
    own = folder_of(table.source)
    base = f"{own}/" if own else ""
    inner = set()
    for t in _bronze_tables(table):
        other = folder_of(t.source)
        if other.startswith(base) and other != own:
            inner.add(other[len(base) :].split("/", 1)[0])
    return inner


def read_rows(
    fh: IO[bytes],
    source: Landing,
    digest: str,
    block_bytes: int,
    on_read: Callable[[], None],
    notes: list[str],
) -> Iterator[pa.RecordBatch]:
    """The data rows of the open landing file as string batches, `source.columns` in order.
    A CSV's header is judged now (BadFile); the rest while the batches are read. What the user
    should hear about a file read whole (JSON lines that are not objects) is added to `notes`."""
    if source.format == "jsonl":
        from lakeconsole.core.blocks.landing_jsonl import read_jsonl

        return read_jsonl(fh, source.columns, digest, block_bytes, on_read, notes)
    if source.format == "parquet":
        from lakeconsole.core.blocks.landing_parquet import read_parquet

        return read_parquet(fh, source.columns, digest, on_read)
    from lakeconsole.core.blocks.landing_read import read_batches, read_header

    names = read_header(fh, digest, source.columns)
    return read_batches(fh, names, digest, source.columns, block_bytes, on_read)
