"""The shapes of the sales pipeline's state files: what a file must hold to be used at all.

Each check returns what is wrong (for the warning line) or None. A file that fails is treated as
missing, which is always safe: silver re-reads bronze, gold recomputes every date.
"""

from __future__ import annotations

from typing import Any


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def mark_problem(mark: Any, where: str) -> str | None:
    if not isinstance(mark, dict) or not all(
        _is_int(mark.get(k)) for k in ("version", "timestamp")
    ):
        return f"{where} is not a table version and a timestamp"
    return None


def watermark_problem(data: dict[str, Any]) -> str | None:
    """silver_watermark.json: a position (ingest time, file, row), `done` ranges, table marks."""
    for key in ("ingested_at", "file"):
        if key in data and not isinstance(data[key], str):
            return f'"{key}" is not text'
    if "row" in data and not (_is_int(data["row"]) and data["row"] >= 0):
        return '"row" is not a row number'
    done = data.get("done", [])
    if not isinstance(done, list):
        return '"done" is not a list'
    for i, entry in enumerate(done, start=1):
        if not isinstance(entry, list) or len(entry) != 4:
            return f"done entry {i} is not [ingested_at, file, first row, last row]"
        if not (isinstance(entry[0], str) and isinstance(entry[1], str)):
            return f"done entry {i} does not start with an ingest time and a file name"
        if not (_is_int(entry[2]) and _is_int(entry[3]) and 1 <= entry[2] <= entry[3]):
            return f"done entry {i} does not end with a first and a last row number"
    return tables_problem(data.get("tables", {}))


def watermark_place_problem(data: dict[str, Any], held: dict[tuple[str, str], int]) -> str | None:
    """What the watermark names that bronze does not hold, or None. `held` is the ingestion
    ledger's rows per (ingest time, file).

    Silver skips every bronze line up to the position and inside the `done` ranges: a position
    or range bronze does not hold (a hand edit, a time from nowhere) would skip lines for good."""
    if any(key in data for key in ("ingested_at", "file", "row")):
        at, file, row = data.get("ingested_at"), data.get("file"), data.get("row", 0)
        rows = held.get((str(at), str(file)))
        if rows is None or not 1 <= row <= rows:
            return f"{file} ingested at {at!r}, row {row}"
    for at, file, first, last in data.get("done", []):
        rows = held.get((at, file))
        if rows is None or last > rows:
            return f"{file} ingested at {at!r}, done rows {first}-{last}"
    return None


def tables_problem(tables: Any) -> str | None:
    """What is wrong with a state file's "tables" marks, or None."""
    if not isinstance(tables, dict):
        return '"tables" is not a mapping of table names to versions'
    for name, mark in tables.items():
        problem = mark_problem(mark, f'"tables"/"{name}"')
        if problem:
            return problem
    return None
