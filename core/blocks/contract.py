"""The schema contract check (OPS-06, core.contracts) as the blocks use it before writing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeconsole.core.storage import LakePath, table_exists
from lakeconsole.core.tables import TableSpec

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from lakeconsole.core.contracts import ContractDecision


class RebuildNeeded(Exception):
    """A declared schema drops or retypes columns of a table a MERGE cannot rewrite."""


def check_contract(
    spec: TableSpec, data_dir: LakePath, dt: DeltaTable | None = None
) -> ContractDecision | None:
    """Refuse (ContractError) a schema change without the bump it needs (OPS-06). `dt`: the
    table, when the caller holds it open already (opening reads the log again: 15 ms at 10M)."""
    from lakeconsole.core.contracts import (
        ContractDecision,
        check_schema_change,
        enforce_contract,
        parse_version,
        table_schema,
        table_version,
    )

    if dt is None:
        return enforce_contract(spec.path(data_dir), spec.schema, spec.version, spec.name)
    # enforce_contract's own steps, on the open table.
    declared = parse_version(spec.version)
    current = table_version(dt)
    diff = check_schema_change(table_schema(dt), current, spec.schema, declared, table=spec.name)
    return ContractDecision(spec.name, diff, declared, parse_version(current) if current else None)


def merge_schema(spec: TableSpec, decision: ContractDecision | None, how_to_rebuild: str) -> bool:
    """Whether a MERGE into `spec` must add columns; RebuildNeeded for a drop or type change."""
    if decision is None or decision.schema_mode is None:
        return False
    if decision.schema_mode == "overwrite":
        raise RebuildNeeded(
            f"{spec.name}: version {decision.version} drops or retypes columns, which a MERGE "
            f"cannot do. {how_to_rebuild}"
        )
    return True


def stamp_when_current(spec: TableSpec, data_dir: LakePath, dt: DeltaTable | None = None) -> bool:
    """Set the table's version property to the declared one once its schema matches the
    declaration (after the write that evolved it), so a pending change is never hidden.
    `dt`: the table as the caller's last write left it. True when a commit was made."""
    from lakeconsole.core.schema_version import stamp_version, table_schema_version

    path = spec.path(data_dir)
    if not table_exists(path):
        return False
    if dt is not None and table_schema_version(dt) == spec.version:
        return False  # already stamped: nothing to check or write (the usual run)
    decision = check_contract(spec, data_dir, dt)
    if decision is None or decision.diff.empty:
        return stamp_version(path, spec.version)
    return False


def contract_mark(specs: tuple[TableSpec, ...]) -> str:
    """A short fingerprint of the declared schemas and versions (what the contract checks)."""
    import hashlib

    text = "|".join(f"{s.name}:{s.version}:{s.schema}" for s in specs)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
