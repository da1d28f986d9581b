"""OPTIMIZE: compact small files, and Z-ORDER by the columns the pipeline definition names.

Z-ORDER columns come from the loaded pipeline's table declarations (`core.pipeline`): a table
it declares none for is compacted, and the result says why it was not Z-ORDERed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lakeconsole.core.dag import PipelineError
from lakeconsole.core.maintenance.ledger import append_record
from lakeconsole.core.maintenance.tables import TableFiles, table_files, table_name
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath
from lakeconsole.core.units import human_bytes

log = logging.getLogger("lakeconsole.maintenance")


def zorder_columns(table: LakePath, settings: Settings) -> list[str]:
    """The Z-ORDER columns the pipeline declares for this table ([] when it names none).

    Raises PipelineError when the pipeline does not load."""
    from lakeconsole.core.pipeline import load_pipeline

    spec = load_pipeline(settings).table(table_name(settings.lake_root, table))
    return list(spec.zorder_by) if spec else []


@dataclass(frozen=True)
class OptimizeResult:
    """Files and sizes of one table before and after OPTIMIZE."""

    name: str
    before: TableFiles
    after: TableFiles
    zorder_by: tuple[str, ...]
    note: str = ""

    @property
    def changed(self) -> bool:
        """Whether OPTIMIZE committed a new version (delta-rs commits none if nothing needs it)."""
        return self.after.version != self.before.version

    def summary(self) -> str:
        if not self.changed:
            what = "Z-ORDERing" if self.zorder_by else "compacting"
            text = (
                f"{self.name}: nothing needed {what}, already compact: {self.after.files} "
                f"file(s), {human_bytes(self.after.bytes)}; 0 new versions"
            )
            return f"{text} ({self.note})" if self.note else text
        how = f"Z-ORDER by {', '.join(self.zorder_by)}" if self.zorder_by else "compacted"
        text = (
            f"{self.name}: {how}: {self.before.files} file(s), {human_bytes(self.before.bytes)} → "
            f"{self.after.files} file(s), {human_bytes(self.after.bytes)}"
        )
        return f"{text} ({self.note})" if self.note else text


def optimize_table(table: LakePath, settings: Settings, zorder: bool = False) -> OptimizeResult:
    """Compact one table, or Z-ORDER it when asked and the pipeline names columns.

    Raises WritesRefused on a table whose writer features delta-rs cannot write. Hold the
    lake's writer lock while calling this."""
    from lakeconsole.core.storage import state_home
    from lakeconsole.core.table_health import open_healthy

    name = table_name(settings.lake_root, table)
    from lakeconsole.core.table_features import refuse_unwritable

    dt = open_healthy(table, name)  # rewriting a damaged table would bury the damage
    refuse_unwritable(dt, "OPTIMIZE", name)
    before = table_files(table)
    columns: list[str] = []
    note = ""
    if zorder:
        try:
            named = zorder_columns(table, settings)
        except PipelineError as exc:  # compacting still helps; the note says why not Z-ORDER
            named, note = [], f"{exc}; compacted only"
        present = {f.name for f in dt.schema().fields}
        partition_cols = set(dt.metadata().partition_columns)
        # Z-ORDER inside a partition by the partition column is meaningless (and refused); a
        # column the table does not have (yet) would fail the whole OPTIMIZE.
        columns = [c for c in named if c in present and c not in partition_cols]
        missing = [c for c in named if c not in present]
        if not named and not note:
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
        state_home(settings),
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
    tables: Sequence[LakePath],
    settings: Settings,
    zorder: bool = False,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[OptimizeResult]:
    """OPTIMIZE several tables under the lake's writer lock (a lease on S3); cancelling stops
    between tables. A table delta-rs cannot write refuses the whole batch before any table is
    rewritten (WritesRefused), as VACUUM's plans do."""
    from lakeconsole.core.explorer.table import open_table
    from lakeconsole.core.table_features import refuse_unwritable
    from lakeconsole.core.writer_lock import lake_writer_lock

    for table in tables:
        try:
            dt = open_table(table)
        except Exception:  # unreadable or damaged: optimize_table says so in its turn
            continue
        refuse_unwritable(dt, "OPTIMIZE", table_name(settings.lake_root, table))
    results: list[OptimizeResult] = []
    with lake_writer_lock(settings, "lakeconsole optimize") as lock:
        for i, table in enumerate(tables):
            if cancel is not None and cancel.is_set():
                break
            lock.still_held()
            if progress:
                progress(i, len(tables), table_name(settings.lake_root, table))
            results.append(optimize_table(table, settings, zorder))
        if progress:
            progress(len(results), len(tables), "done")
    return results
