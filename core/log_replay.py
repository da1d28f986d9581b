"""A table's live files brought forward from an earlier state by the commits after it.

The damage check keeps the live files of the table state it last read (core.table_health's
TableCache). After a run commits, the next check would open the table and read every add action
again (0.1-0.2 s at 10-100M rows, for a run with nothing new). The Delta log says exactly what
changed: each commit after the one the cache describes adds and removes files by path, in the
same form the add actions give them. Replaying those commits gives the new live files without
opening the table; whenever the log is not plainly that earlier state plus complete commits,
None says "read it properly".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def commit_tip(path: Path, version: int) -> str | None:
    """A digest of commit `version`'s bytes: which commit the cached state ended with."""
    try:
        data = (path / "_delta_log" / f"{version:020d}.json").read_bytes()
    except OSError:
        return None
    return hashlib.sha256(data).hexdigest()[:32]


def replayed(path: Path, held: dict[str, Any], newest: int) -> list[tuple[str, int | None]] | None:
    """The live files at commit `newest`, from `held` (a cache entry: its `key` starts with the
    version it describes, `tip` is that commit's digest, `live` its files) and the commits
    after it; None when that cannot be done exactly (no entry, a rewritten commit, a gap, a
    commit that does not parse)."""
    live, tip, key = held.get("live"), held.get("tip"), held.get("key")
    if not isinstance(live, list) or not isinstance(tip, str) or not isinstance(key, str):
        return None
    try:
        version = int(key.split("-", 1)[0])
    except ValueError:
        return None
    if not version < newest or commit_tip(path, version) != tip:
        return None
    files: dict[str, int | None] = {str(p): s for p, s in live}
    for at in range(version + 1, newest + 1):
        try:
            lines = (path / "_delta_log" / f"{at:020d}.json").read_text(encoding="utf-8")
            actions = [json.loads(line) for line in lines.splitlines() if line.strip()]
        except (OSError, ValueError):
            return None
        if not all(isinstance(a, dict) for a in actions):
            return None
        # Removes first: a file whose deletion vector changes is removed and added again under
        # the same path in one commit.
        for action in actions:
            if isinstance(remove := action.get("remove"), dict):
                files.pop(str(remove["path"]), None)
        for action in actions:
            if isinstance(add := action.get("add"), dict):
                files[str(add["path"])] = add.get("size")
    return sorted(files.items())
