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
from typing import Any, Protocol
from urllib.parse import unquote

from lakeconsole.core.storage import FileEntry, Location

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
STATE_DIR = "_lakeconsole"
RESTORE_MARKER = "restoring.json"  # in the state dir while a restore into object storage runs
STATE_SKIP = (
    "run.lock",
    "lease.json",
    RESTORE_MARKER,
    "backup",
    "cache",
)  # under the state dir: the live run lock and lease, a restore's mark, backup's own state,
# what the tables' logs say


@dataclass(frozen=True)
class LakeFile:
    """A file to back up: path relative to its table (or to the lake), and where it is now
    (a local path, or an object in the lake's bucket)."""

    rel: str
    path: Path | Location
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


def plan_lake(data_dir: Path | Location, state_dir: Path | None = None) -> LakePlan:
    """Walk the lake: Delta tables at their current version, other files as they are.

    A local folder is walked folder by folder (a table's partitions are not listed); a lake
    on object storage is listed once, recursively, and planned from that listing."""
    if isinstance(data_dir, Location) and not data_dir.is_local:
        return _plan_listed(data_dir)
    root = Path(data_dir.uri) if isinstance(data_dir, Location) else data_dir
    return _plan_folders(root, state_dir or root / STATE_DIR)


def _plan_folders(data_dir: Path, state_dir: Path) -> LakePlan:
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
                    plan.warnings.append(_missing_line(name, table))
            plan.other_files += _beside_table(here, filenames, data_dir)
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if here / d not in skip)
        for filename in sorted(filenames):
            path = here / filename
            if path in skip or is_scratch(filename):
                continue
            found = _stat(path, path.relative_to(data_dir).as_posix())
            if found is not None:
                plan.other_files.append(found)
    return plan


def _plan_listed(lake: Location) -> LakePlan:
    """The plan of a lake on object storage, from one recursive listing of its prefix."""
    listing = {f.name: f for f in lake.walk()}
    roots = sorted(
        {rel.split("/_delta_log/", 1)[0] for rel in listing if "/_delta_log/" in rel}
        | ({""} if any(rel.startswith("_delta_log/") for rel in listing) else set())
    )
    plan = LakePlan()
    tables: dict[str, dict[str, FileEntry]] = {root: {} for root in roots}
    for rel, entry in sorted(listing.items()):
        root = _table_of(rel, roots)
        if root is not None:
            tables[root][rel[len(root) + 1 :] if root else rel] = entry
            continue
        first, _, rest = rel.partition("/")
        skipped = first == STATE_DIR and rest.split("/", 1)[0] in STATE_SKIP
        if not skipped and not is_scratch(rel.rsplit("/", 1)[-1]):
            plan.other_files.append(_listed(lake / rel, rel, entry))
    for root, files in tables.items():
        name = root or "."
        table = plan_table(_ListedTable(lake / root if root else lake, files))
        if table is None:
            plan.warnings.append(f"{name}: a _delta_log without commits; skipped")
            continue
        plan.tables[name] = table
        if table.missing_active:
            plan.warnings.append(_missing_line(name, table))
        for rel, entry in files.items():  # notes beside the table, as on disk
            if "/" not in rel and not rel.startswith(("_", ".")) and ".parquet" not in rel:
                lake_rel = f"{root}/{rel}" if root else rel
                plan.other_files.append(_listed(lake / lake_rel, lake_rel, entry))
    return plan


def _table_of(rel: str, roots: list[str]) -> str | None:
    """The table folder holding `rel` (its nearest root), None when it is in no table."""
    best = None
    for root in roots:
        if root == "" or rel.startswith(root + "/"):
            best = root if best is None or len(root) > len(best) else best
    return best


def is_scratch(filename: str) -> bool:
    """A probe or lock file: never lake content."""
    return filename.startswith(".write-check-") or filename.endswith(".lock")


def _missing_line(name: str, table: TablePlan) -> str:
    return (
        f"{name}: {table.missing_active} data files of version "
        f"{table.version} are missing from the lake"
    )


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


class TableFiles(Protocol):
    """A table's files as the planner reads them: on disk, or from an object-store listing."""

    def log_names(self) -> list[str]:
        """Names in `_delta_log/` (files only; `_commits/` files as `_commits/NAME`)."""
        ...

    def stat(self, rel: str) -> LakeFile | None: ...

    def text(self, rel: str) -> str:
        """A log file's text; OSError (or StorageError) when it cannot be read."""
        ...

    def parquet(self, rel: str) -> Any:
        """What pyarrow.parquet reads the file from (a path, or a buffer)."""
        ...


class _FolderTable:
    def __init__(self, table_dir: Path) -> None:
        self.dir = table_dir

    def log_names(self) -> list[str]:
        log_dir = self.dir / "_delta_log"
        try:
            more = [f"{COMMITS}/{n}" for n in os.listdir(log_dir / COMMITS)]
        except OSError:
            more = []
        return os.listdir(log_dir) + more

    def stat(self, rel: str) -> LakeFile | None:
        return _stat(self.dir / rel, rel)

    def text(self, rel: str) -> str:
        return (self.dir / rel).read_text(errors="replace")

    def parquet(self, rel: str) -> Any:
        return str(self.dir / rel)


class _ListedTable:
    def __init__(self, table: Location, files: dict[str, FileEntry]) -> None:
        self.table, self.files = table, files

    def log_names(self) -> list[str]:
        return [
            rel[len("_delta_log/") :]
            for rel in self.files
            if rel.startswith("_delta_log/") and rel.count("/") in (1, 2)
        ]

    def stat(self, rel: str) -> LakeFile | None:
        entry = self.files.get(rel)
        return None if entry is None else _listed(self.table / rel, rel, entry)

    def text(self, rel: str) -> str:
        return (self.table / rel).read_bytes().decode("utf-8", errors="replace")

    def parquet(self, rel: str) -> Any:
        import pyarrow as pa

        return pa.BufferReader((self.table / rel).read_bytes())


def plan_table(table: Path | TableFiles) -> TablePlan | None:
    """The table at its latest version V: log files ≤ V and the data files they reference."""
    src = _FolderTable(table) if isinstance(table, Path) else table
    every = src.log_names()
    names = [n for n in every if "/" not in n]
    commits = {int(m[1]): n for n in names if (m := COMMIT.match(n))}
    checkpoints = [(int(m[1]), n) for n in names if (m := checkpoint_file(n))]
    if not commits and not checkpoints:
        return None
    version = max(commits) if commits else max(v for v, _ in checkpoints)
    log_names = [n for v, n in commits.items() if v <= version]
    log_names += [n for v, n in checkpoints if v <= version]
    # A v2 checkpoint is unreadable without the sidecars its top file names.
    log_names += [
        f"{SIDECARS}/{s}" for v, n in checkpoints if v <= version for s in _sidecars(src, n)
    ]
    log_names += [n for n in names if (m := CRC.match(n)) and int(m[1]) <= version]
    if LAST_CHECKPOINT in names and _last_checkpoint_version(src) <= version:
        log_names.append(LAST_CHECKPOINT)

    unbackfilled = sorted(
        n for n in every if n.startswith(f"{COMMITS}/") and UNBACKFILLED.match(n.split("/")[1])
    )
    log_names += unbackfilled

    active, referenced = _replay(src, commits, checkpoints, version)
    for name in unbackfilled:  # their data files, for the catalog's reader
        referenced |= {rel for _, rel in _commit_paths(src, f"_delta_log/{name}")}
    plan = TablePlan(version=version)
    for name in sorted(log_names):
        found = src.stat(f"_delta_log/{name}")
        if found is not None:
            plan.files.append(found)
    for rel in sorted(referenced):
        found = src.stat(rel)
        if found is not None:
            plan.files.append(found)
        else:
            plan.missing.append(rel)
            plan.missing_active += rel in active
    return plan


def _replay(
    src: TableFiles, commits: dict[int, str], checkpoints: list[tuple[int, str]], version: int
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
            adds, removes = _checkpoint_paths(src, part)
            active |= adds
            referenced |= adds | removes
    for v in sorted(v for v in commits if v <= version):
        for kind, rel in _commit_paths(src, f"_delta_log/{commits[v]}"):
            referenced.add(rel)
            if v <= replay_after:
                continue  # already in the checkpoint's state
            if kind == "add":
                active.add(rel)
            elif kind == "remove":
                active.discard(rel)
    return active, referenced


def _commit_paths(src: TableFiles, rel: str) -> list[tuple[str, str]]:
    out = []
    try:
        text = src.text(rel)
    except OSError:
        return []  # gone since the listing: a checkpoint holds what it said
    for line in text.splitlines():
        try:
            action = json.loads(line) if line.strip() else None
        except ValueError:  # a damaged commit: _damage_warning names it
            continue
        if not isinstance(action, dict):
            continue
        for kind in ("add", "remove", "cdc"):
            if kind in action and (path := _relative(action[kind].get("path", ""))):
                out.append((kind, path))
    return out


def _sidecars(src: TableFiles, checkpoint: str) -> list[str]:
    """The sidecar files a v2 checkpoint's top file names (none for a classic checkpoint)."""
    if not V2_CHECKPOINT.match(checkpoint):
        return []
    top = f"_delta_log/{checkpoint}"
    try:
        if checkpoint.endswith(".json"):
            actions = [json.loads(line) for line in src.text(top).splitlines() if line.strip()]
            found = [a["sidecar"].get("path", "") for a in actions if "sidecar" in a]
        else:
            import pyarrow.parquet as pq

            top_file = pq.ParquetFile(src.parquet(top))
            if "sidecar" not in top_file.schema_arrow.names:
                return []
            column = top_file.read(columns=["sidecar"]).column("sidecar").to_pylist()
            found = [item.get("path", "") for item in column if item]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []  # a damaged checkpoint: _damage_warning names it
    return sorted({unquote(f) for f in found if f and "/" not in f})


def _checkpoint_paths(src: TableFiles, name: str) -> tuple[set[str], set[str]]:
    """Files a checkpoint adds and removes; a v2 top file's live in its sidecars."""
    if V2_CHECKPOINT.match(name):
        adds: set[str] = set()
        removes: set[str] = set()
        if name.endswith(".json"):
            for kind, rel in _commit_paths(src, f"_delta_log/{name}"):
                (adds if kind == "add" else removes).add(rel)
        for sidecar in _sidecars(src, name):
            more_adds, more_removes = _parquet_checkpoint_paths(
                src, f"_delta_log/{SIDECARS}/{sidecar}"
            )
            adds |= more_adds
            removes |= more_removes
        return adds, removes
    return _parquet_checkpoint_paths(src, f"_delta_log/{name}")


def _parquet_checkpoint_paths(src: TableFiles, rel: str) -> tuple[set[str], set[str]]:
    import pyarrow.parquet as pq

    try:
        checkpoint = pq.ParquetFile(src.parquet(rel))
        columns = [c for c in ("add", "remove") if c in checkpoint.schema_arrow.names]
        table = checkpoint.read(columns=columns)
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


def _last_checkpoint_version(src: TableFiles) -> int:
    try:
        return int(json.loads(src.text(f"_delta_log/{LAST_CHECKPOINT}"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return 1 << 62  # unreadable: leave it out, readers list the log instead


def _stat(path: Path, rel: str) -> LakeFile | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return LakeFile(rel, path, st.st_size, st.st_mtime_ns)


def _listed(where: Location, rel: str, entry: FileEntry) -> LakeFile:
    return LakeFile(rel, where, entry.size, entry.mtime_ms * 1_000_000)
