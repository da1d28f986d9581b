"""The ingestion ledger: which landing file contents bronze already holds, and which were refused.

The ledger is a state file, but the truth is the bronze table: every bronze append carries its
file's name, content hash, size and ingest time in its commit metadata, so a ledger that is
behind (a crash right after a bronze commit) catches up from the bronze log, and a lost one is
rebuilt from the bronze rows themselves.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from lakeconsole.core.blocks.state import read_state, state_path, write_state
from lakeconsole.core.landing import LandingFile
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import FETCH_CHUNK, Location, StorageError, open_delta, table_exists

if TYPE_CHECKING:
    from lakeconsole.core.api import BronzeTable

log = logging.getLogger("lakeconsole.bronze")

KIND = "ledger"  # state file <stem>.ledger.json
META = "lakeconsole."  # prefix of our keys in bronze commit metadata
# Operations that never change which rows bronze holds.
CONTENT_NEUTRAL = {"OPTIMIZE", "VACUUM START", "VACUUM END", "SET TBLPROPERTIES", "CREATE TABLE"}


TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def iso_utc(moment: datetime) -> str:
    """Fixed-width UTC text, so ingest times sort as strings."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


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
class Rebuilt:
    """Why the ledger was rebuilt from the bronze rows, and the files it listed that bronze no
    longer holds (the run ingests them again if they are still in landing)."""

    reason: str
    dropped: list[Ingested]


@dataclass
class Ledger:
    bronze_version: int = -1
    files: list[Ingested] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rebuilt: Rebuilt | None = None  # this run's news, never saved

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

    def save(self, settings: Settings, bronze: BronzeTable) -> None:
        """Write the ledger if it differs from the file (a no-op run writes nothing)."""
        state = self.state()
        if read_state(settings, bronze, KIND) != state:
            write_state(settings, bronze, KIND, state)


def commit_metadata(entry: Ingested) -> dict[str, str]:
    """What a bronze append records about its file, for rebuilding the ledger."""
    return {
        f"{META}source_file": entry.file,
        f"{META}source_hash": entry.hash,
        f"{META}ingested_at": entry.ingested_at,
        f"{META}size": str(entry.size),
        f"{META}mtime_ns": str(entry.mtime_ns),
    }


def load_ledger(settings: Settings, bronze: BronzeTable) -> Ledger:
    """The ledger of `bronze`, caught up with the bronze table."""
    bronze_path = bronze.spec.path(settings.lake_root)
    try:
        ledger = _parse(_read(settings, bronze))
    except ValueError as exc:
        log.warning(
            "ingestion ledger %s is not what bronze writes (%s): rebuilt from the bronze table",
            state_path(settings, bronze, KIND),
            exc,
        )
        ledger = Ledger()  # as if missing
    if not table_exists(bronze_path):
        if ledger.files:
            log.warning("bronze table is gone: forgetting %d ingested file(s)", len(ledger.files))
        ledger.files, ledger.bronze_version = [], -1
        return ledger
    from lakeconsole.core.blocks.table_marks import newest_version

    if newest_version(bronze_path) == ledger.bronze_version:
        return ledger  # bronze has not moved (the no-op run): the table is not opened
    dt = open_delta(bronze_path)
    current = dt.version()
    if current == ledger.bronze_version:
        return ledger
    if ledger.bronze_version < current and _catch_up(ledger, dt, current):
        return ledger
    log.warning(
        "ingestion ledger %s rebuilt from the bronze rows (it was missing or out of step)",
        state_path(settings, bronze, KIND),
    )
    held = _from_rows(dt)
    kept = {(f.file, f.hash) for f in held}
    dropped = [f for f in ledger.files if (f.file, f.hash) not in kept]
    reason = _out_of_step(dt, ledger.bronze_version, dropped, bronze.name)
    if reason:
        ledger.rebuilt = Rebuilt(reason, dropped)
    ledger.files = held
    ledger.bronze_version = current
    return ledger


def _out_of_step(dt: Any, version: int, dropped: list[Ingested], name: str) -> str | None:
    """Why bronze is no longer what the ledger describes (a RESTORE, a lost commit...), or None
    when the rebuild changes nothing the user needs to hear about (the ledger was missing)."""
    from lakeconsole.core.blocks.table_marks import changed_since

    if version < 0:
        return None
    reason = changed_since(dt, {"version": version, "timestamp": 0}, name)
    if reason is None and dropped:
        reason = f"{name} no longer holds {len(dropped)} file(s) the ledger lists"
    return reason


def _read(settings: Settings, bronze: BronzeTable) -> dict[str, Any]:
    """The ledger's state; ValueError when the file is there but not a JSON object."""
    data = read_state(settings, bronze, KIND)
    if not data and state_path(settings, bronze, KIND).exists():
        raise ValueError("not a JSON object")
    return data


def _parse(data: dict[str, Any]) -> Ledger:
    """The ledger in `data` (read_state gives {} for a missing or non-object file), or
    ValueError naming what is not the shape bronze writes: a hand edit or another program's."""
    version = data.get("bronze_version", -1)
    if type(version) is not int:
        raise ValueError(f"bronze_version is {version!r}, not a number")
    return Ledger(
        bronze_version=version,
        files=[_entry(Ingested, raw) for raw in _list(data, "files")],
        rejected=[_entry(Rejected, raw) for raw in _list(data, "rejected")],
    )


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value


E = TypeVar("E", "Ingested", "Rejected")
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "int | None": (int, type(None)),
}


def _entry(kind: type[E], raw: Any) -> E:
    """One ledger entry, each field of the declared type (bool is not a number here)."""
    if not isinstance(raw, dict):
        raise ValueError(f"an entry of {kind.__name__.lower()} is not an object: {raw!r}")
    values: dict[str, Any] = {}
    for f in fields(kind):
        if f.name not in raw:
            if f.default is not MISSING:
                continue
            raise ValueError(f"an entry of {kind.__name__.lower()} has no {f.name!r}")
        value = raw[f.name]
        if isinstance(value, bool) or not isinstance(value, _TYPES[str(f.type)]):
            raise ValueError(f"{f.name} {value!r} of {raw.get('file')!r} is not a {f.type}")
        values[f.name] = value
    entry = kind(**values)
    if isinstance(entry, Ingested):
        try:
            datetime.strptime(entry.ingested_at, TIME_FORMAT)
        except ValueError:
            raise ValueError(f"ingested_at {entry.ingested_at!r} is not a time") from None
    return entry


def waiting_files(settings: Settings, bronze: BronzeTable) -> set[str]:
    """Landing files the ledger has neither ingested nor rejected: what the next run will read.
    Read-only and cheap (no bronze catch-up): for the console's landing panel."""
    entries = _landing_entries(settings, bronze)
    return {name for name, entry in entries.items() if entry is None}


def rejected_files(settings: Settings, bronze: BronzeTable) -> dict[str, str]:
    """Landing files bronze refused, with the reason (they stay in place until fixed or
    removed). Read-only and cheap, like `waiting_files`."""
    return {
        name: entry.reason
        for name, entry in _landing_entries(settings, bronze).items()
        if isinstance(entry, Rejected)
    }


def source_files(settings: Settings, bronze: BronzeTable) -> list[LandingFile]:
    """The landing files `bronze` reads: its source's folder, names matching its glob."""
    from lakeconsole.core.blocks.landing_sources import matches, source_folder
    from lakeconsole.core.landing import scan_landing

    folder = source_folder(settings, bronze.source)
    return [f for f in scan_landing(folder).files if matches(bronze.source, f.name)]


def _landing_entries(
    settings: Settings, bronze: BronzeTable
) -> dict[str, Ingested | Rejected | None]:
    """Each landing file's ledger entry (None: not read yet); a file that cannot be read is
    shown as bronze will refuse it."""
    try:
        ledger = _parse(_read(settings, bronze))
    except ValueError:
        ledger = Ledger()  # bronze rebuilds it on the next run; until then all looks new
    entries: dict[str, Ingested | Rejected | None] = {}
    for landing in source_files(settings, bronze):
        # Same name, size and time as a file already hashed: no need to read it again.
        entry = ledger.seen(landing)
        if entry is None:
            try:
                entry = ledger.find(landing.name, _content_hash(landing))
            except FileNotFoundError:
                continue  # gone since the listing
            except OSError as exc:
                from lakeconsole.core.blocks.landing_read import unreadable

                entry = Rejected(landing.name, "", landing.size, landing.mtime_ns, unreadable(exc))
        entries[landing.name] = entry
    return entries


def _content_hash(landing: LandingFile) -> str:
    """The content hash of a file not in the ledger yet, kept while its size and modification
    time stay the same: the landing panel asks again after every change in the folder. An
    object in a bucket is read once for it (streamed), as bronze hashes what it fetches."""
    if landing.remote is not None:
        return _object_hash(landing.remote, landing.size, landing.mtime_ns)
    return _file_hash(landing)


@functools.lru_cache(maxsize=256)
def _file_hash(landing: LandingFile) -> str:
    from lakeconsole.core.blocks.landing_read import FileChanged, content_hash

    try:
        return content_hash(landing.path)
    except FileChanged:
        raise FileNotFoundError(landing.path) from None  # no longer a file: as good as gone


@functools.lru_cache(maxsize=256)
def _object_hash(remote: Location, size: int, mtime_ns: int) -> str:
    """SHA-256 of an object's bytes; size and time are in the key: a rewrite is another one."""
    import hashlib

    digest = hashlib.sha256()
    try:
        for chunk in remote.read_chunks(FETCH_CHUNK):
            digest.update(chunk)
    except StorageError:
        if not remote.exists():
            raise FileNotFoundError(remote.uri) from None  # removed since the listing
        raise
    return digest.hexdigest()


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
