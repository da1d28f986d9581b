"""Silver's two state files: the watermark (how far through bronze silver is) and gold's pending
dates, each read with its shape checked and the table versions it describes compared with the
tables. When they no longer match, silver starts again from the first bronze line: every write is
an idempotent MERGE in which the latest-ingested line wins, so re-merging is safe."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeconsole.core.blocks.ledger import Ledger, load_ledger
from lakeconsole.core.blocks.state import load_state, read_state, state_path, write_state
from lakeconsole.core.blocks.state_shapes import (
    pending_problem,
    watermark_place_problem,
    watermark_problem,
)
from lakeconsole.core.blocks.table_marks import changed_since, mark_of
from lakeconsole.core.blocks.tables import exists
from lakeconsole.core.sales import declared
from lakeconsole.core.sales.definition import QUARANTINE_ROWS, SILVER_ORDERS
from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from deltalake import DeltaTable

WATERMARK = "watermark"  # on the silver table
GOLD_PENDING = "pending"  # on the gold table
# The tables the watermark describes, by the key it keeps their marks under.
MARKED = {"silver": SILVER_ORDERS, "quarantine": QUARANTINE_ROWS}


def read_watermark(
    data_dir: Path, settings: Settings, ledger: Ledger | None = None
) -> tuple[dict[str, Any], str | None]:
    """The watermark, or {} and why when it cannot be trusted (then silver re-reads bronze).
    `ledger`: the ingestion ledger when the caller holds it already (it opens bronze)."""
    mark, problem = load_state(settings, declared.silver(), WATERMARK, watermark_problem)
    if problem:
        return {}, problem
    tables = mark.get("tables", {})
    for key, spec in MARKED.items():
        path = spec.path(data_dir)
        reason = changed_since(_open(path) if exists(path) else None, tables.get(key), spec.name)
        if reason:
            return {}, reason
    return _placed_in_bronze(mark, data_dir, settings, ledger)


def _placed_in_bronze(
    mark: dict[str, Any], data_dir: Path, settings: Settings, ledger: Ledger | None
) -> tuple[dict[str, Any], str | None]:
    """The watermark when every place it names is a bronze line the ingestion ledger holds."""
    if not any(key in mark for key in ("ingested_at", "file", "row", "done")):
        return mark, None  # no place yet: silver starts at the first line anyway
    if ledger is None:
        ledger = load_ledger(settings, declared.bronze())
    held = {(f.ingested_at, f.file): f.rows for f in ledger.files}
    where = watermark_place_problem(mark, held)
    if where:
        path = state_path(settings, declared.silver(), WATERMARK)
        return {}, f"{path} names a place in bronze the ingestion ledger does not hold ({where})"
    return mark, None


def check_gold_pending(settings: Settings) -> str | None:
    """An unusable gold_pending.json becomes "recompute every date"; returns the warning."""
    _, problem = load_state(settings, declared.gold(), GOLD_PENDING, pending_problem)
    if problem:
        write_state(settings, declared.gold(), GOLD_PENDING, {"dates": [], "all_dates": True})
        return f"{problem}: gold recomputes every date"
    return None


def add_gold_pending_days(settings: Settings, dates: set[str]) -> None:
    """Add `dates` to gold's pending set, keeping what else the file says."""
    state = read_state(settings, declared.gold(), GOLD_PENDING)
    pending = set(state.get("dates", []))
    if not dates <= pending:
        write_state(
            settings, declared.gold(), GOLD_PENDING, {**state, "dates": sorted(pending | dates)}
        )


def marks(silver: DeltaTable, quarantine: DeltaTable, quarantine_lock: threading.Lock) -> dict:
    """The versions the watermark describes, from the run's open table objects."""
    with quarantine_lock:  # the preparing threads commit to quarantine through this object
        held = mark_of(quarantine)
    return {"silver": mark_of(silver), "quarantine": held}


def current_marks(data_dir: Path) -> dict[str, dict[str, int]]:
    """The versions of silver and quarantine as they are now (both exist)."""
    return {key: mark_of(_open(spec.path(data_dir))) for key, spec in MARKED.items()}


def _open(path: Path) -> DeltaTable:
    from deltalake import DeltaTable

    return DeltaTable(str(path))
