"""A silver table's watermark: how far through its bronze table it is (state kind "watermark").

Read with its shape checked and the versions of silver and quarantine it describes compared with
the tables. When they no longer match, silver starts again from the first bronze line: every
write is an idempotent MERGE in which the latest-ingested line wins, so re-merging is safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from lakeconsole.core.api import SilverTable
from lakeconsole.core.blocks.ledger import Ledger, load_ledger
from lakeconsole.core.blocks.state import load_state, state_path
from lakeconsole.core.blocks.state_shapes import watermark_place_problem, watermark_problem
from lakeconsole.core.blocks.table_marks import changed_since, mark_of, still_at
from lakeconsole.core.blocks.tables import exists
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath
from lakeconsole.core.tables import TableSpec

if TYPE_CHECKING:
    from deltalake import DeltaTable

WATERMARK = "watermark"  # state kind, on the silver table


def marked(table: SilverTable) -> dict[str, TableSpec]:
    """The tables the watermark describes, by the key it keeps their marks under."""
    assert table.rejected_rows is not None
    return {"silver": table.spec, "quarantine": table.rejected_rows}


Opener: TypeAlias = Callable[[dict[str, Any]], "dict[str, DeltaTable | None] | None"]


def read_watermark(
    settings: Settings,
    table: SilverTable,
    ledger: Ledger | None = None,
    opener: Opener | None = None,
) -> tuple[dict[str, Any], str | None]:
    """The watermark, or {} and why when it cannot be trusted (then silver re-reads bronze).
    `ledger`: the ingestion ledger when the caller holds it already (it opens bronze).
    `opener`: given the watermark as read, silver and quarantine opened by the caller (by
    table name; None for a missing one) to check them on, or None to have them opened here."""
    mark, problem = load_state(settings, table, WATERMARK, watermark_problem)
    if problem:
        return {}, problem
    tables = mark.get("tables", {})
    opened = opener(mark) if opener is not None else None
    for key, spec in marked(table).items():
        path = spec.path(settings.lake_root)
        if opened is None and still_at(path, tables.get(key)):
            continue  # the run with nothing new: no table opened
        held = opened[spec.name] if opened is not None else (_open(path) if exists(path) else None)
        reason = changed_since(held, tables.get(key), spec.name)
        if reason:
            return {}, reason
    return _placed_in_bronze(mark, settings, table, ledger)


def _placed_in_bronze(
    mark: dict[str, Any], settings: Settings, table: SilverTable, ledger: Ledger | None
) -> tuple[dict[str, Any], str | None]:
    """The watermark when every place it names is a bronze line the ingestion ledger holds."""
    if not any(key in mark for key in ("ingested_at", "file", "row", "done")):
        return mark, None  # no place yet: silver starts at the first line anyway
    if ledger is None:
        assert table.from_ is not None
        ledger = load_ledger(settings, table.from_)
    held = {(f.ingested_at, f.file): f.rows for f in ledger.files}
    where = watermark_place_problem(mark, held)
    if where:
        path = state_path(settings, table, WATERMARK)
        return {}, f"{path} names a place in bronze the ingestion ledger does not hold ({where})"
    return mark, None


def marks(silver: DeltaTable, quarantine: DeltaTable, quarantine_lock: threading.Lock) -> dict:
    """The versions the watermark describes, from the run's open table objects."""
    with quarantine_lock:  # the preparing threads commit to quarantine through this object
        held = mark_of(quarantine)
    return {"silver": mark_of(silver), "quarantine": held}


def current_marks(settings: Settings, table: SilverTable) -> dict[str, dict[str, int]]:
    """The versions of silver and quarantine as they are now (both exist)."""
    return {
        key: mark_of(_open(spec.path(settings.lake_root))) for key, spec in marked(table).items()
    }


def _open(path: LakePath) -> DeltaTable:
    from lakeconsole.core.storage import open_delta

    return open_delta(path)
