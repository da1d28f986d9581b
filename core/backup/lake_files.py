"""What goes into a snapshot: each Delta table at one committed version, and the other files.

A table is read at V = its latest commit when the backup starts. Its snapshot is the log up to V
(commits, checkpoints, crc files) and the data files those commits reference, so a pipeline run
committing V+1 meanwhile changes nothing: its new files are not referenced by any commit ≤ V.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

COMMIT = re.compile(r"^(\d{20})\.json$")
CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(\.\d+\.\d+)?\.parquet$")
# A v2 checkpoint (Databricks): a UUID-named top file, JSON or parquet, whose sidecars sit in
# _delta_log/_sidecars/; a backup copies both.
V2_CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$")
CRC = re.compile(r"^(\d{20})\.crc$")
# Catalog-managed (coordinated commits) tables: a commit the catalog has accepted but not yet
# copied into the log ("backfilled") sits in _delta_log/_commits/ as NNN.<uuid>.json. delta-rs
# reads none of them, but the engine that wrote them does, so a backup keeps them all.
UNBACKFILLED = re.compile(r"^(\d{20})\.[0-9a-fA-F-]{36}\.json$")
COMMITS = "_commits"


def checkpoint_file(name: str) -> re.Match[str] | None:
    """A log file name that is a checkpoint (classic, multi-part or v2); group 1 its version."""
    return CHECKPOINT.match(name) or V2_CHECKPOINT.match(name)


LAST_CHECKPOINT = "_last_checkpoint"
SIDECARS = "_sidecars"
STATE_SKIP = (
    "run.lock",
    "backup",
    "cache",
)  # under the state dir: the live run lock, backup's own state, what the tables' logs say


@dataclass(frozen=True)
class LakeFile:
    """A file to back up: path relative to its table (or to the lake), and where it is now."""

    rel: str
    path: Path
    size: int
    mtime_ns: int


@dataclass
class TablePlan:
    version: int
    files: list[LakeFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    missing_active: int = 0  # files of version V itself that are gone: the table will not read


@dataclass
class LakePlan:
    tables: dict[str, TablePlan] = field(default_factory=dict)
    other_files: list[LakeFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def all_files(self) -> list[tuple[str, LakeFile]]:
        out = [(f"{name}/{f.rel}", f) for name, t in self.tables.items() for f in t.files]
        return out + [(f.rel, f) for f in self.other_files]


def plan_lake(data_dir: Path, state_dir: Path) -> LakePlan:
    """Walk the lake: Delta tables at their current version, other files as they are."""
    plan = LakePlan()
    skip = {state_dir / name for name in STATE_SKIP}
    for folder, dirnames, filenames in os.walk(data_dir):
        here = Path(folder)
        if "_delta_log" in dirnames:
            name = here.relative_to(data_dir).as_posix()
            table = plan_table(here)
            if table is None:
                plan.warnings.append(f"{name}: a _delta_log without commits; skipped")
            else:
                plan.tables[name] = table
                if damaged := _damage_warning(here, name):
                    plan.warnings.append(damaged)
                elif table.missing_active:
                    plan.warnings.append(
                        f"{name}: {table.missing_active} data files of version "
                        f"{table.version} are missing from the lake"
                    )
            plan.other_files += _beside_table(here, filenames, data_dir)
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if here / d not in skip)
        for filename in sorted(filenames):
            path = here / filename
            if path in skip or filename.startswith(".write-check-") or filename.endswith(".lock"):
                continue
            found = _stat(path, path.relative_to(data_dir).as_posix())
            if found is not None:
                plan.other_files.append(found)
    return plan


def _damage_warning(table_dir: Path, name: str) -> str | None:
    """One line for a damaged table (core.table_health), which is backed up as it is: its
    files may be all there is to recover from, and the snapshot then says it holds damage."""
    from lakeconsole.core.table_health import table_damage

    found = table_damage(table_dir, name)
    if not found:
        return None
    more = f"; {len(found) - 1} more problem(s) in `lakeconsole check`" if found[1:] else ""
    return f"{found[0].message} (backed up as it is{more})"


def _beside_table(table_dir: Path, filenames: list[str], data_dir: Path) -> list[LakeFile]:
    """Notes a user keeps in a table's own folder (a README): not Delta's, but worth keeping.
    Parquet files there are the table's business (uncommitted ones are crash leftovers)."""
    out = []
    for filename in sorted(filenames):
        if filename.startswith(("_", ".")) or ".parquet" in filename:
            continue
        path = table_dir / filename
        found = _stat(path, path.relative_to(data_dir).as_posix())
        if found is not None:
            out.append(found)
    return out


def plan_table(table_dir: Path) -> TablePlan | None:
    """The table at its latest version V: log files ≤ V and the data files they reference."""
    log_dir = table_dir / "_delta_log"
    names = os.listdir(log_dir)
    commits = {int(m[1]): n for n in names if (m := COMMIT.match(n))}
    checkpoints = [(int(m[1]), n) for n in names if (m := checkpoint_file(n))]
    if not commits and not checkpoints:
        return None
    version = max(commits) if commits else max(v for v, _ in checkpoints)
    log_names = [n for v, n in commits.items() if v <= version]
    log_names += [n for v, n in checkpoints if v <= version]
    # A v2 checkpoint is unreadable without the sidecars its top file names.
    log_names += [
        f"{SIDECARS}/{s}" for v, n in checkpoints if v <= version for s in _sidecars(log_dir, n)
    ]
    log_names += [n for n in names if (m := CRC.match(n)) and int(m[1]) <= version]
    if LAST_CHECKPOINT in names and _last_checkpoint_version(log_dir) <= version:
        log_names.append(LAST_CHECKPOINT)

    unbackfilled = _unbackfilled(log_dir)
    log_names += unbackfilled

    active, referenced = _replay(log_dir, commits, checkpoints, version)
    for name in unbackfilled:  # their data files, for the catalog's reader
        referenced |= {rel for _, rel in _commit_paths(log_dir / name)}
    plan = TablePlan(version=version)
    for name in sorted(log_names):
        found = _stat(log_dir / name, f"_delta_log/{name}")
        if found is not None:
            plan.files.append(found)
    for rel in sorted(referenced):
        found = _stat(table_dir / rel, rel)
        if found is not None:
            plan.files.append(found)
        else:
            plan.missing.append(rel)
            plan.missing_active += rel in active
    return plan


def _replay(
    log_dir: Path, commits: dict[int, str], checkpoints: list[tuple[int, str]], version: int
) -> tuple[set[str], set[str]]:
    """(files active at `version`, every data file referenced by the log up to it)."""
    active: set[str] = set()
    referenced: set[str] = set()
    first = min((v for v in commits if v <= version), default=version + 1)
    replay_after = -1
    if first > 0 and checkpoints:
        # Older commits were cleaned up: the newest checkpoint ≤ V holds the state up to it.
        replay_after = max(v for v, _ in checkpoints if v <= version)
        for part in sorted(n for cv, n in checkpoints if cv == replay_after):
            adds, removes = _checkpoint_paths(log_dir / part)
            active |= adds
            referenced |= adds | removes
    for v in sorted(v for v in commits if v <= version):
        for kind, rel in _commit_paths(log_dir / commits[v]):
            referenced.add(rel)
            if v <= replay_after:
                continue  # already in the checkpoint's state
            if kind == "add":
                active.add(rel)
            elif kind == "remove":
                active.discard(rel)
    return active, referenced


def _commit_paths(path: Path) -> list[tuple[str, str]]:
    out = []
    with path.open(errors="replace") as fh:
        for line in fh:
            try:
                action = json.loads(line) if line.strip() else None
            except ValueError:  # a damaged commit: _damage_warning names it
                continue
            if not isinstance(action, dict):
                continue
            for kind in ("add", "remove", "cdc"):
                if kind in action:
                    rel = _relative(action[kind].get("path", ""))
                    if rel:
                        out.append((kind, rel))
    return out


def _unbackfilled(log_dir: Path) -> list[str]:
    """The `_commits/` files of a catalog-managed table (none elsewhere), as log names."""
    try:
        names = os.listdir(log_dir / COMMITS)
    except OSError:
        return []
    return [f"{COMMITS}/{n}" for n in sorted(names) if UNBACKFILLED.match(n)]


def _sidecars(log_dir: Path, checkpoint: str) -> list[str]:
    """The sidecar files a v2 checkpoint's top file names (none for a classic checkpoint)."""
    if not V2_CHECKPOINT.match(checkpoint):
        return []
    top = log_dir / checkpoint
    try:
        if checkpoint.endswith(".json"):
            actions = [json.loads(line) for line in top.read_text().splitlines() if line.strip()]
            found = [a["sidecar"].get("path", "") for a in actions if "sidecar" in a]
        else:
            import pyarrow.parquet as pq

            if "sidecar" not in pq.read_schema(top).names:
                return []
            column = pq.read_table(top, columns=["sidecar"]).column("sidecar").to_pylist()
            found = [item.get("path", "") for item in column if item]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []  # a damaged checkpoint: _damage_warning names it
    return sorted({unquote(f) for f in found if f and "/" not in f})


def _checkpoint_paths(path: Path) -> tuple[set[str], set[str]]:
    """Files a checkpoint adds and removes; a v2 top file's live in its sidecars."""
    if V2_CHECKPOINT.match(path.name):
        adds: set[str] = set()
        removes: set[str] = set()
        if path.name.endswith(".json"):
            for kind, rel in _commit_paths(path):
                (adds if kind == "add" else removes).add(rel)
        for sidecar in _sidecars(path.parent, path.name):
            more_adds, more_removes = _parquet_checkpoint_paths(path.parent / SIDECARS / sidecar)
            adds |= more_adds
            removes |= more_removes
        return adds, removes
    return _parquet_checkpoint_paths(path)


def _parquet_checkpoint_paths(path: Path) -> tuple[set[str], set[str]]:
    import pyarrow.parquet as pq

    try:
        schema_names = pq.read_schema(path).names
        columns = [c for c in ("add", "remove") if c in schema_names]
        table = pq.read_table(path, columns=columns)
    except Exception:  # a damaged checkpoint: _damage_warning names it
        return set(), set()
    found: dict[str, set[str]] = {"add": set(), "remove": set()}
    for column in columns:
        for item in table.column(column).to_pylist():
            if item and (rel := _relative(item.get("path") or "")):
                found[column].add(rel)
    return found["add"], found["remove"]


def _relative(raw: str) -> str:
    # Log paths are URL-encoded and relative; absolute URIs (shallow clones) are not ours to copy.
    if not raw or "://" in raw or raw.startswith("/"):
        return ""
    return unquote(raw)


def _last_checkpoint_version(log_dir: Path) -> int:
    try:
        return int(json.loads((log_dir / LAST_CHECKPOINT).read_text())["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return 1 << 62  # unreadable: leave it out, readers list the log instead


def _stat(path: Path, rel: str) -> LakeFile | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return LakeFile(rel, path, st.st_size, st.st_mtime_ns)
