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
import os
from pathlib import Path
from typing import Any


def commit_tip(path: Path, version: int) -> str | None:
    """A digest of the log up to commit `version`: that commit's bytes and the name, size and
    modification time of every log file numbered up to it (a rewritten older commit or
    checkpoint changes it too, so nothing is replayed on top of it)."""
    log_dir = path / "_delta_log"
    try:
        data = (log_dir / f"{version:020d}.json").read_bytes()
        with os.scandir(log_dir) as entries:
            numbered = [e for e in entries if e.name[:20].isdigit()]
            stats = sorted(
                f"{e.name}:{e.stat().st_size}:{e.stat().st_mtime_ns}"
                for e in numbered
                if int(e.name[:20]) <= version
            )
    except OSError:
        return None
    return hashlib.sha256("\n".join(stats).encode() + b"\0" + data).hexdigest()[:32]


def brought_forward(path: Path, held: dict[str, Any], newest: int) -> dict[str, Any] | None:
    """The cache entry's facts at commit `newest`, from `held` (an entry: its `key` starts with
    the version it describes, `tip` is that commit's digest) and the commits after it: `live`
    (the live files) and, when held, `referenced` (every path a commit adds or removes, for the
    crash-leftover sweep: a superset is safe, a leftover is a file no commit ever named). None
    when that cannot be done exactly (no entry, a rewritten commit, a gap, a torn commit)."""
    from lakeconsole.core.leftovers import relative_path

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
    referenced = held.get("referenced")
    named = set(referenced) if isinstance(referenced, list) else None
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
        for kind in ("remove", "add"):
            for action in actions:
                entry = action.get(kind)
                if not isinstance(entry, dict) or not entry.get("path"):
                    continue
                if kind == "add":
                    files[str(entry["path"])] = entry.get("size")
                else:
                    files.pop(str(entry["path"]), None)
                if named is not None:
                    named.add(relative_path(path, str(entry["path"])))
    out: dict[str, Any] = {"live": sorted(files.items())}
    if named is not None:
        out["referenced"] = sorted(named)
    return out
