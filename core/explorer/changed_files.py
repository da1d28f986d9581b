"""Where two versions of a table can differ: the data files one has and the other has not.

Delta data files never change once written, so the rows of a file that both versions list are
the same rows in both. A compare only has to read the files that the commits between the two
versions added or removed (a MERGE or an append touches a few of thousands). delta-rs reads a
version as a whole, so the scope is said as a row filter that every row of those files passes:
their partition values and the range of the first key column, from the files' stats in the log.
delta-rs then skips every file the filter rules out (by partition value and min/max stats)
before fetching anything, on disk and on object storage alike.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeconsole.core.lake import add_actions, live_rows

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

# Beyond these the filter would prune little and cost more to plan than to read: read it all.
MOST_CHANGED = 0.5  # share of the two versions' files
MOST_GROUPS = 64  # partitions named in the filter
MOST_RANGES = 16  # key ranges per partition (at most 64 × 16 in one filter)
# A string stat this long may be cut (Spark cuts at 32 characters, delta-rs at 64): the range
# is then left open above, whatever the writer did to keep a cut max above the values.
CUT_STRING = 32


@dataclass(frozen=True)
class ChangeScope:
    """The rows a compare reads: those passing `predicate` (SQL over the table's columns; None
    reads both versions whole). Every row outside it is in a file both versions share.
    `rows_after` counts the rows of the newer side from the log (None: the log does not)."""

    predicate: str | None
    changed_files: int
    files: int
    rows_after: int | None

    def where(self) -> str:
        return f" WHERE {self.predicate}" if self.predicate is not None else ""


@dataclass(frozen=True)
class _File:
    partition: tuple[tuple[str, Any], ...]
    low: Any
    high: Any
    nulls: bool  # the first key column may be null in this file


def change_scope(
    before: DeltaTable, after: DeltaTable, key: str, columns: list[str]
) -> ChangeScope:
    """The rows where versions `before` and `after` can differ, said by their first key column
    and the partition columns (`columns`: the names both versions' rows have)."""
    old, new = add_actions(before), add_actions(after)
    old_files, new_files = _files(old, key, columns), _files(new, key, columns)
    changed_paths = set(old_files) ^ set(new_files)
    changed_paths |= _deletion_vector_changes(before, after, set(old_files) & set(new_files))
    changed = [new_files.get(p) or old_files[p] for p in sorted(changed_paths)]
    files = len(set(old_files) | set(new_files))
    predicate = None if len(changed) > MOST_CHANGED * files else _predicate(changed, key)
    return ChangeScope(predicate, len(changed), files, live_rows(after, new))


def _files(actions: pa.Table, key: str, columns: list[str]) -> dict[str, _File]:
    names = actions.column_names
    # Under column mapping the log may name physical columns: those are left out of the filter.
    partitions = [
        n.removeprefix("partition.")
        for n in names
        if n.startswith("partition.") and n.removeprefix("partition.") in columns
    ]
    stats = key in columns and all(f"{s}.{key}" in names for s in ("min", "max"))
    wanted = ["path", *(f"partition.{p}" for p in partitions)]
    wanted += [f"{s}.{key}" for s in ("min", "max", "null_count") if f"{s}.{key}" in names]
    out = {}
    # Only the columns used: the stats of every column of thousands of files are many values.
    for row in actions.select(wanted).to_pylist():
        low, high = (row[f"min.{key}"], row[f"max.{key}"]) if stats else (None, None)
        nulls = row.get(f"null_count.{key}")
        out[row["path"]] = _File(
            tuple((p, row[f"partition.{p}"]) for p in partitions),
            low,
            high,
            nulls is None or nulls > 0,
        )
    return out


def _deletion_vector_changes(before: DeltaTable, after: DeltaTable, shared: set[str]) -> set[str]:
    """Shared files whose deletion vector differs: a Spark DELETE keeps the file, hides rows."""
    old, new = _vectors(before), _vectors(after)
    if not old and not new:
        return set()
    return {p for p in shared if old.get(_name(p)) != new.get(_name(p))}


def _vectors(table: DeltaTable) -> dict[str, list[bool]]:
    """Each file's deletion vector (rows kept) by file name, on tables that can have them."""
    import pyarrow as pa

    if "deletionVectors" not in (table.protocol().reader_features or []):
        return {}
    read = pa.RecordBatchReader.from_stream(table.deletion_vectors()).read_all()
    files, kept = read["filepath"].to_pylist(), read["selection_vector"].to_pylist()
    return {_name(str(f)): v for f, v in zip(files, kept, strict=True)}


def _name(path: str) -> str:
    # The vectors name files by URI, the log by path in the table: both end in the unique name.
    from urllib.parse import unquote

    return unquote(path).rsplit("/", 1)[-1]


def _predicate(changed: list[_File], key: str) -> str:
    """A row filter every row of the `changed` files passes; 'false' when none changed."""
    if not changed:
        return "false"
    groups: dict[tuple[tuple[str, Any], ...], list[_File]] = defaultdict(list)
    for file in changed:
        groups[file.partition].append(file)
    if len(groups) > MOST_GROUPS:
        groups = {(): changed}
    clauses = []
    for partition, files in groups.items():
        parts = [_equals(column, value) for column, value in partition]
        keyed = _key_ranges(files, key)
        clauses.append(" AND ".join(p for p in [*parts, keyed] if p) or "true")
    return " OR ".join(f"({c})" for c in clauses)


def _key_ranges(files: list[_File], key: str) -> str | None:
    """`key` within the files' ranges of it (merged), or None when a file's range is unknown."""
    if any(f.low is None or f.high is None or _literal(f.low) is None for f in files):
        return None
    if any(isinstance(f.high, str) and len(f.high) >= CUT_STRING for f in files):
        bounds: list[tuple[Any, Any]] = [(min(f.low for f in files), None)]
    else:
        bounds = _merged(sorted((f.low, f.high) for f in files))
        if len(bounds) > MOST_RANGES:
            bounds = [(bounds[0][0], max(high for _, high in bounds))]
    column = _quote(key)
    ranges = [
        f"{column} >= {_literal(low)}"
        if high is None
        else f"{column} BETWEEN {_literal(low)} AND {_literal(high)}"
        for low, high in bounds
    ]
    if any(f.nulls for f in files):
        ranges.append(f"{column} IS NULL")
    return "(" + " OR ".join(ranges) + ")"


def _merged(bounds: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for low, high in bounds:
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def _equals(column: str, value: Any) -> str | None:
    """`column = value` for a partition value, None for a type not written here (the filter is
    then wider, never wrong)."""
    if value is None:
        return f"{_quote(column)} IS NULL"
    literal = _literal(value)
    return None if literal is None else f"{_quote(column)} = {literal}"


def _literal(value: Any) -> str | None:
    # Only types whose stats are exact: timestamps are cut to milliseconds in the log, floats
    # have NaN; a column of another type just is not in the filter.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f"DATE '{value.isoformat()}'"
    return None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
