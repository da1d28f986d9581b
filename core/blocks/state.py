"""Small JSON state files of a declared pipeline's blocks, written atomically (temp + rename).

Each belongs to one table: `<state dir>/<pipeline>/<table stem>.<kind>.json`, e.g.
`sales/sales_orders_raw.ledger.json` (bronze's ingestion ledger),
`sales/sales_orders.watermark.json`, `sales/daily_revenue.pending.json`. On an object-store lake
they live under its prefix (`_lakeconsole/...`), each replaced by one PUT. A state file is only
ever a hint that saves work: every block re-derives what it must from the tables themselves
when a file is missing or behind (a crash between a commit and the file write).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import LakePath, StorageError, read_optional, state_home, write_whole

if TYPE_CHECKING:
    from lakeconsole.core.api import Table

log = logging.getLogger("lakeconsole.blocks")


def state_path(settings: Settings, table: Table, kind: str) -> LakePath:
    return state_home(settings) / table.pipeline.name / f"{table.stem}.{kind}.json"


def read_state(settings: Settings, table: Table, kind: str) -> dict[str, Any]:
    """The table's state `kind`, or {} when it was never written or is unreadable."""
    return load_state(settings, table, kind)[0]


def load_state(
    settings: Settings,
    table: Table,
    kind: str,
    shape: Callable[[dict[str, Any]], str | None] | None = None,
) -> tuple[dict[str, Any], str | None]:
    """The table's state `kind` ({} when missing), and what was wrong with it when unusable.

    An unusable file (not JSON, not an object, or failing `shape`) is logged as a warning naming
    the file and read as {}: a missing state, which every step recovers from by re-deriving."""
    path = state_path(settings, table, kind)
    try:
        raw = read_optional(path)
        if raw is None:
            return {}, None
        data = json.loads(raw.decode("utf-8"))
    except (OSError, StorageError, ValueError) as exc:
        return {}, _unusable(path, f"cannot be read as JSON: {exc}")
    if not isinstance(data, dict):
        return {}, _unusable(path, f"holds a {type(data).__name__}, not an object")
    problem = shape(data) if shape else None
    if problem:
        return {}, _unusable(path, problem)
    return data, None


def _unusable(path: LakePath, problem: str) -> str:
    line = f"{path} is not a state lakeconsole wrote ({problem}); treated as missing"
    log.warning(line)
    return line


def write_state(settings: Settings, table: Table, kind: str, data: dict[str, Any]) -> None:
    """Replace the table's state `kind` in one step, durable before returning."""
    write_whole(
        state_path(settings, table, kind), json.dumps(data, indent=1, sort_keys=True).encode()
    )
