"""Small JSON state files of the sales pipeline, written atomically (temp file + rename).

A state file is only ever a hint that saves work: every step re-derives what it must from the
tables themselves when a file is missing or behind (crash between a commit and the file write).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lakeconsole.core.settings import Settings

log = logging.getLogger("lakeconsole.sales")


def state_path(settings: Settings, name: str) -> Path:
    return settings.state_dir / "sales" / f"{name}.json"


def read_state(settings: Settings, name: str) -> dict[str, Any]:
    """The state `name`, or {} when it was never written or is unreadable."""
    return load_state(settings, name)[0]


def load_state(
    settings: Settings, name: str, shape: Callable[[dict[str, Any]], str | None] | None = None
) -> tuple[dict[str, Any], str | None]:
    """The state `name` ({} when missing), and what was wrong with it when it was unusable.

    An unusable file (not JSON, not an object, or failing `shape`) is logged as a warning naming
    the file and read as {}: a missing state, which every step recovers from by re-deriving."""
    path = state_path(settings, name)
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


def write_state(settings: Settings, name: str, data: dict[str, Any]) -> None:
    """Replace the state `name` in one atomic rename, durable before returning."""
    path = state_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
