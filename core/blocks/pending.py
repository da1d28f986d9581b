"""Which partitions of each gold table silver changed: the gold table's "pending" state file.

Silver adds the values of the gold table's first partition column that a batch touches BEFORE it
merges the batch (a crash in between then costs a recompute, never a missed one); gold recomputes
those partitions and clears the set with the gold version it now describes. The file:

    {"dates": ["2024-03-01", ...], "all_dates": false, "tables": {"gold": {version, timestamp}}}

"dates" holds the changed values as text whatever the column's type (the name is the file's
from before issue 14). "all_dates": recompute every partition: an unpartitioned gold table, or a
pending file that could not be trusted.
"""

from __future__ import annotations

import datetime as dt_
from collections.abc import Callable
from typing import Any

from lakeconsole.core.api import GoldTable, Table
from lakeconsole.core.blocks.state import load_state, read_state, write_state
from lakeconsole.core.blocks.state_shapes import tables_problem
from lakeconsole.core.settings import Settings

KIND = "pending"  # state file <gold stem>.pending.json
EVERYTHING = "*"  # add_pending(settings, gold, {"*"}): recompute the whole table


def readers(table: Table) -> list[GoldTable]:
    """The gold tables computed from `table`, a silver table (declared or a step's): the
    pending sets its batches must feed."""
    return [t for t in table.pipeline.readers_of(table) if isinstance(t, GoldTable)]


def partition_column(gold: GoldTable) -> str | None:
    """The column whose values are pending: gold's first partition column (None: unpartitioned,
    recomputed whole)."""
    return gold.spec.partition_by[0] if gold.spec.partition_by else None


def add_pending(settings: Settings, gold: GoldTable, values: set[str]) -> None:
    """Add `values` to gold's pending set, keeping what else the file says; "*" means all.
    Writes nothing when the set already holds them (most batches of a re-run)."""
    state = read_state(settings, gold, KIND)
    if EVERYTHING in values or partition_column(gold) is None:
        if values and not state.get("all_dates"):
            write_state(settings, gold, KIND, {**state, "all_dates": True})
        return
    held = set(state.get("dates", []))
    if not values <= held:
        write_state(settings, gold, KIND, {**state, "dates": sorted(held | values)})


def load_pending(settings: Settings, gold: GoldTable) -> tuple[dict[str, Any], str | None]:
    """Gold's pending state ({} when missing), and why it is unusable when it is."""
    return load_state(settings, gold, KIND, shape_of(gold))


def check_pending(settings: Settings, gold: GoldTable) -> str | None:
    """An unusable pending file becomes "recompute everything"; returns the warning.
    Silver calls it before adding to the set (adding to a broken file would lose the doubt)."""
    _, problem = load_pending(settings, gold)
    if problem:
        write_state(settings, gold, KIND, {"dates": [], "all_dates": True})
        return f"{problem}: gold recomputes every date"
    return None


def clear_pending(
    settings: Settings, gold: GoldTable, mark: dict[str, int], contract: str | None = None
) -> None:
    """Nothing pending: gold as of `mark` (table_marks.mark_of) holds every change silver made,
    checked against the declaration whose fingerprint is `contract` (contract.contract_mark)."""
    state: dict[str, Any] = {"dates": [], "tables": {"gold": mark}}
    if contract is not None:
        state["contract"] = contract
    write_state(settings, gold, KIND, state)


def shape_of(gold: GoldTable) -> Callable[[dict[str, Any]], str | None]:
    """The check a pending file of `gold` must pass: its values must be of the column's type."""
    column = partition_column(gold)
    types = {c.name: c.type for c in gold.spec.columns}
    kind = types.get(column) if column is not None else None
    return lambda data: pending_problem(data, kind or "string")


def pending_problem(data: dict[str, Any], kind: str = "date") -> str | None:
    """What is wrong with a pending file's content, or None. `kind`: the partition column's
    type name (core.types)."""
    values = data.get("dates", [])
    if not isinstance(values, list):
        return '"dates" is not a list'
    for value in values:
        if not isinstance(value, str):
            return f'{value!r} in "dates" is not text'
        if kind == "date":
            try:
                dt_.date.fromisoformat(value)
            except ValueError:
                return f'{value!r} in "dates" is not a date'
    if values and kind not in ("date", "string") and not _parses(values, kind):
        return f'"dates" holds values that are not {kind}'
    if "all_dates" in data and not isinstance(data["all_dates"], bool):
        return '"all_dates" is not true or false'
    return tables_problem(data.get("tables", {}))


def _parses(values: list[str], kind: str) -> bool:
    import pyarrow as pa

    from lakeconsole.core.types import arrow_type

    try:
        pa.array(values, pa.string()).cast(arrow_type(kind))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True
