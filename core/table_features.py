"""What a Delta table asks of the engines that touch it: protocol versions, reader and writer
features, table properties and the state of its checkpoint (the `features` view)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lakeconsole.core.backup.lake_files import (
    LAST_CHECKPOINT,
    SIDECARS,
    V2_CHECKPOINT,
    checkpoint_file,
)
from lakeconsole.core.storage import LakePath, Location, StorageError, as_location

if TYPE_CHECKING:
    from deltalake import DeltaTable

# Writer features delta-rs 1.6 refused to commit OPTIMIZE or RESTORE over, measured on the
# foreign tables ("Unsupported table features required: [...]", or "Column mapping is not
# supported for write operation"); tests/test_foreign_tables.py checks it still refuses them.
WRITES_REFUSED = frozenset(
    {
        "identityColumns",
        "inCommitTimestamp",
        "domainMetadata",
        "rowTracking",
        "liquid",
        "columnMapping",
    }
)


@dataclass
class Checkpoint:
    """The newest checkpoint and how far the log has run past it."""

    version: int | None  # None: the table has none (readers replay every commit)
    kind: str  # "none", "classic", "multi-part", "v2"
    sidecars: int = 0
    commits_since: int = 0
    problem: str | None = None  # `_last_checkpoint` names a file that is not there


@dataclass
class TableFeatures:
    min_reader_version: int
    min_writer_version: int
    reader_features: list[str]
    writer_features: list[str]
    properties: dict[str, str]
    checkpoint: Checkpoint
    writes_refused: list[str] = field(default_factory=list)  # what delta-rs will not write

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def rows(self) -> list[tuple[str, str]]:
        """The facts as (what, value) lines: what `lakeconsole features` prints and the
        console's features view shows."""
        cp = self.checkpoint
        if cp.version is None:
            checkpoint = "none (readers replay every commit)"
        else:
            sidecars = f", {cp.sidecars} sidecar(s)" if cp.kind == "v2" else ""
            checkpoint = f"v{cp.version} ({cp.kind}{sidecars}), {cp.commits_since} commit(s) since"
        rows = [
            ("protocol", f"reader {self.min_reader_version}, writer {self.min_writer_version}"),
            ("reader features", ", ".join(self.reader_features) or "none"),
            ("writer features", ", ".join(self.writer_features) or "none"),
            ("delta-rs cannot write", ", ".join(self.writes_refused) or "nothing here"),
            ("checkpoint", checkpoint),
        ]
        if cp.problem:
            rows.append(("checkpoint problem", cp.problem))
        return rows + [(f"property {k}", v) for k, v in self.properties.items()]


def table_features(path: LakePath) -> TableFeatures:
    """Read from the open table (protocol, properties) and the log folder (checkpoints)."""
    from lakeconsole.core.explorer.table import open_table

    dt = open_table(path)
    protocol = dt.protocol()
    writers = writer_features(dt)
    return TableFeatures(
        protocol.min_reader_version,
        protocol.min_writer_version,
        sorted(protocol.reader_features or []),
        writers,
        dict(sorted((dt.metadata().configuration or {}).items())),
        checkpoint_state(path, dt.version()),
        refused_writes(writers),
    )


def writer_features(dt: DeltaTable) -> list[str]:
    """The table's writer features, sorted, with column mapping named also on a legacy
    protocol (writer 5, no feature list: the mode property turns it on, as Spark wrote
    table_with_column_mapping)."""
    protocol = dt.protocol()
    found = set(protocol.writer_features or [])
    mode = (dt.metadata().configuration or {}).get("delta.columnMapping.mode", "none")
    if protocol.writer_features is None and protocol.min_writer_version >= 5 and mode != "none":
        found.add("columnMapping")
    return sorted(found)


def refused_writes(features: list[str] | None) -> list[str]:
    """The writer features of a table that delta-rs cannot write, sorted."""
    return sorted(f for f in features or [] if f in WRITES_REFUSED)


def checkpoint_state(path: LakePath, version: int) -> Checkpoint:
    """The newest checkpoint in the log folder, checked against `_last_checkpoint` (read
    through the storage layer: a table on disk or in a bucket)."""
    log = as_location(path) / "_delta_log"
    names = set(log.names())
    found: dict[int, tuple[str, set[str]]] = {}
    for name in names:
        if match := checkpoint_file(name):
            v2 = match.re is V2_CHECKPOINT
            kind = "v2" if v2 else "multi-part" if match.group(2) else "classic"
            found.setdefault(int(match.group(1)), (kind, set()))[1].add(name)
    problem = _last_checkpoint_problem(log, names, found)
    if not found:
        return Checkpoint(None, "none", commits_since=version + 1, problem=problem)
    newest = max(found)
    kind = found[newest][0]
    sidecars = _sidecars(log, newest) if kind == "v2" else 0
    return Checkpoint(newest, kind, sidecars, version - newest, problem)


def _sidecars(log: Location, version: int) -> int:
    try:
        names = (log / SIDECARS).names()
    except StorageError:  # no _sidecars folder on disk
        return 0
    return sum(1 for n in names if n.startswith(f"{version:020d}.checkpoint."))


def _last_checkpoint_problem(
    log: Location, names: set[str], found: dict[int, tuple[str, set[str]]]
) -> str | None:
    if LAST_CHECKPOINT not in names:
        return None
    try:
        named = json.loads((log / LAST_CHECKPOINT).read_text())
        at = int(named["version"])
    except (ValueError, KeyError, TypeError, StorageError):
        return "_last_checkpoint does not parse: readers fall back to listing the log"
    if at not in found:
        return f"_last_checkpoint names version {at}, whose checkpoint is not in the log"
    v2 = (named.get("v2Checkpoint") or {}).get("path")
    if v2 and v2 not in found[at][1]:
        return f"_last_checkpoint names {v2}, which is not in the log"
    return None


class WritesRefused(Exception):
    """OPTIMIZE or RESTORE must not run: the table needs writer features delta-rs lacks."""


def refuse_unwritable(dt: DeltaTable, operation: str, name: str) -> None:
    """Raise WritesRefused with our reason before delta-rs is asked to write (its own error
    names no way out)."""
    if refusal := write_refusal(dt, operation, name):
        raise WritesRefused(refusal)


def write_refusal(dt: DeltaTable, operation: str, name: str) -> str | None:
    """Why `operation` must not run on the open table, or None: its writer features ask for
    more than delta-rs can honour (delta-rs refuses OPTIMIZE and RESTORE there itself, but
    runs VACUUM, which could then delete what those features still need)."""
    refused = refused_writes(writer_features(dt))
    if not refused:
        return None
    return (
        f"{operation} of {name} refused: it needs writer feature(s) {', '.join(refused)}, which "
        f"delta-rs cannot write; run {operation} from the engine that wrote it (Spark or "
        "Databricks), or see `lakeconsole features`"
    )
