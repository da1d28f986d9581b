"""Small JSON state files of a declared pipeline's blocks, written atomically (temp + rename).

Each belongs to one table: `<state dir>/<pipeline>/<table stem>.<kind>.json`, e.g.
`sales/sales_orders_raw.ledger.json` (bronze's ingestion ledger),
`sales/sales_orders.watermark.json`, `sales/daily_revenue.pending.json`. A state file is only
ever a hint that saves work: every block re-derives what it must from the tables themselves
when a file is missing or behind (a crash between a commit and the file write).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeconsole.core.settings import Settings

if TYPE_CHECKING:
    from lakeconsole.core.api import Table

log = logging.getLogger("lakeconsole.blocks")


def state_path(settings: Settings, table: Table, kind: str) -> Path:
    return settings.state_dir / table.pipeline.name / f"{table.stem}.{kind}.json"


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
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as exc:
        return {}, _unusable(path, f"cannot be read as JSON: {exc}")
    if not isinstance(data, dict):
        return {}, _unusable(path, f"holds a {type(data).__name__}, not an object")
    problem = shape(data) if shape else None
    if problem:
        return {}, _unusable(path, problem)
    return data, None


def _unusable(path: Path, problem: str) -> str:
    line = f"{path} is not a state lakeconsole wrote ({problem}); treated as missing"
    log.warning(line)
    return line


def write_state(settings: Settings, table: Table, kind: str, data: dict[str, Any]) -> None:
    """Replace the table's state `kind` in one atomic rename, durable before returning."""
    path = state_path(settings, table, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
