"""Schema contracts (OPS-06): semantic versions, schema diffs and the bump a change needs.

A silver or gold table declares its schema and a semantic version. Before each write the engine
calls `enforce_contract(table, schema, version)`: a schema change without a big enough version
bump is refused with a `ContractError` before anything is committed; an allowed change tells the
writer which `schema_mode` to use. The table's version is read back from its table property or,
failing that, from the newest commit's `userMetadata` (`{"version": "x.y.z"}`).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeconsole.core.schema_version import (
    VERSION_PROPERTY,
    commit_properties,
    commit_schema_version,
    table_schema_version,
)
from lakeconsole.core.settings import Settings
from lakeconsole.core.storage import Location, StorageError, as_location

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeconsole.core.storage import Location
    from lakeconsole.core.tables import TableSpec

# How far back in history to look for a commit carrying a version (maintenance commits such as
# VACUUM or SET TBLPROPERTIES carry none).
HISTORY_LOOKBACK = 50
log = logging.getLogger("lakeconsole.contracts")
_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class ContractError(Exception):
    """A write would break a table's contract; the message shows the diff and the fix."""


@dataclass(frozen=True, order=True)
class SemVer:
    """A semantic version, ordered as versions are (1.10.0 > 1.9.0)."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def next_minor(self) -> SemVer:
        return SemVer(self.major, self.minor + 1, 0)

    def next_major(self) -> SemVer:
        return SemVer(self.major + 1, 0, 0)


def parse_version(text: str | SemVer) -> SemVer:
    """'1.2.0' (or 'v1.2.0') → SemVer(1, 2, 0); anything else is a ContractError."""
    if isinstance(text, SemVer):
        return text
    match = _SEMVER.match(str(text).strip())
    if not match:
        raise ContractError(
            f"'{text}' is not a semantic version: use MAJOR.MINOR.PATCH, e.g. 1.2.0 (OPS-06)"
        )
    return SemVer(*(int(g) for g in match.groups()))


class Bump(IntEnum):
    """How big a version change is, or must be."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def bump_between(old: SemVer, new: SemVer) -> Bump:
    """The size of the step from `old` to `new` (NONE when equal or going backwards)."""
    if new <= old:
        return Bump.NONE
    if new.major > old.major:
        return Bump.MAJOR
    if new.minor > old.minor:
        return Bump.MINOR
    return Bump.PATCH


_DELTA_PRIMITIVES = {
    "int8": "byte",
    "int16": "short",
    "int32": "integer",
    "int64": "long",
    "float": "float",
    "double": "double",
    "bool": "boolean",
    "date32[day]": "date",
}


def type_name(dtype: pa.DataType) -> str:
    """A type's name as Delta keeps it (long, decimal(20,2), timestamp, array<string>), so that
    string, large_string and string_view are one type and readers see Delta's words."""
    import pyarrow as pa

    t = pa.types
    if t.is_string(dtype) or t.is_large_string(dtype) or t.is_string_view(dtype):
        return "string"
    if t.is_binary(dtype) or t.is_large_binary(dtype) or t.is_binary_view(dtype):
        return "binary"
    if t.is_decimal(dtype):
        return f"decimal({dtype.precision},{dtype.scale})"
    if t.is_timestamp(dtype):
        return "timestamp" if dtype.tz else "timestamp_ntz"
    if t.is_list(dtype) or t.is_large_list(dtype) or t.is_list_view(dtype):
        return f"array<{type_name(dtype.value_type)}>"
    if t.is_map(dtype):
        return f"map<{type_name(dtype.key_type)},{type_name(dtype.item_type)}>"
    if t.is_struct(dtype):
        inner = ",".join(f"{f.name}:{type_name(f.type)}" for f in dtype)
        return f"struct<{inner}>"
    if t.is_dictionary(dtype):
        return type_name(dtype.value_type)
    return _DELTA_PRIMITIVES.get(str(dtype), str(dtype))


@dataclass(frozen=True)
class SchemaDiff:
    """What changed between two schemas. A rename shows as one removed and one added column."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (name, type)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (name, type)
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (name, old, new)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def required_bump(self) -> Bump:
        """Removing or retyping breaks readers (major); adding does not (minor)."""
        if self.removed or self.changed:
            return Bump.MAJOR
        if self.added:
            return Bump.MINOR
        return Bump.NONE

    def lines(self) -> list[str]:
        """The diff in the style of a unified diff: `+ col: type`, `- col: type`, `~ col: a → b`."""
        out = [f"+ {name}: {t}" for name, t in self.added]
        out += [f"- {name}: {t}" for name, t in self.removed]
        out += [f"~ {name}: {old} → {new}" for name, old, new in self.changed]
        return out

    def summary(self) -> str:
        """One line: `added discount; removed tax; tax_rate int32 → int64`."""
        parts = []
        if self.added:
            parts.append("added " + ", ".join(n for n, _ in self.added))
        if self.removed:
            parts.append("removed " + ", ".join(n for n, _ in self.removed))
        if self.changed:
            parts.append(", ".join(f"{n} {a} → {b}" for n, a, b in self.changed))
        return "; ".join(parts) or "no change"

    def to_json(self) -> dict[str, Any]:
        return {
            "added": [{"name": n, "type": t} for n, t in self.added],
            "removed": [{"name": n, "type": t} for n, t in self.removed],
            "type_changed": [{"name": n, "old": o, "new": t} for n, o, t in self.changed],
        }


def schema_diff(current: pa.Schema, new: pa.Schema) -> SchemaDiff:
    """Columns added, removed and retyped from `current` to `new` (ignores order, nullability)."""
    return diff_types(
        {f.name: type_name(f.type) for f in current}, {f.name: type_name(f.type) for f in new}
    )


def required_version(current_version: SemVer, diff: SchemaDiff) -> SemVer:
    """The smallest version the new schema may carry."""
    bump = diff.required_bump
    if bump is Bump.MAJOR:
        return current_version.next_major()
    if bump is Bump.MINOR:
        return current_version.next_minor()
    return current_version


def check_schema_change(
    current_schema: pa.Schema | None,
    current_version: str | SemVer | None,
    new_schema: pa.Schema,
    declared_version: str | SemVer,
    table: str = "the table",
) -> SchemaDiff:
    """Refuse (ContractError) a schema change whose declared version is not bumped enough.

    A new table (no current schema) is always accepted. A table without a recorded version is
    treated as 0.0.0, so its first declared version is already a major bump. Returns the diff.
    """
    declared = parse_version(declared_version)
    if current_schema is None:
        return SchemaDiff()
    current = parse_version(current_version) if current_version else SemVer(0, 0, 0)
    diff = schema_diff(current_schema, new_schema)
    if declared < current:
        raise ContractError(
            f"{table}: declared version {declared} is older than the table's {current} (OPS-06). "
            f"Declare {current} or later in the pipeline definition."
        )
    needed = diff.required_bump
    if needed is Bump.NONE or bump_between(current, declared) >= needed:
        return diff
    minimum = required_version(current, diff)
    # The first line stands alone (it becomes the heartbeat); the full diff follows.
    raise ContractError(
        f"{table}: schema change refused ({diff.summary()}): version {current} → {declared} is "
        f"not a {needed.label} bump (OPS-06). Declare version {minimum} or later for this table "
        "in the pipeline definition.\nSchema diff:\n"
        + "\n".join(f"  {line}" for line in diff.lines())
    )


@dataclass(frozen=True)
class ContractDecision:
    """What the writer needs after an accepted check: the diff and the schema_mode to write with."""

    table: str
    diff: SchemaDiff
    version: SemVer
    previous: SemVer | None

    @property
    def schema_mode(self) -> str | None:
        """None for an unchanged schema, 'merge' to add columns, 'overwrite' to drop or retype."""
        bump = self.diff.required_bump
        if bump is Bump.MAJOR:
            return "overwrite"
        if bump is Bump.MINOR:
            return "merge"
        return None

    @property
    def merge_schema(self) -> bool:
        """For a MERGE: pass `merge_schema=True` when columns are added. A major change cannot
        go through a MERGE: the table must be rewritten (schema_mode='overwrite')."""
        return self.schema_mode == "merge"

    def commit_properties(self) -> Any:
        """CommitProperties stamping the declared version (userMetadata {"version": ...})."""
        return commit_properties(str(self.version))


def _open(table: str | Path | Any) -> Any:
    from deltalake import DeltaTable

    from lakeconsole.core.storage import Location
    from lakeconsole.core.table_health import open_table  # a damaged table: one line with the fix

    if isinstance(table, DeltaTable):
        return table
    return open_table(table if isinstance(table, Location) else Path(table))


def table_schema(table: str | Path | Any) -> pa.Schema:
    """The table's current schema as a pyarrow schema."""
    import pyarrow as pa

    return pa.schema(_open(table).schema().to_arrow())


def table_version(table: str | Path | Any) -> str | None:
    """The table's schema version: its table property, else the newest commit's userMetadata."""
    dt = _open(table)
    version = table_schema_version(dt)
    if version:
        return version
    for entry in dt.history(HISTORY_LOOKBACK):
        version = commit_schema_version(entry)
        if version:
            return version
    return None


def version_history(
    table: str | Path | Any, limit: int | None = None
) -> list[tuple[int, str | None]]:
    """(commit number, schema version or None) for each commit, newest first."""
    dt = _open(table)
    return [(int(entry["version"]), commit_schema_version(entry)) for entry in dt.history(limit)]


def enforce_contract(
    table: str | Path | Location,
    new_schema: pa.Schema,
    declared_version: str | SemVer,
    name: str | None = None,
) -> ContractDecision:
    """The one call before a silver/gold write: check the change, say how to write it.

    Raises ContractError (nothing is written) when the declared version is not bumped enough.
    """
    from lakeconsole.core.storage import Location, table_exists

    path = table if isinstance(table, Location) else Path(table)
    name = name or path.name
    declared = parse_version(declared_version)
    if not table_exists(path):
        return ContractDecision(name, SchemaDiff(), declared, None)
    dt = _open(path)
    current_raw = table_version(dt)
    diff = check_schema_change(table_schema(dt), current_raw, new_schema, declared, table=name)
    previous = parse_version(current_raw) if current_raw else None
    return ContractDecision(name, diff, declared, previous)


def declared_tables(settings: Settings) -> list[TableSpec]:
    """The tables the loaded pipeline declares; [] when it declares none or does not load
    (`lakeconsole check` then reports the load error once, as the pipeline's own finding).
    A table whose declared schema cannot be built (a legacy TABLES with a type pyarrow does not
    know) is left out with a warning: the rest still count."""
    from lakeconsole.core.dag import PipelineError
    from lakeconsole.core.pipeline import loaded_or_none

    pipeline = loaded_or_none(settings)
    try:
        tables = pipeline.tables if pipeline is not None else {}
    except PipelineError as exc:
        log.warning("cannot read the declared tables: %s", exc)
        return []
    out = []
    for spec in tables.values():
        try:
            spec.schema  # noqa: B018 (built once here so every reader can trust it)
        except Exception as exc:
            log.warning("table %s: cannot read its declared schema: %s", spec.name, exc)
            continue
        out.append(spec)
    return out


@dataclass(frozen=True)
class SchemaChange:
    """A commit that changed a table's schema, with the versions before and after it."""

    commit: int
    diff: SchemaDiff
    before: SemVer
    after: SemVer | None

    @property
    def required(self) -> SemVer:
        return required_version(self.before, self.diff)

    @property
    def bumped_enough(self) -> bool:
        return self.after is not None and self.after >= self.required


def delta_type_name(spec: Any) -> str:
    """A type from a Delta log schemaString ('long' or a nested dict) in Delta's words, written
    as type_name writes an Arrow type: the contracts and the explorer print types one way."""
    if isinstance(spec, str):
        return spec
    kind = spec.get("type")
    if kind == "array":
        return f"array<{delta_type_name(spec.get('elementType'))}>"
    if kind == "map":
        key, value = spec.get("keyType"), spec.get("valueType")
        return f"map<{delta_type_name(key)},{delta_type_name(value)}>"
    if kind == "struct":
        fields = spec.get("fields", [])
        inner = ",".join(f"{f['name']}:{delta_type_name(f['type'])}" for f in fields)
        return f"struct<{inner}>"
    return str(kind)


def _log_schema(schema_string: str) -> dict[str, str]:
    fields = json.loads(schema_string).get("fields", [])
    return {f["name"]: delta_type_name(f["type"]) for f in fields}


def diff_types(old: dict[str, str], new: dict[str, str]) -> SchemaDiff:
    """The one schema diff: columns added, removed and retyped, from {name: type} maps."""
    return SchemaDiff(
        added=[(n, t) for n, t in new.items() if n not in old],
        removed=[(n, t) for n, t in old.items() if n not in new],
        changed=[(n, old[n], t) for n, t in new.items() if n in old and old[n] != t],
    )


def _commit_actions(file: Location) -> tuple[dict[str, str] | None, str | None]:
    """(schema if the commit sets metadata, schema version it records) from one log file,
    read through the storage layer (a table on disk or in a bucket)."""
    schema, version = None, None
    for line in file.read_text().splitlines():
        # Only two kinds of action matter; add/remove lines can be thousands per commit.
        if line.startswith('{"metaData"'):
            meta = json.loads(line)["metaData"]
            schema = _log_schema(meta["schemaString"])
            version = version or meta.get("configuration", {}).get(VERSION_PROPERTY)
        elif line.startswith('{"commitInfo"'):
            version = commit_schema_version(json.loads(line)["commitInfo"]) or version
    return schema, version


def schema_changes(table: str | Path | Location, limit: int = 200) -> list[SchemaChange]:
    """Commits (among the last `limit` still in the log) that changed the schema of a versioned
    table, oldest first. Each is measured from the version its old schema was established with,
    so a version stamped just before the changing write is not mistaken for the bump.
    Reads the log files, not the data."""
    log_dir = as_location(table if isinstance(table, Location) else Path(table)) / "_delta_log"
    try:
        names = log_dir.names()
    except StorageError:
        names = []
    stems = (n.removesuffix(".json") for n in names if n.endswith(".json"))
    commits = sorted((int(stem), log_dir / f"{stem}.json") for stem in stems if stem.isdigit())
    out = []
    schema: dict[str, str] | None = None
    base: SemVer | None = None  # the version the schema in force was established with
    for number, path in commits[-limit:]:
        try:
            new_schema, raw = _commit_actions(path)
        except (OSError, ValueError, KeyError, StorageError):
            continue  # a log file being written or cleaned up: judge by the others
        version = _lenient_version(raw)
        diff = diff_types(schema, new_schema) if schema and new_schema else SchemaDiff()
        if not diff.empty:
            if base is not None:
                out.append(SchemaChange(number, diff, base, version))
            base = version
        elif base is None:
            base = version
        schema = new_schema or schema
    return out


def _lenient_version(raw: str | None) -> SemVer | None:
    try:
        return parse_version(raw) if raw else None
    except ContractError:
        return None
