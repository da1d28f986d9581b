"""Small JSON state files of the sales pipeline, written atomically (temp file + rename).

A state file is only ever a hint that saves work: every step re-derives what it must from the
tables themselves when a file is missing or behind (crash between a commit and the file write).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from core.settings import Settings


def state_path(settings: Settings, name: str) -> Path:
    return settings.state_dir / "sales" / f"{name}.json"


def read_state(settings: Settings, name: str) -> dict[str, Any]:
    """The state `name`, or {} when it was never written or is unreadable."""
    path = state_path(settings, name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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
