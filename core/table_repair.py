"""`lakeconsole repair TABLE`: drop the live files a table has lost from its log (delta-rs FSCK).

The rows of those files are gone from the table afterwards (a backup may still hold them): so a
dry run first, and the real one under the lake's writer lock (a lease on S3), so no pipeline
write is in flight. A table in a bucket is repaired the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakeconsole.core.settings import Settings


@dataclass(frozen=True)
class RepairResult:
    table: str
    dry_run: bool
    files: list[str]  # live files the log lists but the disk no longer has
    version: int  # the table's version after (a real repair commits one FSCK)


def repair_table(settings: Settings, name: str, dry_run: bool) -> RepairResult:
    """Drop the missing live files of table `name` (TableNotFound, TableDamaged, RunLocked)."""
    from lakeconsole.core.maintenance.tables import resolve_tables, table_name
    from lakeconsole.core.table_health import open_table
    from lakeconsole.core.writer_lock import lake_writer_lock

    (path,) = resolve_tables(settings.lake_root, name)
    table = table_name(settings.lake_root, path)
    if dry_run:
        dt = open_table(path, name=table)
        return RepairResult(table, True, _removed(dt.repair(dry_run=True)), dt.version())
    with lake_writer_lock(settings, "lakeconsole repair"):
        dt = open_table(path, name=table)
        files = _removed(dt.repair(dry_run=False))
        return RepairResult(table, False, files, open_table(path, name=table).version())


def _removed(metrics: dict[str, object]) -> list[str]:
    files = metrics.get("files_removed") or []
    return [str(f) for f in files] if isinstance(files, list) else []
