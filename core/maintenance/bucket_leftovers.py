"""Crash leftovers of a table in a bucket: core.leftovers' rule (data files no commit still in
the log references) read through the storage layer, for vacuum on an s3:// lake.

A write killed on S3 leaves whole orphan objects (a multi-part upload that never completed
leaves none), so the sweep is the same: list the table once, read the log once, and what is a
data file and named by no add or remove is a leftover. The table cache is local only, so the
log is read on every call here.
"""

from __future__ import annotations

import logging

from lakeconsole.core.backup.lake_files import COMMIT
from lakeconsole.core.leftovers import is_data_file, paths_in_checkpoint, paths_in_commit
from lakeconsole.core.storage import FileEntry, Location, StorageError
from lakeconsole.core.storage_walk import logged_file, walk_files

log = logging.getLogger("lakeconsole.maintenance")


def referenced_in_bucket(table: Location) -> set[str]:
    """Every path (relative to the table) that a commit still in the log, or the newest
    checkpoint, adds or removes."""
    log_dir = table / "_delta_log"
    names = log_dir.names()

    def resolve(logged: str) -> str:
        return logged_file(table, logged)

    paths: set[str] = set()
    for name in names:
        if COMMIT.match(name):
            paths |= paths_in_commit((log_dir / name).read_text(), resolve)
    for checkpoint in _newest_checkpoint(log_dir, names):
        import pyarrow as pa

        paths |= paths_in_checkpoint(pa.BufferReader(checkpoint.read_bytes()), resolve)
    return paths


def _newest_checkpoint(log_dir: Location, names: list[str]) -> list[Location]:
    parts = sorted(n for n in names if ".checkpoint" in n and n.endswith(".parquet"))
    if not parts:
        return []
    newest = parts[-1].split(".")[0]
    try:
        sidecars = [f.name for f in (log_dir / "_sidecars").files() if f.name.endswith(".parquet")]
    except StorageError:  # no such folder (on disk)
        sidecars = []
    return [log_dir / n for n in parts if n.startswith(newest)] + [
        log_dir / "_sidecars" / n for n in sorted(sidecars)
    ]


def bucket_leftovers(
    table: Location, listed: dict[str, FileEntry] | None = None
) -> list[FileEntry]:
    """Data files in the table's prefix that no commit references (entries named by their path
    relative to the table), leaving nested tables alone; `listed` is walk_files(table) when the
    caller has it."""
    listed = walk_files(table) if listed is None else listed
    nested = {rel.split("/_delta_log/", 1)[0] + "/" for rel in listed if "/_delta_log/" in rel}
    candidates = [
        entry
        for rel, entry in listed.items()
        if is_data_file(rel) and not any(rel.startswith(n) for n in nested)
    ]
    if not candidates:
        return []
    known = referenced_in_bucket(table)
    return sorted((e for e in candidates if e.name not in known), key=lambda e: e.name)


def remove_bucket_leftovers(
    table: Location, name: str, min_age_s: float, now: float
) -> list[FileEntry]:
    """Delete the leftovers at least `min_age_s` old; TableDamaged on a damaged log (the files
    a lost commit added look unreferenced). Only under the lake's writer lock."""
    from lakeconsole.core.table_health import TableDamaged, log_damage

    found = log_damage(table, name)
    if found:
        raise TableDamaged(found[0].message)
    removed = []
    for entry in bucket_leftovers(table):
        if now - entry.mtime_ms / 1000 < min_age_s:
            continue
        (table / entry.name).delete()
        removed.append(entry)
    if removed:
        log.info("removed %d crash leftover file(s) from %s", len(removed), table)
    return removed
