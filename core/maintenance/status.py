"""Upkeep providers (see core.upkeep) and the per-table maintenance overview.

`vacuum_status` and `latency_status` feed the dashboard, `lakeconsole maintain` and `check`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from lakeconsole.core.lake import find_tables
from lakeconsole.core.maintenance.ledger import last_done
from lakeconsole.core.maintenance.tables import (
    MIN_RETENTION_HOURS,
    RETENTION_PROPERTY,
    retention_property_hours,
    table_name,
)
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath, Location
from lakeconsole.core.upkeep import UpkeepItem

DAY = 86400.0


def created_at(table: LakePath) -> float:
    """When the table was created: the modification time of its first commit file."""
    if isinstance(table, Location):
        listed = {f.name: f.mtime_ms / 1000 for f in (table / "_delta_log").files()}
        at = listed.get("00000000000000000000.json")
        return at if at is not None else min(listed.values(), default=time.time())
    log_dir = table / "_delta_log"
    first = log_dir / "00000000000000000000.json"
    if first.exists():
        return first.stat().st_mtime
    times = [p.stat().st_mtime for p in log_dir.iterdir() if p.is_file()]
    return min(times) if times else time.time()


@dataclass(frozen=True)
class TableUpkeep:
    """One table's vacuum state: last vacuum, overdue, and its own retention property."""

    name: str
    path: LakePath
    last_vacuum: float | None
    due_at: float
    overdue: bool
    retention_hours: float | None  # the table's delta.deletedFileRetentionDuration

    @property
    def retention_flagged(self) -> bool:
        return self.retention_hours is not None and self.retention_hours < MIN_RETENTION_HOURS


def table_upkeep(settings: Settings, now: float | None = None) -> list[TableUpkeep]:
    """Every table's vacuum state. A table never vacuumed is due one interval after its creation."""
    from lakeconsole.core.storage import state_home
    from lakeconsole.core.table_health import delta_table

    now = time.time() if now is None else now
    interval = settings.vacuum_interval_days * DAY
    vacuumed = last_done(state_home(settings), "vacuum")
    out = []
    tables: list[Path] | list[Location] = find_tables(settings.lake_root)
    for table in tables:
        name = table_name(settings.lake_root, table)
        last = float(vacuumed[name]["at"]) if name in vacuumed else None
        due = (last if last is not None else created_at(table)) + interval
        try:
            own = retention_property_hours(dict(delta_table(table).metadata().configuration))
        except Exception:  # an unreadable table: its vacuum state still shows
            own = None
        out.append(TableUpkeep(name, table, last, due, now > due, own))
    return out


def _names(items: list[str], limit: int = 4) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def vacuum_detail(tables: list[TableUpkeep], interval_days: int) -> str:
    """The dashboard's vacuum line: overdue tables first, else how many were vacuumed within the
    interval and how many never were (a table never vacuumed is not "vacuumed within 7 days")."""
    overdue = [t for t in tables if t.overdue]
    if overdue:
        names = [t.name + (" (never vacuumed)" if t.last_vacuum is None else "") for t in overdue]
        return (
            f"{len(overdue)} of {len(tables)} table(s) overdue "
            f"(OPS-03: vacuum every {interval_days} days): {_names(names)}"
        )
    never = sum(1 for t in tables if t.last_vacuum is None)
    parts = []
    if never < len(tables):
        parts.append(f"{len(tables) - never} table(s) vacuumed within {interval_days} days")
    if never:
        noun = "never vacuumed" if parts else "table(s) never vacuumed"
        parts.append(
            f"{never} {noun} (each due {interval_days} days after its first commit, OPS-03)"
        )
    return "; ".join(parts)


def vacuum_status(settings: Settings, now: float | None = None) -> list[UpkeepItem]:
    """Upkeep items: the weekly vacuum (overdue tables) and tables keeping deleted files < 168 h."""
    tables = table_upkeep(settings, now)
    if not tables:
        return [UpkeepItem("vacuum", None, False, "no tables yet")]
    done = [t.last_vacuum for t in tables if t.last_vacuum is not None]
    # The oldest last vacuum is the one that matters; None if some table never had one.
    last = min(done) if len(done) == len(tables) else None
    detail = vacuum_detail(tables, settings.vacuum_interval_days)
    overdue = [t for t in tables if t.overdue]
    flagged = [f"{t.name} ({t.retention_hours:g} h)" for t in tables if t.retention_flagged]
    retention = UpkeepItem(
        "retention",
        None,
        bool(flagged),
        f"{RETENTION_PROPERTY} under {MIN_RETENTION_HOURS} h on {_names(flagged)} (OPS-03)"
        if flagged
        else f"no table keeps deleted files for less than {MIN_RETENTION_HOURS} h",
    )
    return [UpkeepItem("vacuum", last, bool(overdue), detail), retention]


def latency_status(settings: Settings) -> list[UpkeepItem]:
    """Upkeep item: whether end-to-end latency is creeping (OPS-09), naming tables to optimize."""
    from lakeconsole.core.maintenance.latency import latency_watch, optimize_candidates

    watch = latency_watch(settings)
    last = watch.points[-1].started_at if watch.points else None
    detail = watch.message
    if watch.creeping:
        candidates = optimize_candidates(settings)
        detail += (
            ("; optimize: " + _names([n for n, _ in candidates]))
            if candidates
            else "; no table holds many small files (run `lakeconsole optimize --zorder`)"
        )
    return [UpkeepItem("latency", last, watch.creeping, detail)]
