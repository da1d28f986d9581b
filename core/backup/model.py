"""What a backup is made of: the manifest of a snapshot, progress reports, results, errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Sizes print one way everywhere (core.units); re-exported for the backup and restore CLIs.
from lakeconsole.core.units import human_bytes as human_bytes

MANIFEST_FORMAT = 1


class BackupError(Exception):
    """A backup, verify or restore could not be done; the message names the fix."""


class TargetError(BackupError):
    """The target cannot be used: tool missing, not reachable, bad credentials, bad name."""


class NoTargetError(TargetError):
    """No target is set: a usage error (BACKUP_TARGET or --target), not an unreachable one."""


class RestoreRefused(BackupError):
    """The restore would overwrite a lake or race a run; nothing was touched."""


class BackupCancelled(BackupError):
    """The user stopped it; nothing half-done is visible as a snapshot."""

    def __init__(self) -> None:
        super().__init__("Backup cancelled; no snapshot was recorded and the lake is untouched")


@dataclass(frozen=True)
class FileEntry:
    """One file of a snapshot: its content's SHA-256 (the blob's name) and size."""

    sha256: str
    size: int

    def to_json(self) -> list[Any]:
        return [self.sha256, self.size]

    @classmethod
    def from_json(cls, data: list[Any]) -> FileEntry:
        return cls(str(data[0]), int(data[1]))


@dataclass
class TableEntry:
    """A Delta table as backed up: the committed version and its files (paths inside the table)."""

    version: int
    files: dict[str, FileEntry] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # referenced by the log but gone (vacuumed)

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files.values())


@dataclass
class Manifest:
    """`snapshots/<id>/manifest.json`: everything needed to rebuild the lake as it was."""

    snapshot: str
    created_at: float
    source: str
    tables: dict[str, TableEntry] = field(default_factory=dict)  # lake-relative table folder →
    other_files: dict[str, FileEntry] = field(default_factory=dict)  # lake-relative path →
    finished_at: float | None = None
    warnings: list[str] = field(default_factory=list)
    lake_id: str | None = None  # which lake (core.backup.lake_id); None: taken before ids

    def all_files(self) -> Iterator[tuple[str, FileEntry]]:
        """Every file as (lake-relative path, entry)."""
        for table, entry in self.tables.items():
            for rel, f in entry.files.items():
                yield f"{table}/{rel}", f
        yield from self.other_files.items()

    def blobs(self) -> set[str]:
        return {f.sha256 for _, f in self.all_files()}

    @property
    def file_count(self) -> int:
        return sum(1 for _ in self.all_files())

    @property
    def bytes(self) -> int:
        return sum(f.size for _, f in self.all_files())

    def to_json(self) -> str:
        data = {
            "format": MANIFEST_FORMAT,
            "snapshot": self.snapshot,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "source": self.source,
            "lake_id": self.lake_id,
            "warnings": self.warnings,
            "tables": {
                name: {
                    "version": t.version,
                    "bytes": t.bytes,
                    "missing": t.missing,
                    "files": {rel: f.to_json() for rel, f in sorted(t.files.items())},
                }
                for name, t in sorted(self.tables.items())
            },
            "other_files": {rel: f.to_json() for rel, f in sorted(self.other_files.items())},
        }
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if data.get("format") != MANIFEST_FORMAT:
            raise BackupError(
                f"Snapshot manifest format {data.get('format')} is not supported by this "
                "lakeconsole; upgrade lakeconsole"
            )
        tables = {
            name: TableEntry(
                version=int(t["version"]),
                files={rel: FileEntry.from_json(f) for rel, f in t["files"].items()},
                missing=list(t.get("missing", [])),
            )
            for name, t in data["tables"].items()
        }
        return cls(
            snapshot=data["snapshot"],
            created_at=float(data["created_at"]),
            source=data["source"],
            tables=tables,
            other_files={rel: FileEntry.from_json(f) for rel, f in data["other_files"].items()},
            finished_at=data.get("finished_at"),
            warnings=list(data.get("warnings", [])),
            lake_id=data.get("lake_id"),
        )


@dataclass(frozen=True)
class BackupProgress:
    """Where a backup, verify or restore is: phase ('scan', 'hash', 'send', 'prune', 'verify',
    'fetch', 'restore', 'compare'), done of total in `unit` ('files' or 'bytes')."""

    phase: str
    done: int
    total: int | None
    unit: str = "files"
    message: str = ""


ProgressSink = Callable[[BackupProgress], None]


@dataclass
class VerifyResult:
    snapshot: str
    ok: bool
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    at: float = 0.0
    target: str = ""
    damaged: list[str] = field(
        default_factory=list
    )  # blobs missing or wrong: the next backup re-sends

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "ok": self.ok,
            "checked": self.checked,
            "problems": self.problems,
            "at": self.at,
            "target": self.target,
            "damaged": self.damaged,
        }


@dataclass
class BackupResult:
    """The outcome of `run_backup`: the snapshot written and what it took."""

    snapshot: str
    target: str
    tables: dict[str, int]  # table → backed-up version
    files: int
    bytes: int
    sent_files: int
    sent_bytes: int
    duration_s: float
    pruned: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verify: VerifyResult | None = None

    def summary(self) -> str:
        """One line: what was backed up where, and what it cost."""
        text = (
            f"snapshot {self.snapshot} in {self.target}: {len(self.tables)} tables, "
            f"{self.files} files ({human_bytes(self.bytes)}), {self.sent_files} new "
            f"({human_bytes(self.sent_bytes)}) in {self.duration_s:.1f}s"
        )
        if self.pruned:
            text += f", pruned {len(self.pruned)} old"
        if self.verify is not None:
            text += (
                ", verified ok"
                if self.verify.ok
                else f", VERIFY FAILED ({len(self.verify.problems)})"
            )
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "target": self.target,
            "tables": self.tables,
            "files": self.files,
            "bytes": self.bytes,
            "sent_files": self.sent_files,
            "sent_bytes": self.sent_bytes,
            "duration_s": round(self.duration_s, 3),
            "pruned": self.pruned,
            "warnings": self.warnings,
            "verify": self.verify.to_json() if self.verify else None,
        }
