"""The ingestion ledger: which landing file contents bronze already holds, and which were refused.

The ledger is a state file, but the truth is the bronze table: every bronze append carries its
file's name, content hash, size and ingest time in its commit metadata, so a ledger that is
behind (a crash right after a bronze commit) catches up from the bronze log, and a lost one is
rebuilt from the bronze rows themselves.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.sales.landing import LandingFile
from core.sales.state import read_state, write_state
from core.settings import Settings

log = logging.getLogger("lakeconsole.sales")

STATE = "bronze_ledger"
META = "lakeconsole."  # prefix of our keys in bronze commit metadata
# Operations that never change which rows bronze holds.
CONTENT_NEUTRAL = {"OPTIMIZE", "VACUUM START", "VACUUM END", "SET TBLPROPERTIES", "CREATE TABLE"}


def iso_utc(moment: datetime) -> str:
    """Fixed-width UTC text, so ingest times sort as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Ingested:
    file: str
    hash: str
    rows: int
    ingested_at: str  # iso_utc
    size: int | None = None
    mtime_ns: int | None = None


@dataclass
class Rejected:
    file: str
    hash: str
    size: int
    mtime_ns: int
    reason: str


@dataclass
class Ledger:
    bronze_version: int = -1
    files: list[Ingested] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def entries(self) -> list[Ingested | Rejected]:
        return [*self.files, *self.rejected]

    def seen(self, landing: LandingFile) -> Ingested | Rejected | None:
        """The entry for this exact file (name, size, modification time) if hashed before."""
        for entry in self.entries():
            if (entry.file, entry.size, entry.mtime_ns) == (
                landing.name,
                landing.size,
                landing.mtime_ns,
            ):
                return entry
        return None

    def find(self, name: str, digest: str) -> Ingested | Rejected | None:
        for entry in self.entries():
            if (entry.file, entry.hash) == (name, digest):
                return entry
        return None

    def last_ingested_at(self) -> str | None:
        return max((f.ingested_at for f in self.files), default=None)

    def state(self) -> dict[str, Any]:
        return {
            "bronze_version": self.bronze_version,
            "files": [asdict(f) for f in self.files],
            "rejected": [asdict(r) for r in self.rejected],
        }

    def save(self, settings: Settings) -> None:
        """Write the ledger if it differs from the file (a no-op run writes nothing)."""
        state = self.state()
        if read_state(settings, STATE) != state:
            write_state(settings, STATE, state)


def commit_metadata(entry: Ingested) -> dict[str, str]:
    """What a bronze append records about its file, for rebuilding the ledger."""
    return {
        f"{META}source_file": entry.file,
        f"{META}source_hash": entry.hash,
        f"{META}ingested_at": entry.ingested_at,
        f"{META}size": str(entry.size),
        f"{META}mtime_ns": str(entry.mtime_ns),
    }


def load_ledger(settings: Settings, bronze_path: Path) -> Ledger:
    """The ledger, caught up with the bronze table."""
    data = read_state(settings, STATE)
    ledger = Ledger(
        bronze_version=int(data.get("bronze_version", -1)),
        files=[Ingested(**f) for f in data.get("files", [])],
        rejected=[Rejected(**r) for r in data.get("rejected", [])],
    )
    if not (bronze_path / "_delta_log").is_dir():
        if ledger.files:
            log.warning("bronze table is gone: forgetting %d ingested file(s)", len(ledger.files))
        ledger.files, ledger.bronze_version = [], -1
        return ledger
    from deltalake import DeltaTable

    dt = DeltaTable(str(bronze_path))
    current = dt.version()
    if current == ledger.bronze_version:
        return ledger
    if ledger.bronze_version < current and _catch_up(ledger, dt, current):
        return ledger
    log.warning("ingestion ledger rebuilt from the bronze rows (it was missing or out of step)")
    ledger.files = _from_rows(dt)
    ledger.bronze_version = current
    return ledger


def waiting_files(settings: Settings) -> set[str]:
    """Landing files the ledger has neither ingested nor rejected: what the next run will read.
    Read-only and cheap (no bronze catch-up): for the console's landing panel."""
    return {name for name, entry in _landing_entries(settings).items() if entry is None}


def rejected_files(settings: Settings) -> dict[str, str]:
    """Landing files bronze refused, with the reason (they stay in place until fixed or
    removed). Read-only and cheap, like `waiting_files`."""
    return {
        name: entry.reason
        for name, entry in _landing_entries(settings).items()
        if isinstance(entry, Rejected)
    }


def _landing_entries(settings: Settings) -> dict[str, Ingested | Rejected | None]:
    """Each landing file's ledger entry (None: not read yet)."""
    from core.lake import landing_dir
    from core.sales.landing import list_landing

    data = read_state(settings, STATE)
    ledger = Ledger(
        files=[Ingested(**f) for f in data.get("files", [])],
        rejected=[Rejected(**r) for r in data.get("rejected", [])],
    )
    entries: dict[str, Ingested | Rejected | None] = {}
    for landing in list_landing(landing_dir(settings.data_dir)):
        # Same name, size and time as a file already hashed: no need to read it again.
        entry = ledger.seen(landing)
        if entry is None:
            entry = ledger.find(landing.name, _content_hash(landing))
        entries[landing.name] = entry
    return entries


@functools.lru_cache(maxsize=256)
def _content_hash(landing: LandingFile) -> str:
    """The content hash of a file not in the ledger yet, kept while its size and modification
    time stay the same: the landing panel asks again after every change in the folder."""
    from core.sales.landing import content_hash

    return content_hash(landing.path)


def _catch_up(ledger: Ledger, dt: Any, current: int) -> bool:
    """Add the appends committed after the ledger was written; False when the log cannot say."""
    behind = current - ledger.bronze_version
    if behind > 1000:
        return False
    entries = [e for e in dt.history(behind) if e.get("version", -1) > ledger.bronze_version]
    if len(entries) != behind:
        return False
    added = []
    for entry in sorted(entries, key=lambda e: e["version"]):
        if f"{META}source_hash" in entry:
            added.append(
                Ingested(
                    file=entry[f"{META}source_file"],
                    hash=entry[f"{META}source_hash"],
                    rows=int(entry.get("operationMetrics", {}).get("num_added_rows", 0)),
                    ingested_at=entry[f"{META}ingested_at"],
                    size=int(entry[f"{META}size"]),
                    mtime_ns=int(entry[f"{META}mtime_ns"]),
                )
            )
        elif entry.get("operation") not in CONTENT_NEUTRAL:
            return False
    ledger.files.extend(added)
    ledger.bronze_version = current
    return True


def _from_rows(dt: Any) -> list[Ingested]:
    import pyarrow as pa
    from deltalake import QueryBuilder

    rows = pa.table(
        QueryBuilder()
        .register("bronze", dt)
        .execute(
            "SELECT _source_file, _source_hash, count(*) AS n, min(_ingested_at) AS at "
            "FROM bronze GROUP BY _source_file, _source_hash ORDER BY at, _source_file"
        )
    ).to_pylist()
    return [
        Ingested(r["_source_file"], r["_source_hash"], int(r["n"]), iso_utc(r["at"])) for r in rows
    ]
