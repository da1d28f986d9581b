"""OPTIMIZE: compact small files, and Z-ORDER by the columns the pipeline definition names.

Z-ORDER columns come from the sales pipeline's `TABLES` mapping (`core.sales.definition`), read
with getattr so a pipeline without it still compacts and says why it did not Z-ORDER.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.maintenance.ledger import append_record
from core.maintenance.tables import TableFiles, table_files, table_name
from core.settings import Settings
from core.units import human_bytes

log = logging.getLogger("lakeconsole.maintenance")

DEFINITION_MODULE = "core.sales.definition"


def _field(spec: Any, key: str) -> Any:
    return spec.get(key) if isinstance(spec, Mapping) else getattr(spec, key, None)


def pipeline_tables() -> Mapping[str, Any]:
    """The pipeline definition's `TABLES` (name → spec), or {} when there is none yet."""
    try:
        module = importlib.import_module(DEFINITION_MODULE)
    except ImportError:
        return {}
    tables = getattr(module, "TABLES", None)
    return tables if isinstance(tables, Mapping) else {}


def zorder_columns(table: Path, data_dir: Path) -> list[str]:
    """The Z-ORDER columns the pipeline names for this table ([] when it names none)."""
    name = table_name(data_dir, table)
    for key, spec in pipeline_tables().items():
        raw_path = _field(spec, "path")
        if callable(raw_path):  # TableSpec.path(data_dir)
            raw_path = raw_path(data_dir)
        candidates = {str(key), str(_field(spec, "name") or key)}
        if raw_path:
            p = Path(str(raw_path))
            candidates.add(table_name(data_dir, p if p.is_absolute() else data_dir / p))
        if name in candidates or table.name == str(key):
            return [str(c) for c in (_field(spec, "zorder_by") or ())]
    return []


@dataclass(frozen=True)
class OptimizeResult:
    """Files and sizes of one table before and after OPTIMIZE."""

    name: str
    before: TableFiles
    after: TableFiles
    zorder_by: tuple[str, ...]
    note: str = ""

    def summary(self) -> str:
        how = f"Z-ORDER by {', '.join(self.zorder_by)}" if self.zorder_by else "compacted"
        text = (
            f"{self.name}: {how}: {self.before.files} file(s), {human_bytes(self.before.bytes)} → "
            f"{self.after.files} file(s), {human_bytes(self.after.bytes)}"
        )
        return f"{text} ({self.note})" if self.note else text


def optimize_table(table: Path, settings: Settings, zorder: bool = False) -> OptimizeResult:
    """Compact one table, or Z-ORDER it when asked and the pipeline names columns.

    Hold the run lock while calling this."""
    from core.table_health import open_healthy

    name = table_name(settings.data_dir, table)
    dt = open_healthy(table, name)  # rewriting a damaged table would bury the damage
    before = table_files(table)
    columns: list[str] = []
    note = ""
    if zorder:
        named = zorder_columns(table, settings.data_dir)
        present = {f.name for f in dt.schema().fields}
        partition_cols = set(dt.metadata().partition_columns)
        # Z-ORDER inside a partition by the partition column is meaningless (and refused); a
        # column the table does not have (yet) would fail the whole OPTIMIZE.
        columns = [c for c in named if c in present and c not in partition_cols]
        missing = [c for c in named if c not in present]
        if not named:
            note = "the pipeline definition names no Z-ORDER columns for it; compacted only"
        elif missing:
            note = f"not in the table: {', '.join(missing)}"
        if named and not columns:
            note = (note + "; " if note else "") + "no usable Z-ORDER column; compacted only"
    if columns:
        dt.optimize.z_order(columns)
    else:
        dt.optimize.compact()
    after = table_files(table)
    result = OptimizeResult(name, before, after, tuple(columns), note)
    append_record(
        settings.state_dir,
        {
            "action": "optimize",
            "at": time.time(),
            "table": name,
            "zorder_by": columns,
            "files_before": before.files,
            "bytes_before": before.bytes,
            "files_after": after.files,
            "bytes_after": after.bytes,
        },
    )
    log.info("OPTIMIZE %s", result.summary())
    return result


def optimize_tables(
    tables: list[Path],
    settings: Settings,
    zorder: bool = False,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[OptimizeResult]:
    """OPTIMIZE several tables under the run lock; cancelling stops between tables."""
    from core.lock import lake_lock

    results: list[OptimizeResult] = []
    with lake_lock(settings, "lakeconsole optimize"):
        for i, table in enumerate(tables):
            if cancel is not None and cancel.is_set():
                break
            if progress:
                progress(i, len(tables), table_name(settings.data_dir, table))
            results.append(optimize_table(table, settings, zorder))
        if progress:
            progress(len(results), len(tables), "done")
    return results
