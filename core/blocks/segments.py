"""Which bronze rows a silver table has still to do, and the batches it does them in.

The watermark is a position (ingest time, file, row) in bronze's ingestion order: every line up
to it is in silver. Its `done` list names the row ranges past it that batches of an unfinished
run wrote (a run is resumable batch by batch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakeconsole.core.blocks.ledger import Ingested, Ledger
from lakeconsole.core.blocks.tables import sql_list


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


def pending_segments(mark: dict[str, Any], ledger: Ledger) -> list[Segment]:
    """The bronze rows past the watermark that no batch has done yet, oldest ingest first.

    The watermark is a position (ingest time, file, row): every line up to it is in silver.
    Its `done` list names the row ranges past it that batches of an unfinished run wrote."""
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


def position(mark: dict[str, Any]) -> dict[str, Any]:
    return {k: mark[k] for k in ("ingested_at", "file", "row") if k in mark}


def furthest(mark: dict[str, Any], done: list[list[Any]]) -> dict[str, Any]:
    """The watermark once every line past `mark` is done: the last line of the last range."""
    ingested_at, file, _, row = max(done, key=lambda d: (d[0], d[1], d[3]))
    if (mark.get("ingested_at", ""), mark.get("file", ""), int(mark.get("row", 0))) > (
        ingested_at,
        file,
        row,
    ):
        return position(mark)
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
