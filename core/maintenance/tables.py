"""The lake's tables as maintenance sees them: names, files, sizes, retention property."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# One home each: table names resolve in the explorer, sizes print through core.units, and the
# small-file size is the explorer's; re-exported here for maintenance's callers.
from lakeconsole.core.explorer.table import TableNotFound, resolve_tables, table_name
from lakeconsole.core.small_files import SMALL_FILE_BYTES
from lakeconsole.core.storage import LakePath
from lakeconsole.core.units import human_bytes

__all__ = [
    "MIN_RETENTION_HOURS",
    "RETENTION_PROPERTY",
    "SMALL_FILE_BYTES",
    "TableFiles",
    "TableNotFound",
    "human_bytes",
    "resolve_tables",
    "retention_property_hours",
    "table_files",
    "table_name",
]

# The runbook's minimum history (OPS-03): 7 days.
MIN_RETENTION_HOURS = 168
RETENTION_PROPERTY = "delta.deletedFileRetentionDuration"
UNIT_HOURS = {
    "microsecond": 1 / 3.6e9,
    "millisecond": 1 / 3.6e6,
    "second": 1 / 3600,
    "minute": 1 / 60,
    "hour": 1.0,
    "day": 24.0,
    "week": 168.0,
}


def parse_interval_hours(value: str) -> float | None:
    """`interval 7 days` (Delta's duration syntax) in hours; None if it cannot be read."""
    match = re.fullmatch(r"\s*(?:interval\s+)?(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*", value.lower())
    if not match or match.group(2) not in UNIT_HOURS:
        return None
    return float(match.group(1)) * UNIT_HOURS[match.group(2)]


def retention_property_hours(configuration: dict[str, Any]) -> float | None:
    """The table's own deleted-file retention in hours, or None when it does not set one."""
    raw = configuration.get(RETENTION_PROPERTY)
    return parse_interval_hours(str(raw)) if raw else None


@dataclass(frozen=True)
class TableFiles:
    """The current version's data files: count, bytes, and how many share a partition."""

    files: int
    bytes: int
    partitions: int
    small_files: int  # files below SMALL_FILE_BYTES in partitions holding two or more of them
    version: int


def table_files(table: LakePath) -> TableFiles:
    """Count the current version's files (reads the log only, not the data)."""
    from lakeconsole.core.table_health import delta_table

    dt = delta_table(table)
    from lakeconsole.core.lake import add_actions

    actions = add_actions(dt)
    sizes = actions.column("size_bytes").to_pylist()
    part_cols = [c for c in actions.column_names if c.startswith("partition.")]
    keys = (
        list(zip(*(actions.column(c).to_pylist() for c in part_cols), strict=True))
        if part_cols
        else [()] * len(sizes)
    )
    small_by_partition: dict[tuple[Any, ...], int] = {}
    for key, size in zip(keys, sizes, strict=True):
        if size < SMALL_FILE_BYTES:
            small_by_partition[key] = small_by_partition.get(key, 0) + 1
    small = sum(n for n in small_by_partition.values() if n >= 2)
    return TableFiles(len(sizes), int(sum(sizes)), len(set(keys)), small, dt.version())
