"""Crash leftovers: data files a killed write left in a table folder that no commit references.

A write killed half-way (kill -9, power cut) leaves the table readable at its old version plus
orphan `*.parquet` files and partial `*.parquet#N` staging files. delta-rs never removes the
partial ones and removes orphans only in `full` vacuum mode, which would also delete any other
file it finds (a mart README). This module finds and removes exactly the data files the log
does not know about, and nothing else.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

log = logging.getLogger("lakeconsole.maintenance")

# `part-…parquet` or the staging copy `part-…parquet#3` the local object store writes first.
DATA_FILE = re.compile(r"\.parquet(#\d+)?$")


def is_data_file(relative: str) -> bool:
    """A parquet data file or its partial staging copy, outside `_`/`.` folders (log, CDC, temp)."""
    parts = relative.split("/")
    if any(p.startswith(("_", ".")) for p in parts):
        return False
    return bool(DATA_FILE.search(parts[-1]))


def relative_path(table_path: Path, logged: str) -> str:
    """A log path (relative and URL-encoded, or an absolute URI) as a path relative to the table."""
    if "://" in logged:
        full = Path(unquote(urlparse(logged).path))
        try:
            return full.relative_to(table_path.resolve()).as_posix()
        except ValueError:
            return full.as_posix()  # outside the table: never matches a file of ours
    return unquote(logged)


def _latest_checkpoint(log_dir: Path) -> list[Path]:
    """The newest checkpoint's files (one, or the parts of a multi-part one) and v2 sidecars.

    Older checkpoints only know files that the newest one or the later commits know too, or
    that were removed long enough ago for their tombstones to expire."""
    checkpoints = sorted(log_dir.glob("*.checkpoint*.parquet"))
    if not checkpoints:
        return []
    newest = checkpoints[-1].name.split(".")[0]
    return [c for c in checkpoints if c.name.startswith(newest)] + sorted(
        log_dir.glob("_sidecars/*.parquet")
    )


def paths_in_commit(text: str, resolve: Callable[[str], str]) -> set[str]:
    """The paths one commit file's add and remove actions name, each through `resolve`."""
    paths: set[str] = set()
    for line in text.splitlines():
        if '"add"' not in line and '"remove"' not in line:
            continue  # commitInfo, metaData, protocol: no file paths
        action = json.loads(line)
        for kind in ("add", "remove"):
            entry = action.get(kind)
            if isinstance(entry, dict) and entry.get("path"):
                paths.add(resolve(entry["path"]))
    return paths


def paths_in_checkpoint(source: Any, resolve: Callable[[str], str]) -> set[str]:
    """The paths a checkpoint part (a file path or a pyarrow buffer) adds or removes."""
    import pyarrow.parquet as pq

    columns = pq.read_schema(source).names
    found: set[str] = set()
    for kind in ("add", "remove"):
        if kind in columns:
            rows = pq.read_table(source, columns=[kind]).column(kind).to_pylist()
            found |= {resolve(a["path"]) for a in rows if a and a.get("path")}
    return found


def referenced_files(table_path: Path) -> set[str]:
    """Every path the commits still in the log, or the newest checkpoint, add or remove."""
    log_dir = table_path / "_delta_log"

    def resolve(logged: str) -> str:
        return relative_path(table_path, logged)

    paths: set[str] = set()
    for commit in log_dir.glob("*.json"):
        paths |= paths_in_commit(commit.read_text(encoding="utf-8"), resolve)
    for checkpoint in _latest_checkpoint(log_dir):
        paths |= paths_in_checkpoint(checkpoint, resolve)
    return paths


def _candidate_files(table_path: Path) -> list[str]:
    """Data-looking files in the table folder (relative paths), skipping nested tables and
    `_`/`.` folders. os.scandir, not pathlib: a no-op run lists every table's folder."""
    found: list[str] = []
    stack = [""]
    root = str(table_path)
    while stack:
        rel = stack.pop()
        with os.scandir(os.path.join(root, rel) if rel else root) as entries:
            for entry in entries:
                if entry.name.startswith(("_", ".")):
                    continue
                inner = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir():
                    if not os.path.isdir(os.path.join(entry.path, "_delta_log")):
                        stack.append(inner)  # (a folder with a log is another table: not ours)
                elif entry.is_file() and DATA_FILE.search(entry.name):
                    found.append(inner)
    return found


def find_crash_leftovers(table_path: Path, key: str | None = None) -> list[Path]:
    """Data files (orphan or partial parquet) in the table folder that no commit references.
    `key` (table_health.scan_log's) lets the referenced paths of that log state come from the
    lake's table cache; the folder is listed every time."""
    from lakeconsole.core.table_health import TableCache

    table_path = Path(table_path)
    if not (table_path / "_delta_log").is_dir():
        return []
    candidates = _candidate_files(table_path)
    if not candidates:
        return []
    cache = TableCache(table_path, key)
    held = cache.get("referenced")
    if held is None:
        known = referenced_files(table_path)
        cache.put("referenced", sorted(known))
    else:
        known = set(held)
    return sorted(table_path / rel for rel in candidates if rel not in known)


def remove_crash_leftovers(
    table_path: Path, min_age_s: float, now: float | None = None
) -> list[Path]:
    """Delete leftovers at least `min_age_s` old (by modification time); returns the removed paths.

    Call it only while no write is going on this table (under the run lock): a running write's
    files are unreferenced until it commits. A damaged log (core.table_health) is refused with
    TableDamaged: the files a lost commit added look unreferenced, and may be all that is left."""
    from lakeconsole.core.table_health import TableDamaged, scan_log

    key = None
    if (Path(table_path) / "_delta_log").is_dir():
        found, key = scan_log(Path(table_path))
        if found:
            raise TableDamaged(found[0].message)
    now = time.time() if now is None else now
    removed: list[Path] = []
    for path in find_crash_leftovers(Path(table_path), key):
        try:
            if now - path.stat().st_mtime < min_age_s:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    if removed:
        log.info("removed %d crash leftover file(s) from %s", len(removed), table_path)
    return removed
