"""Schema versions on Delta tables (OPS-06): one place that stamps them on commits and tables.

Every silver and gold commit carries `userMetadata = {"version": "x.y.z"}` (the runbook's
`delta.userMetadata`) and the table keeps its current version as the table property
`lakeconsole.schema_version`. Bump enforcement (issue 8) builds on `table_schema_version`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import CommitProperties, DeltaTable

    from lakeconsole.core.storage import LakePath

VERSION_PROPERTY = "lakeconsole.schema_version"


def user_metadata(version: str) -> str:
    """The commit's `userMetadata` string for a schema version."""
    return json.dumps({"version": version})


def commit_properties(version: str, extra: dict[str, str] | None = None) -> CommitProperties:
    """Commit properties that stamp the schema version (plus any extra string keys)."""
    from deltalake import CommitProperties

    metadata: dict[str, Any] = {"userMetadata": user_metadata(version)}
    metadata.update(extra or {})
    return CommitProperties(custom_metadata=metadata)


def commit_schema_version(entry: dict[str, Any]) -> str | None:
    """The schema version recorded in one `history()` entry, if any."""
    raw = entry.get("userMetadata")
    if not isinstance(raw, str):
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    version = value.get("version") if isinstance(value, dict) else None
    return version if isinstance(version, str) else None


def table_schema_version(dt: DeltaTable) -> str | None:
    """The version kept in the table property, or None for a table that never had one."""
    return dt.metadata().configuration.get(VERSION_PROPERTY)


def open_or_create(
    path: LakePath,
    schema: pa.Schema,
    version: str,
    partition_by: list[str] | None = None,
    description: str | None = None,
) -> DeltaTable:
    """Open the table at `path`, creating it empty and stamped with `version` when missing.

    An existing table is opened as it is: check its contract before writing (core.contracts)
    and call `stamp_version` after the write that brings it to a new version. A damaged one
    (core.table_health) is refused with TableDamaged: writing on top would bury the damage."""
    from lakeconsole.core.storage import create_delta, open_checked, table_exists

    if table_exists(path):
        return open_checked(path)
    return create_delta(
        path,
        schema,
        mode="error",
        partition_by=partition_by,
        description=description,
        configuration={VERSION_PROPERTY: version},
        raise_if_key_not_exists=False,
        commit_properties=commit_properties(version),
    )


def stamp_version(path: LakePath, version: str) -> bool:
    """Keep the table property in step with the version the last write declared; True if set."""
    from lakeconsole.core.storage import open_delta

    dt = open_delta(path)
    if table_schema_version(dt) == version:
        return False
    dt.alter.set_table_properties(
        {VERSION_PROPERTY: version},
        raise_if_not_exists=False,
        commit_properties=commit_properties(version),
    )
    return True
